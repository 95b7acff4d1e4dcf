/**
 * Parsers for what SLURM's commands print: squeue (text and `--json`), sbatch `--parsable`,
 * `scontrol show job -o`, `sacct -P` (accounting or `-c` job completion) and the durations they
 * use. Pure functions; formats checked against SLURM 22.05 (Debian bookworm) and newer JSON shapes.
 *
 * @module
 */
import {
  countOrNull,
  exitPair,
  lines,
  SEPARATOR,
  splitFields,
  valueOrNull,
  words,
} from "./_fields.ts";
import { keyValues } from "./_key_values.ts";
import { isObject, jsonErrors, queueEntryOfJob } from "./_squeue_json.ts";

/** One job as `slurm.queue` reports it. */
export interface QueueEntry {
  job_id: string;
  name: string;
  user: string;
  partition: string;
  /** Long state name as squeue prints it, e.g. PENDING, or a flag shown instead such as COMPLETING. */
  state: string;
  nodes: number | null;
  time_used: string;
  time_limit: string;
  node_list: string;
  state_reason: string;
}

/** squeue fields: id, partition, user, long state, nodes, time used, limit, node list, reason, name. */
const SQUEUE_FIELDS = ["%i", "%P", "%u", "%T", "%D", "%M", "%l", "%N", "%r", "%j"] as const;

/**
 * The squeue format string we always pass with -o (fields joined by a separator that job names we
 * generate cannot contain; %j LAST).
 */
export const SQUEUE_FORMAT: string = SQUEUE_FIELDS.join(SEPARATOR);

/** Parses the output of `squeue --noheader --states=all -o SQUEUE_FORMAT`; a header line is skipped. */
export function parseSqueueText(stdout: string): QueueEntry[] {
  const entries: QueueEntry[] = [];
  for (const [index, line] of lines(stdout).entries()) {
    const fields = splitFields(line, SQUEUE_FIELDS.length);
    if (fields === null) {
      throw new SyntaxError(
        `Cannot parse squeue output line ${
          index + 1
        }: expected ${SQUEUE_FIELDS.length} fields separated by "${SEPARATOR}": "${line}"`,
      );
    }
    const [jobId, partition, user, state, nodes, used, limit, nodeList, reason, name] = fields
      .map((field, i) => i === SQUEUE_FIELDS.length - 1 ? field : field.trim());
    if (jobId === "JOBID") continue;
    entries.push({
      job_id: jobId ?? "",
      name: name ?? "",
      user: user ?? "",
      partition: partition ?? "",
      state: state ?? "",
      nodes: countOrNull(nodes ?? ""),
      time_used: used ?? "",
      time_limit: limit ?? "",
      node_list: nodeList ?? "",
      state_reason: reason ?? "",
    });
  }
  return entries;
}

/**
 * Parses `squeue --json` of 22.05 AND newer shapes (state as list in 23.11+, numbers as
 * `{set, infinite, number}` since 23.02); unknown fields are ignored. 22.05 ignores `-j` and `-t`
 * with `--json`, so filter the entries yourself. `now` (default: the current time) computes
 * time_used, which the JSON does not carry.
 * @throws {SyntaxError} when the text is not JSON, {TypeError} when it has no `jobs` list, and
 * {Error} when it lists errors.
 */
export function parseSqueueJson(stdout: string, options: { now?: Date } = {}): QueueEntry[] {
  let document: unknown;
  try {
    document = JSON.parse(stdout);
  } catch (cause) {
    throw new SyntaxError(`Cannot parse squeue --json output: ${(cause as Error).message}`, {
      cause,
    });
  }
  const errors = isObject(document) ? jsonErrors(document.errors) : [];
  // An error report may come with an empty job list: never read that as "every job has left".
  if (errors.length > 0) throw new Error(`squeue --json reported errors: ${errors.join("; ")}`);
  if (!isObject(document) || !Array.isArray(document.jobs)) {
    throw new TypeError(`Cannot read squeue --json output: it has no "jobs" list`);
  }
  const now = (options.now ?? new Date()).getTime() / 1000;
  return document.jobs.filter(isObject).map((job) => queueEntryOfJob(job, now));
}

/**
 * Parses `sbatch --parsable` output: "123" or "123;cluster". Lines before the last (banners some
 * sites print) are ignored.
 * @throws {SyntaxError} when the last line is not a job id.
 */
export function parseSbatchParsable(stdout: string): { job_id: string; cluster: string | null } {
  const last = lines(stdout).at(-1)?.trim() ?? "";
  const match = /^(\d+)(?:;([^;\s]+))?$/.exec(last);
  if (match === null) {
    throw new SyntaxError(
      `Cannot read the job id from sbatch --parsable output: expected "<id>" or "<id>;<cluster>", got "${last}"`,
    );
  }
  return { job_id: match[1] ?? "", cluster: match[2] ?? null };
}

/** One job record of `scontrol show job -o`. */
export interface ScontrolJob {
  job_id: string;
  name: string;
  state: string;
  /** Why the job is in its state (Dependency, NonZeroExitCode, ...); null for "None". */
  reason: string | null;
  /** From "ExitCode=3:0" → 3. */
  exit_code: number | null;
  signal: number | null;
  work_dir: string | null;
  /** The expanded path (unlike squeue --json's pattern). */
  std_out: string | null;
  std_err: string | null;
  comment: string | null;
  user: string | null;
  /** Every key and value of the record. */
  raw: Record<string, string>;
}

/**
 * Parses `scontrol show job -o [ID]`: one line per job (array tasks each get one), space-separated
 * `Key=Value` pairs. Values may contain `=` (`TRES=cpu=1,node=1`) and, for names, paths and
 * comments, spaces. "No jobs in the system" gives [].
 * @throws {SyntaxError} when a line is not a job record.
 */
export function parseScontrolJob(stdout: string): ScontrolJob[] {
  const jobs: ScontrolJob[] = [];
  for (const line of lines(stdout)) {
    if (line.trim() === "No jobs in the system") continue;
    if (!line.startsWith("JobId=")) {
      throw new SyntaxError(
        `Cannot parse scontrol show job output: expected "JobId=...", got "${line}"`,
      );
    }
    const raw = keyValues(line);
    const reason = valueOrNull(raw.Reason);
    jobs.push({
      job_id: raw.JobId ?? "",
      name: raw.JobName ?? "",
      state: raw.JobState ?? "",
      reason: reason === "None" ? null : reason,
      ...exitPair(raw.ExitCode),
      work_dir: valueOrNull(raw.WorkDir),
      std_out: valueOrNull(raw.StdOut),
      std_err: valueOrNull(raw.StdErr),
      comment: valueOrNull(raw.Comment),
      // UserId=alice(1000)
      user: valueOrNull(raw.UserId?.replace(/\(\d+\)$/, "")),
      raw,
    });
  }
  return jobs;
}

/** One row of `sacct -P -n -o SACCT_FIELDS`. */
export interface SacctRow {
  /** "123" for the job, "123.batch", "123.extern", "123.0" for its steps. */
  job_id: string;
  name: string;
  /** As sacct prints it: may carry a suffix, e.g. "CANCELLED by 1000"; mapSlurmState() copes. */
  state: string;
  exit_code: number | null;
  signal: number | null;
  elapsed: string | null;
}

const SACCT_COLUMNS = ["JobID", "State", "ExitCode", "Elapsed", "JobName"] as const;

/**
 * The fields for `sacct -P -n -o SACCT_FIELDS` and `sacct -c -P -n -o SACCT_FIELDS` (job completion
 * data, jobcomp/filetxt); JobName last, since `-P` does not escape a "|" in a name.
 */
export const SACCT_FIELDS: string = SACCT_COLUMNS.join(",");

/**
 * Parses `sacct -P -n -o SACCT_FIELDS` (or `sacct -c ...`). Every row is returned in sacct's
 * order, step rows included (their job_id holds a ".": "123.batch"); the job's own row is the one
 * whose job_id has none. Read the exit code from the job row, or from the job's own recorded file:
 * the job row says 0:0 for cancelled and timed-out jobs whose batch step shows 0:15.
 * @throws {SyntaxError} when a line has too few fields (for example `-p` or another field list).
 */
export function parseSacct(stdout: string): SacctRow[] {
  return lines(stdout).map((line, index) => {
    const fields = splitFields(line, SACCT_COLUMNS.length);
    if (fields === null) {
      throw new SyntaxError(
        `Cannot parse sacct output line ${
          index + 1
        }: expected ${SACCT_FIELDS} separated by "${SEPARATOR}": "${line}"`,
      );
    }
    const [jobId, state, exitCode, elapsed, name] = fields;
    return {
      job_id: jobId?.trim() ?? "",
      name: name ?? "",
      state: state?.trim() ?? "",
      ...exitPair(exitCode?.trim()),
      elapsed: valueOrNull(elapsed?.trim()),
    };
  });
}

/**
 * Converts the raw wait status squeue --json (22.05) reports as `exit_code`: 768 → exit 3, 15 →
 * killed by signal 15 (exit 0, as scontrol's "0:15").
 * @throws {RangeError} when raw is not a 16-bit wait status.
 */
export function parseSqueueExitStatus(raw: number): { exit_code: number; signal: number | null } {
  if (!Number.isInteger(raw) || raw < 0 || raw > 0xffff) {
    throw new RangeError(
      `Cannot decode exit status ${raw}: expected a wait status from 0 to 65535`,
    );
  }
  const signal = raw & 0x7f;
  // 0: exited normally; 0x7f: stopped, not terminated. Otherwise the low bits name the signal.
  return { exit_code: (raw >> 8) & 0xff, signal: signal === 0 || signal === 0x7f ? null : signal };
}

/** Words SLURM prints where a duration is not a number of seconds. */
const NO_DURATION: ReadonlySet<string> = new Set([
  "",
  ...words("UNLIMITED INFINITE NOT_SET INVALID N/A PARTITION_LIMIT"),
]);

/**
 * Parses a SLURM duration into seconds: "1-02:03:04", "02:03:04", "03:04" (M:SS), "5" (minutes),
 * "1-02" and "1-02:03" as sbatch reads them. "UNLIMITED" and other non-durations → null.
 * @throws {SyntaxError} for any other text.
 */
export function parseSlurmDuration(text: string): number | null {
  const trimmed = text.trim();
  if (NO_DURATION.has(trimmed.toUpperCase())) return null;
  const withDays = /^(\d+)-(\d+)(?::(\d+)(?::(\d+))?)?$/.exec(trimmed);
  if (withDays !== null) {
    const [, days, hours, minutes, seconds] = withDays.map((part) => Number(part ?? 0));
    return (((days ?? 0) * 24 + (hours ?? 0)) * 60 + (minutes ?? 0)) * 60 + (seconds ?? 0);
  }
  const clock = /^(\d+)(?::(\d+))?(?::(\d+))?(\.\d+)?$/.exec(trimmed);
  if (clock === null || (clock[2] === undefined && clock[4] !== undefined)) {
    throw new SyntaxError(`Cannot parse SLURM duration "${text}"`);
  }
  // sacct prints fractions of a second for CPU times ("00:01.250").
  const [first, second, third, fraction] = [1, 2, 3, 4].map((i) => Number(clock[i] ?? 0));
  if (clock[3] !== undefined) {
    return ((first ?? 0) * 60 + (second ?? 0)) * 60 + (third ?? 0) + (fraction ?? 0);
  }
  if (clock[2] !== undefined) return (first ?? 0) * 60 + (second ?? 0) + (fraction ?? 0);
  return (first ?? 0) * 60;
}
