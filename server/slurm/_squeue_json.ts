/**
 * Reading one job of `squeue --json` into the fields squeue's text output would show, across
 * the JSON shapes of SLURM 22.05 and later.
 *
 * @module
 */
import { words } from "./_fields.ts";
import type { QueueEntry } from "./parse.ts";

/** A JSON object. */
export type Json = Record<string, unknown>;

/** True for a JSON object (not null, not an array). */
export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A number from the JSON: plain in 22.05, `{set, infinite, number}` since 23.02. Unset → null,
 * infinite → Infinity.
 */
function jsonNumber(value: unknown): number | null {
  if (typeof value === "number") return value;
  if (!isObject(value)) return null;
  if (value.infinite === true) return Infinity;
  return value.set === false || typeof value.number !== "number" ? null : value.number;
}

function jsonString(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** State flags squeue prints in place of the base state, in the order SLURM's job_state_string() checks them. */
const SHOWN_FLAGS: readonly string[] = words(`
  COMPLETING STAGE_OUT CONFIGURING RESIZING REQUEUED REQUEUE_FED REQUEUE_HOLD SPECIAL_EXIT STOPPED
  REVOKED RESV_DEL_HOLD SIGNALING
`);

function stateWords(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value)
    ? value.filter((word): word is string => typeof word === "string")
    : [];
}

/** The word squeue would print: a string in 22.05, a list (base state, then flags) since 23.11. */
function jsonState(value: unknown): string {
  const words = stateWords(value);
  return SHOWN_FLAGS.find((flag) => words.includes(flag)) ?? words[0] ?? "";
}

/** Formats seconds as squeue does: "M:SS", "H:MM:SS" or "D-HH:MM:SS". */
function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  const [days, hours, minutes] = [
    Math.floor(s / 86400),
    Math.floor(s / 3600) % 24,
    Math.floor(s / 60) % 60,
  ];
  if (days > 0) return `${days}-${pad(hours)}:${pad(minutes)}:${pad(s % 60)}`;
  if (hours > 0) return `${hours}:${pad(minutes)}:${pad(s % 60)}`;
  return `${minutes}:${pad(s % 60)}`;
}

/** The job id as squeue's %i prints it: `123`, array task `100_5`, pending array `100_[1-9]`, het `7+1`. */
function jsonJobId(job: Json): string {
  const arrayJob = jsonNumber(job.array_job_id) ?? 0;
  const task = jsonNumber(job.array_task_id);
  const taskString = jsonString(job.array_task_string);
  if (arrayJob > 0 && task !== null && Number.isFinite(task)) return `${arrayJob}_${task}`;
  if (arrayJob > 0 && taskString !== "") return `${arrayJob}_[${taskString}]`;
  const het = jsonNumber(job.het_job_id) ?? 0;
  if (het > 0) return `${het}+${jsonNumber(job.het_job_offset) ?? 0}`;
  const id = job.job_id;
  return typeof id === "string" ? id : String(jsonNumber(id) ?? "");
}

/** Time used, computed as squeue does it (the JSON carries only timestamps). */
function jsonTimeUsed(job: Json, state: string, now: number): string {
  const base = stateWords(job.job_state)[0] ?? "";
  if (base === "PENDING") return formatDuration(0);
  const preSuspend = jsonNumber(job.pre_sus_time) ?? 0;
  if (state === "SUSPENDED") return formatDuration(preSuspend);
  const start = jsonNumber(job.start_time) ?? 0;
  const endTime = jsonNumber(job.end_time) ?? 0;
  const end = base === "RUNNING" || endTime === 0 ? now : endTime;
  const suspended = jsonNumber(job.suspend_time) ?? 0;
  return formatDuration(suspended > 0 ? end - suspended + preSuspend : end - start);
}

/** The time limit as squeue prints it; 22.05 writes an unlimited limit as null. */
function jsonTimeLimit(value: unknown): string {
  const minutes = jsonNumber(value);
  if (minutes === Infinity || (minutes === null && !isObject(value))) return "UNLIMITED";
  return minutes === null ? "NOT_SET" : formatDuration(minutes * 60);
}

/** The messages of the `errors` list squeue --json reports. */
export function jsonErrors(errors: unknown): string[] {
  if (!Array.isArray(errors)) return [];
  return errors.map((error) =>
    isObject(error)
      ? jsonString(error.description) || jsonString(error.error) || JSON.stringify(error)
      : String(error)
  );
}

/** The queue entry of one job of `squeue --json`; `now` (seconds) computes time_used. */
export function queueEntryOfJob(job: Json, now: number): QueueEntry {
  const state = jsonState(job.job_state);
  const nodes = jsonNumber(job.node_count);
  return {
    job_id: jsonJobId(job),
    name: jsonString(job.name),
    user: jsonString(job.user_name),
    partition: jsonString(job.partition),
    state,
    nodes: nodes !== null && Number.isFinite(nodes) ? nodes : null,
    time_used: jsonTimeUsed(job, state, now),
    time_limit: jsonTimeLimit(job.time_limit),
    node_list: typeof job.nodes === "string"
      ? job.nodes
      : Array.isArray(job.nodes)
      ? job.nodes.filter((n) => typeof n === "string").join(",")
      : "",
    state_reason: jsonString(job.state_reason),
  };
}
