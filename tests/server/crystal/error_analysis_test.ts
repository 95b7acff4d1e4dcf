import assert from "node:assert/strict";
import {
  type AnalysisStatus,
  analyzeCrystalOutput,
  type IssuePattern,
} from "../../../server/crystal/error_analysis.ts";
import { fixtureTest, listCrystalFixtures, readCrystalFixture } from "../../_fixtures.ts";

// ---------------------------------------------------------------------------------------------
// Synthetic outputs: one case per pattern and per branch, no I/O.

const START = [
  " *                               CRYSTAL23                                     *",
  " *                      public : 1.0.1 - October 2022                          *",
  " EEEEEEEEEE STARTING  DATE 01 01 2024 TIME 10:00:00.0",
  " CYC   0 ETOT(AU) -2.747683367502E+02 DETOT -2.75E+02 tst  0.00E+00 PX  1.00E+00",
];
const END = [
  " TTTTTTTTTTTTTTTTTTTTTTTTTTTTTT END         TELAPSE        8.56 TCPU        8.51",
  " EEEEEEEEEE TERMINATION  DATE 01 01 2024 TIME 10:00:08.6",
];
const ERR = " TTTTTTTTTTTTTTTTTTTTTTTTTTTTTT ERR         TELAPSE        2.58 TCPU        0.58";

interface Case {
  name: string;
  lines: string[];
  isRunning?: boolean;
  status: AnalysisStatus;
  issues: [IssuePattern, number | null][];
  /** Text every suggestion, in order, must contain. */
  hints?: string[];
}

const CASES: Case[] = [
  {
    name: "analyzeCrystalOutput() reports an empty output as no_output",
    lines: [],
    status: "unknown",
    issues: [["no_output", null]],
    hints: [".err"],
  },
  {
    name: "analyzeCrystalOutput() reports nothing for an empty output while the job runs",
    lines: [],
    isRunning: true,
    status: "running",
    issues: [],
  },
  {
    name:
      "analyzeCrystalOutput() reports a truncated output as killed at the walltime, at its last line",
    lines: [...START, "", ""],
    status: "failed",
    issues: [["killed_walltime", 4]],
    hints: ["#SBATCH --time"],
  },
  {
    name: "analyzeCrystalOutput() reports nothing for a truncated output while the job runs",
    lines: START,
    isRunning: true,
    status: "running",
    issues: [],
  },
  {
    name:
      "analyzeCrystalOutput() reports a SLURM time limit as killed_walltime, even with a SIGKILL",
    lines: [
      ...START,
      "slurmstepd: error: *** JOB 42 ON n1 CANCELLED AT 2024-01-01T10:00:00 DUE TO TIME LIMIT ***",
      "srun: error: n1: task 0: Killed",
      "Killed",
    ],
    status: "failed",
    issues: [["killed_walltime", 5]],
  },
  {
    name: "analyzeCrystalOutput() reports an explicit memory message as out_of_memory",
    lines: [...START, "forrtl: severe (41): insufficient virtual memory"],
    status: "failed",
    issues: [["out_of_memory", 5]],
    hints: ["--mem-per-cpu"],
  },
  {
    name: "analyzeCrystalOutput() reports a SLURM oom-kill as out_of_memory",
    lines: [...START, "slurmstepd: error: Detected 1 oom-kill event(s) in StepId=42.0 cgroup."],
    status: "failed",
    issues: [["out_of_memory", 5]],
  },
  {
    name: "analyzeCrystalOutput() reports a bare SIGKILL as a likely out_of_memory",
    lines: [...START, "Killed"],
    status: "failed",
    issues: [["out_of_memory", 5]],
    hints: ["sacct"],
  },
  {
    name: "analyzeCrystalOutput() reports an ERROR about memory as out_of_memory",
    lines: [...START, " ERROR **** CRYALLOC **** INSUFFICIENT MEMORY", ERR],
    status: "failed",
    issues: [["out_of_memory", 5]],
  },
  {
    name: "analyzeCrystalOutput() reports a basis-set ERROR as basis_set_error",
    lines: [...START, " ERROR **** CHOLSK **** BASIS SET LINEARLY DEPENDENT", ERR],
    status: "failed",
    issues: [["basis_set_error", 5]],
    hints: ["99 0"],
  },
  {
    name: "analyzeCrystalOutput() reports an input ERROR as input_error",
    lines: [...START, " ERROR **** RDINP **** KEYWORD SHRNK NOT ALLOWED", ERR],
    status: "failed",
    issues: [["input_error", 5]],
    hints: ["END"],
  },
  {
    name: "analyzeCrystalOutput() reports any other ERROR as crystal_error, once per message",
    lines: [
      ...START,
      " ERROR **** FOO **** SOMETHING ODD",
      " ERROR **** FOO **** SOMETHING ODD",
      " ERROR **** BAR **** SOMETHING ELSE",
      ERR,
    ],
    status: "failed",
    issues: [["crystal_error", 5], ["crystal_error", 7]],
    hints: ["FOO", "BAR"],
  },
  {
    name: "analyzeCrystalOutput() suggests smearing first for a metal whose SCF did not converge",
    lines: [
      ...START,
      " POSSIBLY CONDUCTING STATE - EFERMI(AU) -1.4369862E-01 (RES. CHARGE  8.12E-11;IT. 16)",
      " == SCF ENDED - TOO MANY CYCLES            E(AU) -2.7476833675020E+02 CYCLES   0",
      ...END,
    ],
    status: "failed",
    issues: [["scf_not_converged", 6]],
    hints: ["The output reports a conducting state, so try smearing first"],
  },
  {
    name: "analyzeCrystalOutput() reports nothing for a converged run",
    lines: [
      ...START,
      " == SCF ENDED - CONVERGENCE ON ENERGY      E(AU) -2.7476833675020E+02 CYCLES   0",
      ...END,
    ],
    status: "completed",
    issues: [],
  },
];

for (const { name, lines, isRunning, status, issues, hints = [] } of CASES) {
  Deno.test(name, () => {
    const result = analyzeCrystalOutput(lines.join("\n"), isRunning ? { isRunning } : {});
    assert.equal(result.status, status);
    assert.deepEqual(result.issues.map((issue) => [issue.pattern, issue.line]), issues);
    hints.forEach((hint, i) => assert.ok(result.issues[i]?.suggestion.includes(hint), hint));
    for (const issue of result.issues) {
      assert.ok(issue.message.length > 0 && issue.suggestion.length > 0, issue.pattern);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The real outputs in ../shared/fixtures/crystal.

interface FixtureCase {
  status: AnalysisStatus;
  issues: [IssuePattern, number | null][];
  /** Text the first suggestion must contain (deck lines are newline-separated). */
  hints?: string[];
}

const NONE: FixtureCase = { status: "completed", issues: [] };

const FIXTURES: Record<string, FixtureCase> = {
  "FAILED_GEOM_mackinawite_opt.out": {
    status: "failed",
    // OPT END - FAILED; the ERROR **** f90main **** that follows is the same failure.
    issues: [["optimization_not_converged", 5037]],
    hints: [
      "100 points of 100",
      "OPTGEOM\nMAXCYCLE\n200\nENDOPT",
      "OPTINFO.DAT",
      "EXTERNAL",
      "FLAT SURFACE",
    ],
  },
  "Na2O.out": NONE,
  "conv_mgo100.out": {
    status: "failed",
    issues: [["inconsistent_itol_size", 395]],
    hints: ["GUESSP", "TOLINTEG\n7 7 7 7 14"],
  },
  "failed_elastic.out": {
    status: "failed",
    issues: [["scf_not_converged", 1174]],
    hints: [
      "optimise the structure",
      "MAXCYCLE\n200",
      "FMIXING\n70",
      "LEVSHIFT\n5 1",
      "SMEAR\n0.005",
    ],
  },
  "mgo_sto3g_opt.crystal.out": NONE,
  "nio_sto3g_afm_opt_walltime.out": {
    status: "failed",
    // The first `forrtl: error (78): process killed (SIGTERM)` line.
    issues: [["killed_walltime", 1537]],
    hints: ["#SBATCH --time", "RESTART inside OPTGEOM", "optcNNN"],
  },
  "nio_sto3g_afm_scf_maxcyc.out": {
    status: "failed",
    issues: [["scf_not_converged", 580]],
    hints: ["the limit was 10", "MAXCYCLE\n200", "FMIXING\n70", "LEVSHIFT\n5 1", "SMEAR\n0.005"],
  },
  "out_coOpt.out": NONE,
  "out_mgo.outp": NONE,
  "out_mgoOpt.out": NONE,
  "out_mgoSCF.out": NONE,
  "s2_molecule_opt.out": NONE,
  "spec_dryIceIR.out": NONE,
};

fixtureTest("analyzeCrystalOutput() has expectations for every .out and .outp fixture", () => {
  assert.deepEqual(listCrystalFixtures(".out", ".outp"), Object.keys(FIXTURES).sort());
});

for (const [name, { status, issues, hints = [] }] of Object.entries(FIXTURES)) {
  fixtureTest(`analyzeCrystalOutput() explains ${name}`, () => {
    const result = analyzeCrystalOutput(readCrystalFixture(name));
    assert.equal(result.status, status);
    assert.deepEqual(result.issues.map((issue) => [issue.pattern, issue.line]), issues);
    for (const hint of hints) assert.ok(result.issues[0]?.suggestion.includes(hint), hint);
  });
}

fixtureTest(
  "analyzeCrystalOutput() reports no walltime issue for nio_sto3g_afm_opt_walltime.out while it runs",
  () => {
    const result = analyzeCrystalOutput(readCrystalFixture("nio_sto3g_afm_opt_walltime.out"), {
      isRunning: true,
    });
    assert.deepEqual(result, { status: "running", issues: [] });
  },
);
