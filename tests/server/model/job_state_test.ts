import assert from "node:assert/strict";
import {
  canTransition,
  isTerminal,
  JOB_STATES,
  type JobState,
} from "../../../server/model/job_state.ts";

Deno.test("canTransition() allows the lifecycle and refuses leaving a terminal state", () => {
  const allowed: [JobState, JobState][] = [
    ["created", "queued"],
    ["queued", "running"],
    ["running", "completed"],
    ["running", "failed"],
    ["running", "cancelled"],
    ["queued", "cancelled"],
    ["unknown", "running"],
    ["submitted", "queued"],
    ["queued", "completed"],
    // A launch whose outcome is unknown (SSH dropped while sbatch ran).
    ["created", "unknown"],
  ];
  for (const [from, to] of allowed) assert.ok(canTransition(from, to), `${from} → ${to}`);
  const refused: [JobState, JobState][] = [
    ["completed", "running"],
    ["failed", "queued"],
    ["cancelled", "completed"],
    ["running", "queued"],
    ["running", "created"],
    ["queued", "created"],
  ];
  for (const [from, to] of refused) assert.ok(!canTransition(from, to), `${from} → ${to}`);
  for (const state of JOB_STATES) {
    if (isTerminal(state)) {
      for (const to of JOB_STATES) assert.ok(!canTransition(state, to), `${state} → ${to}`);
    }
  }
});
