import assert from "node:assert/strict";
import { z } from "zod";
import {
  createOutputParser,
  type CrystalOutput,
  HARTREE_TO_EV,
} from "../../../server/crystal/output_parser.ts";
import {
  classifyRun,
  JOB_RESULTS,
  type JobResults,
  outcomeFields,
  type ProgressLimits,
  progressLimits,
  progressOf,
  type RunOutcome,
  type RunPhase,
} from "../../../server/jobs/outcome.ts";
import { fixtureTest, readCrystalFixture } from "../../_fixtures.ts";

// ---------------------------------------------------------------------------------------------
// Synthetic outputs, shaped like the real ones (../shared/docs/crystal-domain.md §4), fed line by
// line through the streaming parser as the runners feed it.

const BANNER = [
  " *                               CRYSTAL23                                     *",
  " *                      public : 1.0.1 - October 2022                          *",
  " EEEEEEEEEE STARTING  DATE 01 01 2024 TIME 10:00:00.0",
];
const END = [
  " TTTTTTTTTTTTTTTTTTTTTTTTTTTTTT END         TELAPSE        8.56 TCPU        8.51",
  " EEEEEEEEEE TERMINATION  DATE 01 01 2024 TIME 10:00:08.6",
];
const ERR_STOP = " TTTTTTTTTTTTTTTTTTTTTTTTTTTTTT ERR         TELAPSE        2.58 TCPU        0.58";

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

function optPoint(point: number): string {
  return ` CELL OPTIMIZATION - POINT ${String(point).padStart(4)}`;
}

/** The MgO SCF of out_mgoSCF.out, cut to two cycles. */
const SCF_OK = [
  " MAX NUMBER OF SCF CYCLES     200  CONVERGENCE ON DELTAP        10**-16",
  cyc(0, "-2.747683367502E+02"),
  cyc(1, "-2.754485911374E+02"),
  scfEnded("CONVERGENCE ON ENERGY", "-2.7544859113743E+02", 1),
];
const MGO_ENERGY = -2.7544859113743E+02;

/** The NiO SCF of nio_sto3g_afm_scf_maxcyc.out: MAXCYCLE 10 reached. */
const SCF_MAXCYCLE = [
  " MAX NUMBER OF SCF CYCLES      10  CONVERGENCE ON DELTAP        10**-16",
  cyc(0, "-3.127830000000E+03"),
  cyc(10, "-3.128282168336E+03"),
  scfEnded("TOO MANY CYCLES", "-3.1282821683361E+03", 10),
];

/** An OPT of mgo_sto3g_opt.crystal.out, cut to its first and last points. */
function optLines(end: string): string[] {
  return [
    " MAXIMUM ALLOWED NUMBER OF STEPS   -1 SORTING OF ENERGY POINTS:               NO",
    optPoint(1),
    ...SCF_OK,
    optPoint(6),
    " TOTAL ENERGY(HF)(AU)(   3) -2.7125962068879E+02     DE (AU)   -1.028E-05",
    end,
  ];
}
const OPT_CONVERGED = " * OPT END - CONVERGED * E(AU):  -2.712596206888E+02  POINTS    6 *";
const OPT_FAILED = " * OPT END - FAILED    * E(AU):  -3.323077458663E+03  POINTS  100 *";

/** A properties run (out_mgo.outp): no SCF, a band gap, its own STARTING/TERMINATION pair. */
const PROPERTIES_OK = [
  ...BANNER,
  " CRYSTAL - PROPERTIES - TYPE OF CALCULATION :  RESTRICTED CLOSED SHELL",
  " DIRECT ENERGY BAND GAP:   7.1237 eV",
  ...END,
];
const PROPERTIES_ERROR = [
  ...BANNER,
  " CRYSTAL - PROPERTIES - TYPE OF CALCULATION :  RESTRICTED CLOSED SHELL",
  " ERROR **** NEWK **** WAVE FUNCTION   NOT FOUND",
  ERR_STOP,
];

function parse(lines: readonly string[]): CrystalOutput {
  const parser = createOutputParser();
  for (const line of lines) parser.pushLine(line);
  return parser.result();
}

/** The schema jobs.get returns the stored results under (plus the wall time it adds). */
const STORED_RESULTS = JOB_RESULTS.extend({ wall_time_seconds: z.number().nullable() });

/** Reads `results_json` back, failing when it does not match the jobs.get schema. */
function resultsOf(outcome: Pick<RunOutcome, "results_json">): JobResults {
  return STORED_RESULTS.parse(JSON.parse(outcome.results_json));
}

function crystalRun(lines: readonly string[], exitCode: number | undefined): RunOutcome {
  return classifyRun({ output: parse(lines), exitCode, phase: "crystal", previous: null });
}

// ---------------------------------------------------------------------------------------------
// classifyRun(): the crystal phase.

interface Case {
  name: string;
  lines: string[];
  exitCode: number | undefined;
  expected: Omit<RunOutcome, "results_json">;
}

const KILLED = "the run ended without a termination line";

const CRYSTAL_CASES: Case[] = [
  {
    name: "classifyRun() completes a converged SCF that terminated normally with exit code 0",
    lines: [...BANNER, ...SCF_OK, ...END],
    exitCode: 0,
    expected: {
      state: "completed",
      reason: "Normal termination",
      error_snippet: null,
      final_energy: MGO_ENERGY,
    },
  },
  {
    name: "classifyRun() completes a normal termination whose exit code was never written",
    lines: [...BANNER, ...SCF_OK, ...END],
    exitCode: undefined,
    expected: {
      state: "completed",
      reason: "Normal termination",
      error_snippet: null,
      final_energy: MGO_ENERGY,
    },
  },
  {
    name: "classifyRun() fails a run whose SCF hit MAXCYCLE, although it terminated normally",
    lines: [...BANNER, ...SCF_MAXCYCLE, ...END],
    exitCode: 0,
    expected: {
      state: "failed",
      reason: "SCF not converged: TOO MANY CYCLES after 10 cycles",
      error_snippet: "SCF not converged: TOO MANY CYCLES after 10 cycles",
      final_energy: null,
    },
  },
  {
    name: "classifyRun() fails a run with an ERROR **** line and quotes the line as the snippet",
    lines: [...BANNER, " ERROR **** INP12B **** INCONSISTENT ITOL SIZE", ERR_STOP],
    exitCode: 1,
    expected: {
      state: "failed",
      reason: "CRYSTAL error in INP12B: INCONSISTENT ITOL SIZE",
      error_snippet: "ERROR **** INP12B **** INCONSISTENT ITOL SIZE",
      final_energy: null,
    },
  },
  {
    name: "classifyRun() quotes the first of several ERROR lines, even when the exit code is 0",
    lines: [
      ...BANNER,
      ...SCF_OK,
      " ERROR **** OPTGEOM **** SCF FAILED - OPTGEOM STOP",
      " ERROR **** f90main **** GEOMETRY OPTIMIZATION FAILED",
      ERR_STOP,
    ],
    exitCode: 0,
    expected: {
      state: "failed",
      reason: "CRYSTAL error in OPTGEOM: SCF FAILED - OPTGEOM STOP",
      error_snippet: "ERROR **** OPTGEOM **** SCF FAILED - OPTGEOM STOP",
      final_energy: MGO_ENERGY,
    },
  },
  {
    name: "classifyRun() fails an error stop that printed no ERROR line",
    lines: [...BANNER, ...SCF_OK, ERR_STOP],
    exitCode: 2,
    expected: {
      state: "failed",
      reason: "Error termination without an ERROR message",
      error_snippet: "Error termination without an ERROR message",
      final_energy: MGO_ENERGY,
    },
  },
  {
    name: "classifyRun() fails a normal termination whose process exited non-zero",
    lines: [...BANNER, ...SCF_OK, ...END],
    exitCode: 1,
    expected: {
      state: "failed",
      reason: "CRYSTAL finished but exit code 1",
      error_snippet: "CRYSTAL finished but exit code 1",
      final_energy: MGO_ENERGY,
    },
  },
  {
    name: "classifyRun() names the signal of a normal termination that exited above 128",
    lines: [...BANNER, ...SCF_OK, ...END],
    exitCode: 139,
    expected: {
      state: "failed",
      reason: "CRYSTAL finished but exit code 139 (signal 11)",
      error_snippet: "CRYSTAL finished but exit code 139 (signal 11)",
      final_energy: MGO_ENERGY,
    },
  },
  {
    name: "classifyRun() fails a non-zero exit that left no output at all",
    lines: [],
    exitCode: 127,
    expected: {
      state: "failed",
      reason: `${KILLED}: exit code 127`,
      error_snippet: `${KILLED}: exit code 127`,
      final_energy: null,
    },
  },
  {
    name: "classifyRun() does not take exit code 0 alone as success",
    lines: [...BANNER, cyc(0, "-2.747683367502E+02")],
    exitCode: 0,
    expected: {
      state: "failed",
      reason: `${KILLED}: exit code 0`,
      error_snippet: `${KILLED}: exit code 0`,
      final_energy: null,
    },
  },
  {
    name: "classifyRun() reads exit code 137 as a SIGKILL, out of memory or killed",
    lines: [...BANNER, cyc(0, "-2.747683367502E+02")],
    exitCode: 137,
    expected: {
      state: "failed",
      reason: `${KILLED}: exit code 137 (SIGKILL: out of memory, or killed)`,
      error_snippet: `${KILLED}: exit code 137 (SIGKILL: out of memory, or killed)`,
      final_energy: null,
    },
  },
  {
    name: "classifyRun() reads a truncated output with no exit code as a killed run",
    lines: [...BANNER, ...SCF_OK, optPoint(2), cyc(0, "-2.747683367502E+02")],
    exitCode: undefined,
    expected: {
      state: "failed",
      reason: `${KILLED}: the process left no exit code (killed, or the machine stopped)`,
      error_snippet: `${KILLED}: the process left no exit code (killed, or the machine stopped)`,
      final_energy: MGO_ENERGY,
    },
  },
  {
    name: "classifyRun() completes an optimisation that reached OPT END - CONVERGED",
    lines: [...BANNER, ...optLines(OPT_CONVERGED), ...END],
    exitCode: 0,
    expected: {
      state: "completed",
      reason: "Normal termination",
      error_snippet: null,
      final_energy: -2.712596206888E+02,
    },
  },
  {
    name: "classifyRun() fails an optimisation that reached OPT END - FAILED",
    lines: [...BANNER, ...optLines(OPT_FAILED), ...END],
    exitCode: 0,
    expected: {
      state: "failed",
      reason: "Geometry optimisation not converged: OPT END - FAILED after 100 points",
      error_snippet: "Geometry optimisation not converged: OPT END - FAILED after 100 points",
      final_energy: -3.323077458663E+03,
    },
  },
  {
    name: "classifyRun() fails an optimisation that terminated normally without any OPT END",
    lines: [...BANNER, ...optLines(""), ...END],
    exitCode: 0,
    expected: {
      state: "failed",
      reason: "Normal termination without OPT END - CONVERGED",
      error_snippet: "Normal termination without OPT END - CONVERGED",
      final_energy: -2.7125962068879E+02,
    },
  },
];

for (const { name, lines, exitCode, expected } of CRYSTAL_CASES) {
  Deno.test(name, () => {
    const { results_json: _, ...outcome } = crystalRun(lines, exitCode);
    assert.deepEqual(outcome, expected);
  });
}

Deno.test("classifyRun() stores the parsed results of a converged SCF in the jobs.get shape", () => {
  const lines = [
    ...BANNER,
    " WARNING **** SHRINK **** MOLECULAR CASE - SHRINKING NOT USED",
    ...SCF_OK,
    " DIRECT ENERGY BAND GAP:   7.1237 eV",
    ...END,
  ];
  assert.deepEqual(resultsOf(crystalRun(lines, 0)), {
    final_energy_ev: MGO_ENERGY * HARTREE_TO_EV,
    convergence_met: true,
    scf_cycles: 1,
    optimization: null,
    frequencies: null,
    band_gap_ev: 7.1237,
    primitive_volume_a3: null,
    atoms_in_cell: null,
    cpu_time_seconds: 8.51,
    wall_time_seconds: 8.56,
    crystal_version: "CRYSTAL23 v1.0.1",
    termination: "normal",
    status_reason: "Normal termination",
    warnings: ["SHRINK: MOLECULAR CASE - SHRINKING NOT USED"],
    errors: [],
    properties: null,
  });
});

Deno.test("classifyRun() stores the errors and the optimisation of a failed OPT", () => {
  const lines = [
    ...BANNER,
    ...optLines(OPT_FAILED),
    " ERROR **** f90main **** GEOMETRY OPTIMIZATION FAILED",
    ERR_STOP,
  ];
  const outcome = crystalRun(lines, 1);
  const results = resultsOf(outcome);
  assert.equal(outcome.state, "failed");
  // OPT END - FAILED is the cause; the f90main ERROR it leads to is the snippet.
  assert.equal(
    outcome.reason,
    "Geometry optimisation not converged: OPT END - FAILED after 100 points",
  );
  assert.equal(outcome.error_snippet, "ERROR **** f90main **** GEOMETRY OPTIMIZATION FAILED");
  assert.deepEqual(results.optimization, { converged: false, steps: 100 });
  assert.deepEqual(results.errors, [
    { routine: "f90main", message: "GEOMETRY OPTIMIZATION FAILED", line: 13 },
  ]);
  assert.equal(results.termination, "error");
  assert.equal(results.final_energy_ev, -3.323077458663E+03 * HARTREE_TO_EV);
});

Deno.test("classifyRun() records an SCF that hit MAXCYCLE as not converged, with its cycles", () => {
  const results = resultsOf(crystalRun([...BANNER, ...SCF_MAXCYCLE, ...END], 0));
  assert.equal(results.convergence_met, false);
  assert.equal(results.scf_cycles, 10);
  assert.equal(results.final_energy_ev, null);
  assert.equal(results.status_reason, "SCF not converged: TOO MANY CYCLES after 10 cycles");
});

Deno.test("classifyRun() keeps the parser's kill hint in the stored results of a killed run", () => {
  const lines = [...BANNER, ...SCF_OK, "forrtl: error (78): process killed (SIGTERM)"];
  const outcome = crystalRun(lines, 143);
  assert.equal(outcome.state, "failed");
  assert.equal(outcome.reason, `${KILLED}: exit code 143 (signal 15)`);
  const results = resultsOf(outcome);
  assert.equal(results.termination, "none");
  assert.equal(results.status_reason, "No termination line: the process was killed (SIGTERM)");
});

// ---------------------------------------------------------------------------------------------
// classifyRun(): the properties phase, combined with the crystal phase's stored results.

function propertiesRun(
  lines: readonly string[],
  exitCode: number | undefined,
  previous: string | null,
): RunOutcome {
  return classifyRun({ output: parse(lines), exitCode, phase: "properties", previous });
}

const CRYSTAL_DONE = crystalRun([...BANNER, ...SCF_OK, ...END], 0).results_json;

Deno.test("classifyRun() completes a properties run and adds its gap beside the SCF results", () => {
  const outcome = propertiesRun(PROPERTIES_OK, 0, CRYSTAL_DONE);
  assert.equal(outcome.state, "completed");
  assert.equal(outcome.reason, "crystal and properties completed");
  assert.equal(outcome.error_snippet, null);
  // The properties run has no energy: the crystal phase's final energy must not be overwritten.
  assert.equal(outcome.final_energy, null);
  assert.deepEqual(resultsOf(outcome), {
    ...resultsOf({ results_json: CRYSTAL_DONE }),
    properties: { status: "completed", band_gap_ev: 7.1237, reason: "Normal termination" },
  });
});

Deno.test("classifyRun() fails a properties run with an ERROR line and keeps the SCF results", () => {
  const outcome = propertiesRun(PROPERTIES_ERROR, 1, CRYSTAL_DONE);
  assert.equal(outcome.state, "failed");
  assert.equal(outcome.reason, "properties failed: CRYSTAL error in NEWK: WAVE FUNCTION NOT FOUND");
  assert.equal(outcome.error_snippet, "ERROR **** NEWK **** WAVE FUNCTION NOT FOUND");
  assert.equal(outcome.final_energy, null);
  const results = resultsOf(outcome);
  assert.equal(results.final_energy_ev, MGO_ENERGY * HARTREE_TO_EV);
  assert.equal(results.status_reason, "Normal termination");
  assert.deepEqual(results.properties, {
    status: "failed",
    band_gap_ev: null,
    reason: "CRYSTAL error in NEWK: WAVE FUNCTION NOT FOUND",
  });
});

Deno.test("classifyRun() fails a properties run that was killed, saying it was the properties", () => {
  const outcome = propertiesRun(PROPERTIES_OK.slice(0, 5), undefined, CRYSTAL_DONE);
  assert.equal(outcome.state, "failed");
  assert.equal(
    outcome.reason,
    `properties failed: ${KILLED}: the process left no exit code (killed, or the machine stopped)`,
  );
  assert.equal(resultsOf(outcome).properties?.status, "failed");
  assert.equal(resultsOf(outcome).properties?.band_gap_ev, 7.1237);
});

Deno.test("classifyRun() fails a properties run that terminated normally but exited non-zero", () => {
  const outcome = propertiesRun(PROPERTIES_OK, 2, CRYSTAL_DONE);
  assert.equal(outcome.state, "failed");
  assert.equal(outcome.reason, "properties failed: CRYSTAL finished but exit code 2");
  assert.equal(outcome.error_snippet, "CRYSTAL finished but exit code 2");
});

Deno.test("classifyRun() starts from empty results for a properties run with none stored", () => {
  const results = resultsOf(propertiesRun(PROPERTIES_OK, 0, null));
  assert.equal(results.final_energy_ev, null);
  assert.equal(results.scf_cycles, null);
  assert.deepEqual(results.warnings, []);
  assert.deepEqual(results.properties, {
    status: "completed",
    band_gap_ev: 7.1237,
    reason: "Normal termination",
  });
});

// ---------------------------------------------------------------------------------------------
// outcomeFields(): the columns a finished run writes.

Deno.test("outcomeFields() writes energy, exit code and 100 % for a completed run", () => {
  const outcome = crystalRun([...BANNER, ...SCF_OK, ...END], 0);
  assert.deepEqual(outcomeFields(outcome, 0), {
    results_json: outcome.results_json,
    error_snippet: null,
    exit_code: 0,
    final_energy: MGO_ENERGY,
    progress_percent: 100,
  });
});

Deno.test("outcomeFields() leaves progress and an absent energy alone for a failed run", () => {
  const outcome = crystalRun([...BANNER, cyc(0, "-2.747683367502E+02")], undefined);
  assert.deepEqual(outcomeFields(outcome, undefined), {
    results_json: outcome.results_json,
    error_snippet: outcome.reason,
    exit_code: null,
  });
});

Deno.test("outcomeFields() keeps the energy of a failed run that printed one", () => {
  const outcome = crystalRun([...BANNER, ...SCF_OK, ...END], 1);
  const fields = outcomeFields(outcome, 1);
  assert.equal(fields.final_energy, MGO_ENERGY);
  assert.equal(fields.exit_code, 1);
  assert.equal("progress_percent" in fields, false);
});

Deno.test("outcomeFields() does not overwrite the crystal energy after a properties run", () => {
  const fields = outcomeFields(propertiesRun(PROPERTIES_OK, 0, CRYSTAL_DONE), 0);
  assert.equal("final_energy" in fields, false);
  assert.equal(fields.progress_percent, 100);
});

// ---------------------------------------------------------------------------------------------
// progressLimits() and progressOf().

const MGO_GEOMETRY = [
  "MgO",
  "CRYSTAL",
  "0 0 0",
  "225",
  "4.21",
  "2",
  "12 0.0 0.0 0.0",
  "8 0.5 0.5 0.5",
];
const MGO_BASIS = [
  "END",
  "12 3",
  "1 0 3 2.0 1.0",
  "1 1 3 8.0 1.0",
  "1 1 3 2.0 1.0",
  "8 2",
  "1 0 3 2.0 1.0",
  "1 1 3 6.0 1.0",
  "99 0",
  "END",
];

function deck(optgeom: string[], scf: string[]): string {
  return [...MGO_GEOMETRY, ...optgeom, ...MGO_BASIS, "SHRINK", "8 8", ...scf, "END"].join("\n") +
    "\n";
}

const LIMITS: { name: string; input: string; expected: ProgressLimits }[] = [
  {
    name: "progressLimits() uses CRYSTAL's defaults for a single point without MAXCYCLE",
    input: deck([], []),
    expected: { maxScfCycles: 50, maxOptSteps: null },
  },
  {
    name: "progressLimits() reads the SCF MAXCYCLE of block 3",
    input: deck([], ["MAXCYCLE", "120"]),
    expected: { maxScfCycles: 120, maxOptSteps: null },
  },
  {
    name: "progressLimits() gives an OPTGEOM without MAXCYCLE the default of 100 steps",
    input: deck(["OPTGEOM", "FULLOPTG", "ENDOPT"], []),
    expected: { maxScfCycles: 50, maxOptSteps: 100 },
  },
  {
    name: "progressLimits() reads MAXCYCLE inside OPTGEOM apart from the SCF one",
    input: deck(["OPTGEOM", "MAXCYCLE", "40", "ENDOPT"], ["MAXCYCLE", "120"]),
    expected: { maxScfCycles: 120, maxOptSteps: 40 },
  },
  {
    name: "progressLimits() falls back to the defaults for a deck that does not parse",
    input: "MgO\nCRYSTAL\n0 0 0\n",
    expected: { maxScfCycles: 50, maxOptSteps: null },
  },
];

for (const { name, input, expected } of LIMITS) {
  Deno.test(name, () => assert.deepEqual(progressLimits(input), expected));
}

fixtureTest("progressLimits() reads the limits of the real decks", () => {
  const expected: Record<string, ProgressLimits> = {
    "crysinp_mgo.d12": { maxScfCycles: 200, maxOptSteps: null },
    "mgo_sto3g_opt.crystal.d12": { maxScfCycles: 50, maxOptSteps: 100 },
    "nio_sto3g_afm_scf_maxcyc.d12": { maxScfCycles: 10, maxOptSteps: null },
    "s2_molecule_opt.d12": { maxScfCycles: 250, maxOptSteps: 100 },
  };
  for (const [file, limits] of Object.entries(expected)) {
    assert.deepEqual(progressLimits(readCrystalFixture(file)), limits, file);
  }
});

const SCF_ONLY: ProgressLimits = { maxScfCycles: 200, maxOptSteps: null };
const OPT_40: ProgressLimits = { maxScfCycles: 50, maxOptSteps: 40 };

const PROGRESS: {
  name: string;
  lines: string[];
  limits: ProgressLimits;
  phase: RunPhase;
  expected: number;
}[] = [
  {
    name: "progressOf() is 0 before the first SCF cycle",
    lines: BANNER,
    limits: SCF_ONLY,
    phase: "crystal",
    expected: 0,
  },
  {
    name: "progressOf() is 0, not NaN, for a deck with MAXCYCLE 0 before any cycle",
    lines: BANNER,
    limits: { maxScfCycles: 0, maxOptSteps: null },
    phase: "crystal",
    expected: 0,
  },
  {
    name: "progressOf() measures SCF cycles against the deck's MAXCYCLE, to one decimal",
    lines: [...BANNER, cyc(0, "-1.0E+02"), cyc(7, "-1.1E+02")],
    limits: SCF_ONLY,
    phase: "crystal",
    expected: 3.5,
  },
  {
    name: "progressOf() prefers the MAXCYCLE the output prints over the deck's",
    lines: [
      ...BANNER,
      " MAX NUMBER OF SCF CYCLES      30  CONVERGENCE ON DELTAP        10**-16",
      cyc(0, "-1.0E+02"),
      cyc(10, "-1.1E+02"),
    ],
    limits: SCF_ONLY,
    phase: "crystal",
    expected: 33.3,
  },
  {
    name: "progressOf() stays below 100 when the SCF reaches MAXCYCLE",
    lines: [...BANNER, ...SCF_MAXCYCLE],
    limits: SCF_ONLY,
    phase: "crystal",
    expected: 99,
  },
  {
    name: "progressOf() measures an optimisation by its points, not its SCF cycles",
    lines: [...BANNER, optPoint(1), ...SCF_OK, optPoint(6), cyc(0, "-1.0E+02")],
    limits: OPT_40,
    phase: "crystal",
    expected: 15,
  },
  {
    name: "progressOf() is 0 for an optimisation before its first point",
    lines: [...BANNER, ...SCF_OK],
    limits: OPT_40,
    phase: "crystal",
    expected: 0,
  },
  {
    name: "progressOf() stays below 100 for an optimisation past its MAXCYCLE",
    lines: [...BANNER, optPoint(45)],
    limits: OPT_40,
    phase: "crystal",
    expected: 99,
  },
  {
    name: "progressOf() is 99 while the properties run",
    lines: BANNER,
    limits: SCF_ONLY,
    phase: "properties",
    expected: 99,
  },
];

for (const { name, lines, limits, phase, expected } of PROGRESS) {
  Deno.test(name, () => assert.equal(progressOf(parse(lines), limits, phase), expected));
}

// ---------------------------------------------------------------------------------------------
// The real outputs in ../shared/fixtures/crystal, classified as a runner would.

function classifyFixture(file: string, exitCode: number | undefined): RunOutcome {
  const output = parse(readCrystalFixture(file).split("\n"));
  return classifyRun({ output, exitCode, phase: "crystal", previous: null });
}

const REAL: { file: string; exitCode: number | undefined; expected: Case["expected"] }[] = [
  {
    file: "out_mgoSCF.out",
    exitCode: 0,
    expected: {
      state: "completed",
      reason: "Normal termination",
      error_snippet: null,
      final_energy: -2.7544859113743E+02,
    },
  },
  {
    file: "nio_sto3g_afm_scf_maxcyc.out",
    exitCode: 0,
    expected: {
      state: "failed",
      reason: "SCF not converged: TOO MANY CYCLES after 10 cycles",
      error_snippet: "SCF not converged: TOO MANY CYCLES after 10 cycles",
      final_energy: null,
    },
  },
  {
    file: "conv_mgo100.out",
    exitCode: 1,
    expected: {
      state: "failed",
      reason: "CRYSTAL error in INP12B: INCONSISTENT ITOL SIZE",
      error_snippet: "ERROR **** INP12B **** INCONSISTENT ITOL SIZE",
      final_energy: null,
    },
  },
  {
    file: "failed_elastic.out",
    exitCode: 1,
    expected: {
      state: "failed",
      reason: "CRYSTAL error in OPTGEOM: SCF FAILED - OPTGEOM STOP",
      error_snippet: "ERROR **** OPTGEOM **** SCF FAILED - OPTGEOM STOP",
      final_energy: -2385.8477070099,
    },
  },
  {
    file: "nio_sto3g_afm_opt_walltime.out",
    exitCode: undefined,
    expected: {
      state: "failed",
      reason: `${KILLED}: the process left no exit code (killed, or the machine stopped)`,
      error_snippet: `${KILLED}: the process left no exit code (killed, or the machine stopped)`,
      final_energy: -3128.3182941933,
    },
  },
  {
    file: "mgo_sto3g_opt.crystal.out",
    exitCode: 0,
    expected: {
      state: "completed",
      reason: "Normal termination",
      error_snippet: null,
      final_energy: -2.712596206888E+02,
    },
  },
  {
    file: "FAILED_GEOM_mackinawite_opt.out",
    exitCode: 1,
    expected: {
      state: "failed",
      reason: "Geometry optimisation not converged: OPT END - FAILED after 100 points",
      error_snippet: "ERROR **** f90main **** GEOMETRY OPTIMIZATION FAILED",
      final_energy: -3.323077458663E+03,
    },
  },
];

fixtureTest("classifyRun() classifies each real output as the domain brief says", () => {
  for (const { file, exitCode, expected } of REAL) {
    const { results_json: _, ...outcome } = classifyFixture(file, exitCode);
    assert.deepEqual(outcome, expected, file);
  }
});

fixtureTest("classifyRun() stores the final geometry of the real converged OPT", () => {
  const results = resultsOf(classifyFixture("mgo_sto3g_opt.crystal.out", 0));
  assert.equal(results.optimization?.converged, true);
  assert.equal(results.optimization?.steps, 6);
  const geometry = results.optimization?.final_geometry as { dimensionality: number } | undefined;
  assert.equal(geometry?.dimensionality, 3);
});

fixtureTest("classifyRun() combines the real MgO SCF with its real BAND properties run", () => {
  const crystal = classifyFixture("out_mgoSCF.out", 0);
  const output = parse(readCrystalFixture("out_mgo.outp").split("\n"));
  const outcome = classifyRun({
    output,
    exitCode: 0,
    phase: "properties",
    previous: crystal.results_json,
  });
  assert.equal(outcome.state, "completed");
  assert.equal(outcome.reason, "crystal and properties completed");
  const results = resultsOf(outcome);
  assert.equal(results.final_energy_ev, -2.7544859113743E+02 * HARTREE_TO_EV);
  assert.equal(results.scf_cycles, 7);
  assert.deepEqual(results.properties, {
    status: "completed",
    band_gap_ev: 7.1237,
    reason: "Normal termination",
  });
});
