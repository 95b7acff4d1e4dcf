/**
 * SLURM job states and what they mean for a tracked job. squeue, sacct and scontrol print one
 * word per job: the base state, or a recognised flag shown in its place (COMPLETING, REQUEUED...).
 *
 * @module
 */

/** What the daemon tracks about a SLURM job. */
export type TrackedState = "queued" | "running" | "completed" | "failed" | "cancelled" | "unknown";

interface StateInfo {
  code: string;
  tracked: TrackedState;
  isTerminal: boolean;
}

/**
 * Every state and flag squeue prints, by long name, with its compact code (squeue `%t`). The
 * mapping is the one recommended in the project's HPC notes, §1.
 */
const STATES = {
  PENDING: { code: "PD", tracked: "queued", isTerminal: false },
  CONFIGURING: { code: "CF", tracked: "queued", isTerminal: false },
  RESV_DEL_HOLD: { code: "RD", tracked: "queued", isTerminal: false },
  REQUEUED: { code: "RQ", tracked: "queued", isTerminal: false },
  REQUEUE_HOLD: { code: "RH", tracked: "queued", isTerminal: false },
  REQUEUE_FED: { code: "RF", tracked: "queued", isTerminal: false },
  SPECIAL_EXIT: { code: "SE", tracked: "queued", isTerminal: false },
  RUNNING: { code: "R", tracked: "running", isTerminal: false },
  COMPLETING: { code: "CG", tracked: "running", isTerminal: false },
  SIGNALING: { code: "SI", tracked: "running", isTerminal: false },
  STAGE_OUT: { code: "SO", tracked: "running", isTerminal: false },
  RESIZING: { code: "RS", tracked: "running", isTerminal: false },
  SUSPENDED: { code: "S", tracked: "running", isTerminal: false },
  STOPPED: { code: "ST", tracked: "running", isTerminal: false },
  COMPLETED: { code: "CD", tracked: "completed", isTerminal: true },
  FAILED: { code: "F", tracked: "failed", isTerminal: true },
  TIMEOUT: { code: "TO", tracked: "failed", isTerminal: true },
  NODE_FAIL: { code: "NF", tracked: "failed", isTerminal: true },
  OUT_OF_MEMORY: { code: "OOM", tracked: "failed", isTerminal: true },
  BOOT_FAIL: { code: "BF", tracked: "failed", isTerminal: true },
  DEADLINE: { code: "DL", tracked: "failed", isTerminal: true },
  // With PreemptMode=REQUEUE a preempted job goes back to PENDING, so this is only usually final.
  PREEMPTED: { code: "PR", tracked: "failed", isTerminal: true },
  CANCELLED: { code: "CA", tracked: "cancelled", isTerminal: true },
  // A federation sibling runs the job on another cluster: it is over here, outcome unknown.
  REVOKED: { code: "RV", tracked: "unknown", isTerminal: true },
} as const satisfies Record<string, StateInfo>;

/** Long names and compact codes, both upper case, to what they mean. */
const LOOKUP: ReadonlyMap<string, StateInfo> = new Map(
  Object.entries(STATES).flatMap(([name, info]) => [[name, info], [info.code, info]]),
);

/** The long name or code of a state word, e.g. "CANCELLED by 0" → "CANCELLED", "RUNNING+" → "RUNNING". */
function stateWord(state: string): string {
  // sacct appends who cancelled ("CANCELLED by 1000") and marks truncated columns with "+".
  const first = state.trim().split(/\s+/, 1)[0] ?? "";
  return first.replace(/\++$/, "").toUpperCase();
}

function lookUp(state: string): StateInfo | undefined {
  return LOOKUP.get(stateWord(state));
}

/**
 * Maps a SLURM state (compact code like "PD"/"R"/"CD" or long name like "PENDING"/"COMPLETED",
 * possibly with flags/suffixes like "CANCELLED by 0" or "RUNNING+"), per hpc-notes §1
 * recommended mapping. Unknown codes → "unknown".
 */
export function mapSlurmState(state: string): TrackedState {
  return lookUp(state)?.tracked ?? "unknown";
}

/** True when a SLURM state (code or long name) is final: the job will not run again here. */
export function isTerminalSlurmState(state: string): boolean {
  return lookUp(state)?.isTerminal ?? false;
}
