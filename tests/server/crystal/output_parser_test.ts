import assert from "node:assert/strict";
import {
  createOutputParser,
  type CrystalOutput,
  HARTREE_TO_EV,
  parseCrystalOutput,
} from "../../../server/crystal/output_parser.ts";
import { fixtureTest, listCrystalFixtures, readCrystalFixture } from "../../_fixtures.ts";

// ---------------------------------------------------------------------------------------------
// Synthetic outputs: edge cases, no I/O. Lines are shaped like the real ones (domain brief §4).

const BANNER = [
  " *                               CRYSTAL23                                     *",
  " *                      public : 1.0.1 - October 2022                          *",
  " EEEEEEEEEE STARTING  DATE 01 01 2024 TIME 10:00:00.0",
];
const END = [
  " TTTTTTTTTTTTTTTTTTTTTTTTTTTTTT END         TELAPSE        8.56 TCPU        8.51",
  " EEEEEEEEEE TERMINATION  DATE 01 01 2024 TIME 10:00:08.6",
];

function cyc(cycle: number, energy: string): string {
  return ` CYC ${
    String(cycle).padStart(3)
  } ETOT(AU) ${energy} DETOT -1.00E-01 tst  0.00E+00 PX  1.00E+00`;
}

function scfEnded(verdict: string, energy: string, cycles: number): string {
  return ` == SCF ENDED - ${verdict.padEnd(26)} E(AU) ${energy} CYCLES ${
    String(cycles).padStart(3)
  }`;
}

const SCF_OK = [
  cyc(0, "-2.747683367502E+02"),
  cyc(1, "-2.754485911374E+02"),
  scfEnded("CONVERGENCE ON ENERGY", "-2.7544859113743E+02", 1),
];

/** Compares only the keys the case names. */
function assertPartial(actual: CrystalOutput, expected: Partial<CrystalOutput>): void {
  for (const [key, value] of Object.entries(expected)) {
    assert.deepEqual(actual[key as keyof CrystalOutput], value, key);
  }
}

const SYNTHETIC: { name: string; lines: string[]; expected: Partial<CrystalOutput> }[] = [
  {
    name: "parseCrystalOutput() reports an empty text as unknown, with nothing found",
    lines: [],
    expected: {
      crystal_version: null,
      calculation: "unknown",
      final_energy: null,
      final_energy_ev: null,
      scf: { converged: false, cycles: null, max_cycles: null, energies: [] },
      optimization: {
        requested: false,
        converged: null,
        steps: 0,
        max_steps: null,
        final_energy: null,
      },
      frequencies: [],
      band_gap_ev: null,
      timings: { cpu_seconds: null, wall_seconds: null },
      errors: [],
      warnings: [],
      termination: "none",
      status: "unknown",
      status_reason: "No CRYSTAL output yet",
      progress: { scf_cycle: null, opt_step: null },
    },
  },
  {
    name:
      "parseCrystalOutput() reports a truncated output as failed without termination, with its progress",
    lines: [
      ...BANNER,
      " MAX NUMBER OF SCF CYCLES      50  CONVERGENCE ON DELTAP        10**-16",
      cyc(0, "-1.0E+02"),
      cyc(1, "-1.5E+02"),
    ],
    expected: {
      crystal_version: "CRYSTAL23 v1.0.1",
      crystal_release_date: "October 2022",
      calculation: "scf",
      scf: { converged: false, cycles: null, max_cycles: 50, energies: [-100, -150] },
      termination: "none",
      status: "failed",
      status_reason:
        "No termination line: the run was killed (walltime, signal or out of memory) or is still running",
      progress: { scf_cycle: 1, opt_step: null },
    },
  },
  {
    name:
      "parseCrystalOutput() reads an ERROR line with its routine and line number, once per message",
    lines: [
      ...BANNER,
      " ERROR **** CHOLSK ****  BASIS SET LINEARLY DEPENDENT",
      " ERROR **** CHOLSK ****  BASIS SET LINEARLY DEPENDENT",
      " TTTTTTTTTTTTTTTTTTTTTTTTTTTTTT ERR         TELAPSE        2.58 TCPU        0.58",
    ],
    expected: {
      errors: [{ routine: "CHOLSK", message: "BASIS SET LINEARLY DEPENDENT", line: 4 }],
      termination: "error",
      status: "failed",
      status_reason: "CRYSTAL error in CHOLSK: BASIS SET LINEARLY DEPENDENT",
      timings: { cpu_seconds: 0.58, wall_seconds: 2.58 },
    },
  },
  {
    name: "parseCrystalOutput() fails a normal termination that follows TOO MANY CYCLES",
    lines: [...BANNER, cyc(0, "-1.0E+02"), scfEnded("TOO MANY CYCLES", "-1.0E+02", 0), ...END],
    expected: {
      final_energy: null,
      termination: "normal",
      status: "failed",
      status_reason: "SCF not converged: TOO MANY CYCLES after 0 cycles",
    },
  },
  {
    name: "parseCrystalOutput() completes a converged SCF and converts its energy to eV",
    lines: [...BANNER, ...SCF_OK, ...END],
    expected: {
      final_energy: -2.7544859113743E+02,
      final_energy_ev: -2.7544859113743E+02 * HARTREE_TO_EV,
      status: "completed",
      status_reason: "Normal termination",
      timings: { cpu_seconds: 8.51, wall_seconds: 8.56 },
    },
  },
  {
    name: "parseCrystalOutput() takes the dispersion-corrected total as the final energy",
    lines: [...BANNER, ...SCF_OK, " TOTAL ENERGY + DISP (AU)        -2.7550000000000E+02", ...END],
    expected: { final_energy: -2.755e2 },
  },
  {
    name: "parseCrystalOutput() takes the smaller of the alpha and beta gaps, and converts hartree",
    lines: [
      ...BANNER,
      "    ALPHA      ELECTRONS",
      " DIRECT ENERGY BAND GAP:   5.0621 eV",
      "    BETA       ELECTRONS",
      " DIRECT ENERGY BAND GAP:   4.3137 eV",
      "   ALPHA+BETA ELECTRONS",
    ],
    expected: { band_gap_ev: 4.3137 },
  },
  {
    name: "parseCrystalOutput() converts a band gap printed in hartree",
    lines: [...BANNER, " INDIRECT ENERGY BAND GAP:   0.5000 AU"],
    expected: { band_gap_ev: 0.5 * HARTREE_TO_EV },
  },
  {
    name: "parseCrystalOutput() reads a gap of zero for a conducting state",
    lines: [
      ...BANNER,
      " DIRECT ENERGY BAND GAP:   5.0 eV",
      " POSSIBLY CONDUCTING STATE - EFERMI(AU) -1.4E-01",
    ],
    expected: { band_gap_ev: 0 },
  },
  {
    name: "parseCrystalOutput() deduplicates warnings and joins a WARNINGWARNING box",
    lines: [
      ...BANNER,
      " WARNING **** SHRINK **** MOLECULAR CASE - SHRINKING NOT USED",
      " WARNING **** SHRINK **** MOLECULAR CASE - SHRINKING NOT USED",
      " WARNINGWARNINGWARNINGWARNING",
      "",
      " FLAT SURFACE - NO CHANGE IN ENERGY FOR   4 STEPS",
      " WARNINGWARNINGWARNINGWARNING",
      " WARNING!! FORCE   1 AT CENTRAL POINT IS GREATER THAN 10^-4.",
    ],
    expected: {
      warnings: [
        { message: "SHRINK: MOLECULAR CASE - SHRINKING NOT USED", line: 4 },
        { message: "FLAT SURFACE - NO CHANGE IN ENERGY FOR 4 STEPS", line: 6 },
        { message: "FORCE 1 AT CENTRAL POINT IS GREATER THAN 10^-4.", line: 10 },
      ],
    },
  },
  {
    name: "parseCrystalOutput() reads a frequency table without intensities and skips the LO table",
    lines: [
      ...BANNER,
      "    MODES         EIGV          FREQUENCIES     IRREP  IR   RAMAN",
      "             (HARTREE**2)   (CM**-1)     (THZ)",
      "    1-   3   -0.2379E-21      0.0000    0.0000  (F1u)   A     I",
      "    4-   6    0.1080E-05   -228.1056    6.8384  (F2g)   I     A",
      "",
      "    MODES         EIGV          FREQUENCIES    IRREP IR INTENS       SHIFTS",
      "    7-   9    0.5794E-05    528.2828   15.8375 (F1u)    876.3  277.317   8.3138",
    ],
    expected: {
      calculation: "frequency",
      frequencies: [
        {
          mode: 1,
          degeneracy: 3,
          eigv_hartree2: -0.2379e-21,
          frequency_cm1: 0,
          ir_intensity_km_mol: null,
          irrep: "F1u",
          ir_active: true,
          raman_active: false,
        },
        {
          mode: 4,
          degeneracy: 3,
          eigv_hartree2: 0.1080e-5,
          frequency_cm1: -228.1056,
          ir_intensity_km_mol: null,
          irrep: "F2g",
          ir_active: false,
          raman_active: true,
        },
      ],
    },
  },
  {
    name: "parseCrystalOutput() sums the timings of several runs in one file",
    lines: [
      ...BANNER,
      ...END,
      ...BANNER.slice(2),
      " TTTTTTTTTTTTTTTTTTTTTTTTTTTTTT END  TELAPSE 1.06 TCPU 0.89",
      END[1]!,
    ],
    expected: { timings: { cpu_seconds: 9.4, wall_seconds: 9.62 }, termination: "normal" },
  },
  {
    name: "parseCrystalOutput() names the signal of a killed run",
    lines: [...BANNER, ...SCF_OK, "forrtl: error (78): process killed (SIGTERM)"],
    expected: {
      status: "failed",
      status_reason: "No termination line: the process was killed (SIGTERM)",
    },
  },
  {
    name: "parseCrystalOutput() fails a normal termination of an optimisation without OPT END",
    lines: [...BANNER, " COORDINATE OPTIMIZATION - POINT    2", ...SCF_OK, ...END],
    expected: {
      calculation: "optimization",
      status: "failed",
      status_reason: "Normal termination without OPT END - CONVERGED",
      progress: { scf_cycle: 1, opt_step: 2 },
    },
  },
];

for (const { name, lines, expected } of SYNTHETIC) {
  Deno.test(name, () => assertPartial(parseCrystalOutput(lines.join("\n")), expected));
}

Deno.test("parseCrystalOutput() reads CRLF line endings like LF ones", () => {
  const lines = [...BANNER, ...SCF_OK, ...END];
  assert.deepEqual(parseCrystalOutput(lines.join("\r\n")), parseCrystalOutput(lines.join("\n")));
});

Deno.test("createOutputParser() result() can be read mid-stream without changing the final result", () => {
  const lines = [...BANNER, ...SCF_OK, ...END];
  const parser = createOutputParser();
  const seen: string[] = [];
  for (const line of lines) {
    parser.pushLine(line);
    seen.push(parser.result().status);
  }
  assert.equal(seen[2], "failed");
  assert.equal(seen.at(-1), "completed");
  assert.deepEqual(parser.result(), parseCrystalOutput(lines.join("\n")));
});

Deno.test("parseCrystalOutput() keeps the last 1000 SCF cycle energies", () => {
  const lines = [...BANNER, ...Array.from({ length: 2500 }, (_, i) => cyc(i, `${-i}.0`))];
  const { scf, progress } = parseCrystalOutput(lines.join("\n"));
  assert.equal(scf.energies.length, 1000);
  assert.equal(scf.energies[0], -1500);
  assert.equal(scf.energies.at(-1), -2499);
  assert.equal(progress.scf_cycle, 2499);
});

// ---------------------------------------------------------------------------------------------
// The real outputs in ../shared/fixtures/crystal (values read from the files, to the printed digits).

function summary(out: CrystalOutput) {
  const { scf, optimization: opt } = out;
  return {
    crystal_version: out.crystal_version,
    crystal_release_date: out.crystal_release_date,
    calculation: out.calculation,
    final_energy: out.final_energy,
    scf: {
      converged: scf.converged,
      cycles: scf.cycles,
      max_cycles: scf.max_cycles,
      printed_cycles: scf.energies.length,
      first_energy: scf.energies[0] ?? null,
      last_energy: scf.energies.at(-1) ?? null,
    },
    optimization: {
      requested: opt.requested,
      converged: opt.converged,
      steps: opt.steps,
      max_steps: opt.max_steps,
      final_energy: opt.final_energy,
      has_final_geometry: opt.final_geometry !== undefined,
    },
    frequency_rows: out.frequencies.length,
    band_gap_ev: out.band_gap_ev,
    timings: out.timings,
    errors: out.errors,
    warnings: out.warnings,
    termination: out.termination,
    status: out.status,
    status_reason: out.status_reason,
    progress: out.progress,
  };
}

type Summary = ReturnType<typeof summary>;

const NO_OPT = {
  requested: false,
  converged: null,
  steps: 0,
  max_steps: null,
  final_energy: null,
  has_final_geometry: false,
};
const COMPLETED = {
  termination: "normal",
  status: "completed",
  status_reason: "Normal termination",
} as const;
const V17_101 = { crystal_version: "CRYSTAL17 v1.0.1", crystal_release_date: "Feb 1st, 2017" };
const V17_102 = { crystal_version: "CRYSTAL17 v1.0.2", crystal_release_date: "March 1st, 2018" };
// The banner lies in both CRYSTAL23 installs (domain brief §1): it is recorded as printed.
const V22_101 = { crystal_version: "CRYSTAL22 v1.0.1", crystal_release_date: "Jul 29th, 2021" };

const FIXTURES: Record<string, Summary> = {
  "FAILED_GEOM_mackinawite_opt.out": {
    ...V17_101,
    calculation: "optimization",
    final_energy: -3.323077458663E+03,
    scf: {
      converged: true,
      cycles: 15,
      max_cycles: 250,
      printed_cycles: 16,
      first_energy: -3.324169926441E+03,
      last_energy: -3.323067609574E+03,
    },
    optimization: {
      requested: true,
      converged: false,
      steps: 100,
      max_steps: 100,
      final_energy: -3.323077458663E+03,
      has_final_geometry: true,
    },
    frequency_rows: 0,
    band_gap_ev: 0, // every SCF cycle prints POSSIBLY CONDUCTING STATE
    timings: { cpu_seconds: 2485.34, wall_seconds: 3983.1 },
    errors: [{ routine: "f90main", message: "GEOMETRY OPTIMIZATION FAILED", line: 5253 }],
    warnings: [{
      message:
        "FLAT SURFACE - NO CHANGE IN ENERGY FOR 4 STEPS; CONVERGENCE TESTS NOT SATISFIED AFTER 30 ENERGY AND GRADIENT CALCULATIONS",
      line: 2306,
    }],
    termination: "error",
    status: "failed",
    status_reason: "Geometry optimisation not converged: OPT END - FAILED after 100 points",
    progress: { scf_cycle: 15, opt_step: 100 },
  },
  "Na2O.out": {
    crystal_version: "CRYSTAL14 v1.0.3",
    crystal_release_date: "Sep 1st, 2014",
    calculation: "frequency",
    final_energy: -3.9868388743034E+02,
    scf: {
      converged: true,
      cycles: 20,
      max_cycles: 50,
      printed_cycles: 21,
      first_energy: -3.975003380780E+02,
      last_energy: -3.986838874303E+02,
    },
    optimization: NO_OPT,
    frequency_rows: 3,
    band_gap_ev: null,
    // Two runs (crystal, then properties): 530.10 + 1.06 s elapsed, 527.77 + 0.89 s CPU.
    timings: { cpu_seconds: 528.66, wall_seconds: 531.16 },
    errors: [],
    warnings: [{
      message: "F90MAIN3: BF SYMMETRY ADAPTED-INFO MODIFIED BY BAND-CALL NEWK",
      line: 1281,
    }],
    ...COMPLETED,
    progress: { scf_cycle: 20, opt_step: null },
  },
  "conv_mgo100.out": {
    ...V17_102,
    calculation: "scf",
    final_energy: null,
    scf: {
      converged: false,
      cycles: null,
      max_cycles: 200,
      printed_cycles: 0,
      first_energy: null,
      last_energy: null,
    },
    optimization: NO_OPT,
    frequency_rows: 0,
    band_gap_ev: null,
    timings: { cpu_seconds: 0.58, wall_seconds: 2.58 },
    errors: [{ routine: "INP12B", message: "INCONSISTENT ITOL SIZE", line: 395 }],
    warnings: [],
    termination: "error",
    status: "failed",
    status_reason: "CRYSTAL error in INP12B: INCONSISTENT ITOL SIZE",
    progress: { scf_cycle: null, opt_step: null },
  },
  "failed_elastic.out": {
    ...V17_102,
    calculation: "elastic",
    final_energy: -2.3858477070099E+03,
    scf: {
      converged: true,
      cycles: 16,
      max_cycles: 50,
      printed_cycles: 17,
      first_energy: -2.351246618360E+03,
      last_energy: -2.385847707010E+03,
    },
    optimization: NO_OPT,
    frequency_rows: 0,
    band_gap_ev: 2.1258, // the alpha gap; beta is 6.3881
    timings: { cpu_seconds: 4421.41, wall_seconds: 4428 },
    errors: [{ routine: "OPTGEOM", message: "SCF FAILED - OPTGEOM STOP", line: 1174 }],
    warnings: [
      { message: "ATOSCF: CONVERGENCE NOT REACHED IN ATOMIC SCF", line: 585 },
      {
        message:
          "FORCE 1 AT CENTRAL POINT IS GREATER THAN 10^-4. OPTIMIZE THE STRUCTURE AND RE-RUN",
        line: 1155,
      },
      {
        message:
          "FORCE 5 AT CENTRAL POINT IS GREATER THAN 10^-4. OPTIMIZE THE STRUCTURE AND RE-RUN",
        line: 1158,
      },
      {
        message:
          "FORCE 9 AT CENTRAL POINT IS GREATER THAN 10^-4. OPTIMIZE THE STRUCTURE AND RE-RUN",
        line: 1161,
      },
    ],
    termination: "error",
    status: "failed",
    status_reason: "CRYSTAL error in OPTGEOM: SCF FAILED - OPTGEOM STOP",
    progress: { scf_cycle: 16, opt_step: null },
  },
  "mgo_sto3g_opt.crystal.out": {
    ...V17_101,
    calculation: "optimization",
    final_energy: -2.712596206888E+02,
    scf: {
      converged: true,
      cycles: 8,
      max_cycles: 50,
      printed_cycles: 9,
      first_energy: -2.706739657077E+02,
      last_energy: -2.712181437499E+02,
    },
    optimization: {
      requested: true,
      converged: true,
      steps: 6,
      max_steps: null,
      final_energy: -2.712596206888E+02,
      has_final_geometry: true,
    },
    frequency_rows: 0,
    band_gap_ev: 17.4781, // the BAND GAP line after OPT END
    timings: { cpu_seconds: 88.56, wall_seconds: 102.52 },
    errors: [],
    warnings: [{ message: "INT_SCREEN: CELL PARAMETERS OPTIMIZATION ONLY", line: 394 }],
    ...COMPLETED,
    progress: { scf_cycle: 8, opt_step: 6 },
  },
  "nio_sto3g_afm_opt_walltime.out": {
    ...V17_102,
    calculation: "optimization",
    final_energy: -3.1283182941933E+03, // the last optimisation point that finished (19)
    scf: {
      converged: true,
      cycles: 15,
      max_cycles: 100,
      printed_cycles: 16,
      first_energy: -3.127033914842E+03,
      last_energy: -3.128282170558E+03,
    },
    optimization: {
      requested: true,
      converged: null,
      steps: 20,
      max_steps: null,
      final_energy: null,
      has_final_geometry: false,
    },
    frequency_rows: 0,
    band_gap_ev: null, // SPIN LOCKING: NO ENERGY GAP COMPUTED
    timings: { cpu_seconds: 1092.2, wall_seconds: 1098.92 },
    errors: [],
    warnings: [{ message: "INT_SCREEN: CELL PARAMETERS OPTIMIZATION ONLY", line: 444 }],
    termination: "none",
    status: "failed",
    status_reason: "No termination line: the process was killed (SIGTERM)",
    progress: { scf_cycle: 15, opt_step: 20 },
  },
  "nio_sto3g_afm_scf_maxcyc.out": {
    ...V17_101,
    calculation: "scf",
    final_energy: null,
    scf: {
      converged: false,
      cycles: 10,
      max_cycles: 10,
      printed_cycles: 11,
      first_energy: -3.127033914842E+03,
      last_energy: -3.128282168336E+03,
    },
    optimization: NO_OPT,
    frequency_rows: 0,
    band_gap_ev: null,
    timings: { cpu_seconds: 158.4, wall_seconds: 179.47 },
    errors: [],
    warnings: [],
    termination: "normal",
    status: "failed",
    status_reason: "SCF not converged: TOO MANY CYCLES after 10 cycles",
    progress: { scf_cycle: 10, opt_step: null },
  },
  "out_coOpt.out": {
    ...V17_102,
    calculation: "optimization",
    final_energy: -1.117202722311E+02,
    scf: {
      converged: true,
      cycles: 6,
      max_cycles: 500,
      printed_cycles: 7,
      first_energy: -1.121007604314E+02,
      last_energy: -1.116400004167E+02,
    },
    optimization: {
      requested: true,
      converged: true,
      steps: 6,
      max_steps: null,
      final_energy: -1.117202722311E+02,
      has_final_geometry: true,
    },
    frequency_rows: 0,
    band_gap_ev: 9.2095,
    timings: { cpu_seconds: 1.78, wall_seconds: 1.88 },
    errors: [],
    warnings: [],
    ...COMPLETED,
    progress: { scf_cycle: 6, opt_step: 6 },
  },
  "out_mgo.outp": {
    ...V17_102,
    calculation: "properties",
    final_energy: null,
    scf: {
      converged: false,
      cycles: null,
      max_cycles: null,
      printed_cycles: 0,
      first_energy: null,
      last_energy: null,
    },
    optimization: NO_OPT,
    frequency_rows: 0,
    band_gap_ev: 7.1237,
    timings: { cpu_seconds: 0.08, wall_seconds: 0.1 },
    errors: [],
    warnings: [{
      message: "F90MAIN3: BF SYMMETRY ADAPTED-INFO MODIFIED BY BAND-CALL NEWK",
      line: 160,
    }],
    ...COMPLETED,
    progress: { scf_cycle: null, opt_step: null },
  },
  "out_mgoOpt.out": {
    ...V22_101,
    calculation: "optimization",
    final_energy: -2.754486980727E+02,
    scf: {
      converged: true,
      cycles: 7,
      max_cycles: 200,
      printed_cycles: 8,
      first_energy: -2.747683368289E+02,
      last_energy: -2.754485911377E+02,
    },
    optimization: {
      requested: true,
      converged: true,
      steps: 4,
      max_steps: null,
      final_energy: -2.754486980727E+02,
      has_final_geometry: true,
    },
    frequency_rows: 0,
    band_gap_ev: 6.9612,
    // TOTAL CPU TIME over the 6 ranks (rank 0 alone: TCPU 42.26).
    timings: { cpu_seconds: 254.242, wall_seconds: 44.05 },
    errors: [],
    warnings: [{ message: "INT_SCREEN: CELL PARAMETERS OPTIMIZATION ONLY", line: 507 }],
    ...COMPLETED,
    progress: { scf_cycle: 7, opt_step: 4 },
  },
  "out_mgoSCF.out": {
    ...V17_102,
    calculation: "scf",
    final_energy: -2.7544859113743E+02,
    scf: {
      converged: true,
      cycles: 7,
      max_cycles: 200,
      printed_cycles: 8,
      first_energy: -2.747683367502E+02,
      last_energy: -2.754485911374E+02,
    },
    optimization: NO_OPT,
    frequency_rows: 0,
    band_gap_ev: 7.1237,
    timings: { cpu_seconds: 8.51, wall_seconds: 8.56 },
    errors: [],
    warnings: [],
    ...COMPLETED,
    progress: { scf_cycle: 7, opt_step: null },
  },
  "s2_molecule_opt.out": {
    ...V17_101,
    calculation: "optimization",
    final_energy: -7.958373629615E+02,
    scf: {
      converged: true,
      cycles: 11,
      max_cycles: 250,
      printed_cycles: 12,
      first_energy: -7.960504254905E+02,
      last_energy: -7.958361901503E+02,
    },
    optimization: {
      requested: true,
      converged: true,
      steps: 5,
      max_steps: 100,
      final_energy: -7.958373629615E+02,
      has_final_geometry: true,
    },
    frequency_rows: 0,
    band_gap_ev: 4.6668, // BETA BAND GAP; ALPHA BAND GAP is 5.9497
    timings: { cpu_seconds: 37.58, wall_seconds: 45.73 },
    errors: [],
    warnings: [
      { message: "RDDFTP: HSE06-HJS ACTIVE", line: 170 },
      { message: "SHRINK: MOLECULAR CASE - SHRINKING NOT USED", line: 172 },
    ],
    ...COMPLETED,
    progress: { scf_cycle: 11, opt_step: 5 },
  },
  "spec_dryIceIR.out": {
    ...V22_101,
    calculation: "frequency",
    final_energy: -7.5427644574029E+02, // TOTAL ENERGY + DISP; E(AU) without D3 is -7.5422471149753E+02
    scf: {
      converged: true,
      cycles: 9,
      max_cycles: 50,
      printed_cycles: 10,
      first_energy: -7.563417904774E+02,
      last_energy: -7.542247114975E+02,
    },
    optimization: NO_OPT,
    frequency_rows: 15,
    band_gap_ev: 9.079,
    timings: { cpu_seconds: 123.05, wall_seconds: 127.25 },
    errors: [],
    warnings: [{ message: "READM2: PROBABLE LOSS IN FREQCALC ACCURACY; SCF TOL LT 10", line: 408 }],
    ...COMPLETED,
    progress: { scf_cycle: 9, opt_step: null },
  },
};

fixtureTest("parseCrystalOutput() has expectations for every .out and .outp fixture", () => {
  assert.deepEqual(listCrystalFixtures(".out", ".outp"), Object.keys(FIXTURES).sort());
});

for (const [name, expected] of Object.entries(FIXTURES)) {
  fixtureTest(`parseCrystalOutput() reads ${name}`, () => {
    const out = parseCrystalOutput(readCrystalFixture(name));
    assert.deepEqual(summary(out), expected);
    assert.equal(
      out.final_energy_ev,
      out.final_energy === null ? null : out.final_energy * HARTREE_TO_EV,
    );
  });
  fixtureTest(`createOutputParser() fed ${name} line by line equals parseCrystalOutput()`, () => {
    const text = readCrystalFixture(name);
    const parser = createOutputParser();
    for (const line of text.split(/\r?\n/).slice(0, text.endsWith("\n") ? -1 : undefined)) {
      parser.pushLine(line);
    }
    assert.deepEqual(parser.result(), parseCrystalOutput(text));
  });
}

fixtureTest("parseCrystalOutput() reads the whole frequency table of spec_dryIceIR.out", () => {
  const { frequencies } = parseCrystalOutput(readCrystalFixture("spec_dryIceIR.out"));
  assert.equal(frequencies.reduce((sum, mode) => sum + mode.degeneracy, 0), 36);
  assert.deepEqual(frequencies.slice(0, 2), [
    {
      mode: 1,
      degeneracy: 3,
      eigv_hartree2: -0.4271e-20,
      frequency_cm1: 0,
      ir_intensity_km_mol: 0,
      irrep: "Fu",
      ir_active: true,
      raman_active: false,
    },
    {
      mode: 4,
      degeneracy: 3,
      eigv_hartree2: 0.1156e-6,
      frequency_cm1: 74.6367,
      ir_intensity_km_mol: 2.07,
      irrep: "Fu",
      ir_active: true,
      raman_active: false,
    },
  ]);
  assert.deepEqual(frequencies.at(-1), {
    mode: 34,
    degeneracy: 3,
    eigv_hartree2: 0.1188e-3,
    frequency_cm1: 2392.5167,
    ir_intensity_km_mol: 3840.7,
    irrep: "Fu",
    ir_active: true,
    raman_active: false,
  });
  assert.deepEqual(
    frequencies.filter((mode) => mode.raman_active).map((mode) => mode.frequency_cm1),
    [76.4586, 101.8206, 153.1467, 1359.9539, 1361.0986],
  );
});

fixtureTest("parseCrystalOutput() reads the TO table of Na2O.out, not its LO table", () => {
  const { frequencies } = parseCrystalOutput(readCrystalFixture("Na2O.out"));
  assert.deepEqual(
    frequencies.map((m) => [m.mode, m.frequency_cm1, m.irrep, m.ir_intensity_km_mol]),
    [[1, 0, "F1u", 0], [4, 228.1056, "F2g", 0], [7, 250.9654, "F1u", 876.26]],
  );
});

const GEOMETRIES: { name: string; expected: CrystalOutput["optimization"]["final_geometry"] }[] = [
  {
    name: "mgo_sto3g_opt.crystal.out",
    expected: {
      dimensionality: 3,
      cell: { a: 2.74665816, b: 2.74665816, c: 2.74665816, alpha: 60, beta: 60, gamma: 60 },
      volume_a3: 14.652065,
      atoms: [
        { atomic_number: 12, symbol: "Mg", is_irreducible: true, x: 0, y: 0, z: 0 },
        { atomic_number: 8, symbol: "O", is_irreducible: true, x: -0.5, y: -0.5, z: -0.5 },
      ],
    },
  },
  {
    name: "s2_molecule_opt.out",
    expected: {
      dimensionality: 0,
      cell: null,
      volume_a3: null,
      atoms: [
        {
          atomic_number: 16,
          symbol: "S",
          is_irreducible: true,
          x: -2.182833700662E-02,
          y: 0,
          z: 0,
        },
        { atomic_number: 16, symbol: "S", is_irreducible: true, x: 1.911828337007E+00, y: 0, z: 0 },
      ],
    },
  },
  {
    // CRYSTAL prints the last geometry even when the optimisation failed.
    name: "FAILED_GEOM_mackinawite_opt.out",
    expected: {
      dimensionality: 3,
      cell: { a: 3.53972934, b: 3.53972934, c: 4.95544184, alpha: 90, beta: 90, gamma: 90 },
      volume_a3: 62.090119,
      atoms: [
        { atomic_number: 26, symbol: "Fe", is_irreducible: true, x: 0, y: 0, z: 0 },
        { atomic_number: 26, symbol: "Fe", is_irreducible: true, x: 0.5, y: 0.5, z: 0 },
        {
          atomic_number: 16,
          symbol: "S",
          is_irreducible: true,
          x: -3.126379896951E-17,
          y: 0.5,
          z: 2.512630858240E-01,
        },
        {
          atomic_number: 16,
          symbol: "S",
          is_irreducible: false,
          x: 0.5,
          y: 2.220446049250E-16,
          z: -2.512630858240E-01,
        },
      ],
    },
  },
];

for (const { name, expected } of GEOMETRIES) {
  fixtureTest(`parseCrystalOutput() reads the final optimised geometry of ${name}`, () => {
    assert.deepEqual(
      parseCrystalOutput(readCrystalFixture(name)).optimization.final_geometry,
      expected,
    );
  });
}

fixtureTest("parseCrystalOutput() reads the primitive cell's volume and atom count", () => {
  // out_mgoSCF.out: "PRIMITIVE CELL - CENTRING CODE 5/0 VOLUME=    18.747822" and 2 atoms;
  // Na2O.out: an F-centred cell of 45.339264 Å³ with 3 atoms (antifluorite).
  assert.deepEqual(parseCrystalOutput(readCrystalFixture("out_mgoSCF.out")).cell, {
    primitive_volume_a3: 18.747822,
    atoms_in_cell: 2,
  });
  assert.deepEqual(parseCrystalOutput(readCrystalFixture("Na2O.out")).cell, {
    primitive_volume_a3: 45.339264,
    atoms_in_cell: 3,
  });
  // The primitive volume of rock salt is a³/4: 4.217³/4 = 18.7478.
  assert.ok(Math.abs(4.217 ** 3 / 4 - 18.747822) < 1e-4);
});
