import assert from "node:assert/strict";
import {
  isTerminalSlurmState,
  mapSlurmState,
  type TrackedState,
} from "../../../server/slurm/states.ts";

/** Every code of the HPC notes' §1 table: compact code, long name, tracked state, terminal. */
const TABLE: [string, string, TrackedState, boolean][] = [
  ["PD", "PENDING", "queued", false],
  ["CF", "CONFIGURING", "queued", false],
  ["RD", "RESV_DEL_HOLD", "queued", false],
  ["RQ", "REQUEUED", "queued", false],
  ["RH", "REQUEUE_HOLD", "queued", false],
  ["RF", "REQUEUE_FED", "queued", false],
  ["SE", "SPECIAL_EXIT", "queued", false],
  ["R", "RUNNING", "running", false],
  ["CG", "COMPLETING", "running", false],
  ["SI", "SIGNALING", "running", false],
  ["SO", "STAGE_OUT", "running", false],
  ["RS", "RESIZING", "running", false],
  ["S", "SUSPENDED", "running", false],
  ["ST", "STOPPED", "running", false],
  ["CD", "COMPLETED", "completed", true],
  ["F", "FAILED", "failed", true],
  ["TO", "TIMEOUT", "failed", true],
  ["NF", "NODE_FAIL", "failed", true],
  ["OOM", "OUT_OF_MEMORY", "failed", true],
  ["BF", "BOOT_FAIL", "failed", true],
  ["DL", "DEADLINE", "failed", true],
  ["PR", "PREEMPTED", "failed", true],
  ["CA", "CANCELLED", "cancelled", true],
  ["RV", "REVOKED", "unknown", true],
];

for (const [code, name, tracked, isTerminal] of TABLE) {
  Deno.test(`mapSlurmState() maps ${code} and ${name} to ${tracked}`, () => {
    assert.equal(mapSlurmState(code), tracked);
    assert.equal(mapSlurmState(name), tracked);
    assert.equal(isTerminalSlurmState(code), isTerminal);
    assert.equal(isTerminalSlurmState(name), isTerminal);
  });
}

Deno.test("mapSlurmState() reads states with suffixes, padding and lower case as sacct and squeue print them", () => {
  const cases: [string, TrackedState, boolean][] = [
    ["CANCELLED by 0", "cancelled", true],
    ["CANCELLED by 1000", "cancelled", true],
    ["RUNNING+", "running", false],
    ["COMPLETED+", "completed", true],
    ["  PD  ", "queued", false],
    ["cd", "completed", true],
    ["Timeout", "failed", true],
  ];
  for (const [state, tracked, isTerminal] of cases) {
    assert.equal(mapSlurmState(state), tracked, state);
    assert.equal(isTerminalSlurmState(state), isTerminal, state);
  }
});

Deno.test("mapSlurmState() maps unrecognised states to unknown, and they are not terminal", () => {
  // Flags squeue never prints in place of the base state, and garbage.
  for (
    const state of ["POWER_UP_NODE", "LAUNCH_FAILED", "UPDATE_DB", "?", "", "XX", "constructor"]
  ) {
    assert.equal(mapSlurmState(state), "unknown", state);
    assert.equal(isTerminalSlurmState(state), false, state);
  }
});
