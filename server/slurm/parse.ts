/**
 * Parsers for what SLURM's commands print: squeue (text and `--json`), sbatch `--parsable`,
 * `scontrol show job -o`, `sacct -P` (accounting or `-c` job completion) and the durations they
 * use. Pure functions; formats checked against SLURM 22.05 (Debian bookworm) and newer JSON shapes.
 *
 * @module
 */

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

const SEPARATOR = "|";

/** squeue fields: id, partition, user, long state, nodes, time used, limit, node list, reason, name. */
const SQUEUE_FIELDS = ["%i", "%P", "%u", "%T", "%D", "%M", "%l", "%N", "%r", "%j"] as const;

/**
 * The squeue format string we always pass with -o (fields joined by a separator that job names we
 * generate cannot contain; %j LAST).
 */
export const SQUEUE_FORMAT: string = SQUEUE_FIELDS.join(SEPARATOR);

/** Splits a line into `count` fields; the last one keeps any further separators (a job name may hold one). */
function splitFields(line: string, count: number): string[] | null {
  const fields: string[] = [];
  let rest = line;
  for (let i = 0; i < count - 1; i++) {
    const at = rest.indexOf(SEPARATOR);
    if (at < 0) return null;
    fields.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  fields.push(rest);
  return fields;
}

function lines(stdout: string): string[] {
  return stdout.split("\n").map((line) => line.replace(/\r$/, "")).filter((line) =>
    line.trim() !== ""
  );
}

/** Splits a whitespace-separated word list written over several lines. */
function words(text: string): string[] {
  return text.trim().split(/\s+/);
}

function countOrNull(text: string): number | null {
  return /^\d+$/.test(text) ? Number(text) : null;
}

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

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
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

function jsonErrors(errors: unknown): string[] {
  if (!Array.isArray(errors)) return [];
  return errors.map((error) =>
    isObject(error)
      ? jsonString(error.description) || jsonString(error.error) || JSON.stringify(error)
      : String(error)
  );
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
  return document.jobs.filter(isObject).map((job) => {
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
  });
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

/** Keys whose values may hold spaces (names, paths, free text): only a known key ends them. */
const FREE_TEXT_KEYS: ReadonlySet<string> = new Set(words(`
  JobName Command WorkDir StdOut StdErr StdIn Comment AdminComment SystemComment SubmitLine
  Container ContainerID MailUser
`));

/** Keys scontrol prints (22.05 and later); a free-text value ends only where one of these starts. */
const KNOWN_KEYS: ReadonlySet<string> = new Set([
  ...FREE_TEXT_KEYS,
  ...words(`
  JobId ArrayJobId ArrayTaskId ArrayTaskThrottle HetJobId HetJobOffset HetJobIdSet UserId GroupId
  MCS_label Priority Nice Account QOS WCKey JobState Reason Dependency Requeue Restarts BatchFlag
  Reboot ExitCode DerivedExitCode RunTime TimeLimit TimeMin SubmitTime EligibleTime AccrueTime
  StartTime EndTime Deadline PreemptEligibleTime PreemptTime SuspendTime SecsPreSuspend
  LastSchedEval ResizeTime Scheduler Partition AllocNode:Sid ReqNodeList ExcNodeList NodeList
  SchedNodeList BatchHost NumNodes NumCPUs NumTasks CPUs/Task ReqB:S:C:T ReqTRES AllocTRES TRES
  Socks/Node NtasksPerN:B:S:C CoreSpec ThreadSpec MinCPUsNode MinMemoryNode MinMemoryCPU
  MinTmpDiskNode Features ClusterFeatures Prefer DelayBoot OverSubscribe Contiguous Licenses
  LicensesAlloc Network Power Reservation BurstBuffer BurstBufferState CpusPerTres MemPerTres
  TresBind TresFreq TresPerJob TresPerNode TresPerSocket TresPerTask MailType NtasksPerTRES
  KillOInInvalidDependent CpuFreqMin CpuFreqMax CpuFreqGov Switches Wait-for-Switch FedOrigin
  FedViableSiblings FedActiveSiblings Nodes CPU_IDs Mem GRES
`),
]);

/** Splits one `Key=Value Key=Value` record. Values may contain `=`, and free-text ones spaces. */
function keyValues(line: string): Record<string, string> {
  const starts = [...line.matchAll(/(?:^| )([A-Z][A-Za-z0-9_:/-]*)=/g)];
  const record: Record<string, string> = {};
  let key: string | null = null;
  let valueStart = 0;
  for (const match of starts) {
    const candidate = match[1] ?? "";
    if (key !== null && FREE_TEXT_KEYS.has(key) && !KNOWN_KEYS.has(candidate)) continue;
    // scontrol pads some values (Comment) with an extra space; the line ends with one too.
    if (key !== null) record[key] = line.slice(valueStart, match.index).trimEnd();
    key = candidate;
    valueStart = match.index + match[0].length;
  }
  if (key !== null) record[key] = line.slice(valueStart).trimEnd();
  return record;
}

/** "code:signal" (ExitCode in scontrol and sacct) → numbers; a zero signal is none. */
function exitPair(text: string | undefined): { exit_code: number | null; signal: number | null } {
  const match = /^(\d+):(\d+)$/.exec(text ?? "");
  if (match === null) return { exit_code: null, signal: null };
  const signal = Number(match[2]);
  return { exit_code: Number(match[1]), signal: signal === 0 ? null : signal };
}

function valueOrNull(text: string | undefined): string | null {
  return text === undefined || text === "" || text === "(null)" ? null : text;
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
