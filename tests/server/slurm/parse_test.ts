import assert from "node:assert/strict";
import {
  parseSacct,
  parseSbatchParsable,
  parseScontrolJob,
  parseSlurmDuration,
  parseSqueueExitStatus,
  parseSqueueJson,
  parseSqueueText,
  type QueueEntry,
  SACCT_FIELDS,
  type SacctRow,
  type ScontrolJob,
  SQUEUE_FORMAT,
} from "../../../server/slurm/parse.ts";
import { mapSlurmState } from "../../../server/slurm/states.ts";

const FIXTURES = new URL("../../fixtures/slurm/", import.meta.url);

function fixture(name: string): string {
  return Deno.readTextFileSync(new URL(name, FIXTURES));
}

/** A squeue entry of the captured single-node cluster, with its usual values. */
function entry(
  fields: Partial<QueueEntry> & Pick<QueueEntry, "job_id" | "name" | "state">,
): QueueEntry {
  return {
    user: "root",
    partition: "debug",
    nodes: 1,
    time_used: "0:00",
    time_limit: "UNLIMITED",
    node_list: "",
    state_reason: "None",
    ...fields,
  };
}

Deno.test("SQUEUE_FORMAT and SACCT_FIELDS put the job name last", () => {
  assert.equal(SQUEUE_FORMAT, "%i|%P|%u|%T|%D|%M|%l|%N|%r|%j");
  assert.equal(SACCT_FIELDS, "JobID,State,ExitCode,Elapsed,JobName");
});

/** Jobs of the captured squeue text (SLURM 22.05), each with what it must parse to. */
const SQUEUE_TEXT_JOBS: QueueEntry[] = [
  entry({
    job_id: "9",
    name: "after-failed",
    state: "CANCELLED",
    state_reason: "DependencyNeverSatisfied",
  }),
  entry({ job_id: "4", name: "to-cancel", state: "CANCELLED", time_used: "0:01", node_list: "vm" }),
  entry({
    job_id: "6",
    name: "my job|with pipe",
    state: "CANCELLED",
    time_used: "0:05",
    node_list: "vm",
  }),
  entry({
    job_id: "7",
    name: "big",
    state: "CANCELLED",
    time_limit: "1-00:00:00",
    state_reason: "Resources",
  }),
  entry({
    job_id: "1",
    name: "crystalmath-0b7e1c1e-5f0a-4d38-9a0e-3f1a2b4c5d6e",
    state: "COMPLETED",
    node_list: "vm",
  }),
  entry({ job_id: "2", name: "fails", state: "COMPLETED", node_list: "vm" }),
  entry({
    job_id: "3",
    name: "fails",
    state: "FAILED",
    node_list: "vm",
    state_reason: "NonZeroExitCode",
  }),
  entry({ job_id: "8", name: "after-runner", state: "PENDING", state_reason: "Dependency" }),
  entry({
    job_id: "10",
    name: "after-failed-kept",
    state: "PENDING",
    state_reason: "DependencyNeverSatisfied",
  }),
  entry({ job_id: "13", name: "spaced", state: "PENDING", state_reason: "Resources" }),
  entry({ job_id: "14", name: "pipe|name job", state: "PENDING", state_reason: "Priority" }),
  entry({
    job_id: "15",
    name: "big",
    state: "PENDING",
    time_limit: "1-00:00:00",
    state_reason: "Priority",
  }),
  entry({ job_id: "11", name: "held", state: "PENDING", state_reason: "JobHeldUser" }),
  entry({
    job_id: "5",
    name: "runner",
    state: "RUNNING",
    time_used: "0:21",
    time_limit: "1:00:00",
    node_list: "vm",
  }),
  entry({
    job_id: "12",
    name: "timeout",
    state: "RUNNING",
    time_used: "0:07",
    time_limit: "1:00",
    node_list: "vm",
  }),
];

Deno.test("parseSqueueText() reads every captured job, keeping a '|' in the job name", () => {
  assert.deepEqual(parseSqueueText(fixture("squeue_text.txt")), SQUEUE_TEXT_JOBS);
});

Deno.test("parseSqueueText() skips blank lines, CRLF endings and a header line", () => {
  const text = "JOBID|PARTITION|USER|STATE|NODES|TIME|TIME_LIMIT|NODELIST|REASON|NAME\r\n\n" +
    "42|debug|alice|RUNNING|2|1:02:03|UNLIMITED|cn[01-02]|None| leading space\r\n";
  assert.deepEqual(parseSqueueText(text), [
    entry({
      job_id: "42",
      name: " leading space",
      state: "RUNNING",
      user: "alice",
      nodes: 2,
      time_used: "1:02:03",
      node_list: "cn[01-02]",
    }),
  ]);
  assert.deepEqual(parseSqueueText(""), []);
});

Deno.test("parseSqueueText() rejects a line with too few fields instead of dropping the job", () => {
  assert.throws(() => parseSqueueText("17 debug alice R\n"), {
    name: "SyntaxError",
    message: /line 1: expected 10 fields/,
  });
});

Deno.test("parseSqueueJson() agrees with parseSqueueText() on the jobs both 22.05 captures hold", () => {
  // Both were taken in the same second; job 5 had run for 21 s.
  const jobs = parseSqueueJson(fixture("squeue_22.05.json"), { now: new Date(1795295667_000) });
  const byId = new Map(SQUEUE_TEXT_JOBS.map((job) => [job.job_id, job]));
  assert.deepEqual(jobs.map((job) => job.job_id), ["1", "3", "4", "5", "8", "13", "14"]);
  for (const job of jobs) assert.deepEqual(job, byId.get(job.job_id), `job ${job.job_id}`);
});

Deno.test("parseSqueueJson() reads the 23.11 shape: state lists, {set, infinite, number} values, arrays", () => {
  const jobs = parseSqueueJson(fixture("squeue_23.11.json"), { now: new Date(1700000095_000) });
  const compute = { partition: "compute", user: "alice", nodes: 1, state_reason: "None" };
  assert.deepEqual(jobs, [
    {
      ...compute,
      job_id: "101",
      name: "crystalmath-4f1d2c3b-9a8e-4d7c-b6a5-0f1e2d3c4b5a",
      state: "RUNNING",
      nodes: 2,
      time_used: "1:35",
      time_limit: "1:00:00",
      node_list: "cn[001-002]",
    },
    {
      ...compute,
      job_id: "102",
      name: "after-101",
      state: "PENDING",
      time_used: "0:00",
      time_limit: "UNLIMITED",
      node_list: "",
      state_reason: "Dependency",
    },
    {
      ...compute,
      job_id: "103",
      name: "finishing",
      user: "bob",
      state: "COMPLETING",
      time_used: "1-01:01:01",
      time_limit: "2-00:00:00",
      node_list: "cn003",
    },
    {
      ...compute,
      job_id: "104",
      name: "fails",
      partition: "debug",
      state: "FAILED",
      time_used: "0:05",
      time_limit: "30:00",
      node_list: "cn004",
      state_reason: "NonZeroExitCode",
    },
    {
      ...compute,
      job_id: "100_5",
      name: "sweep",
      partition: "debug",
      state: "RUNNING",
      time_used: "0:05",
      time_limit: "30:00",
      node_list: "cn005",
    },
    {
      ...compute,
      job_id: "106",
      name: "requeued",
      partition: "debug",
      state: "REQUEUE_HOLD",
      time_used: "0:00",
      time_limit: "30:00",
      node_list: "",
      state_reason: "JobHeldAdmin",
    },
  ]);
  assert.deepEqual(jobs.map((job) => mapSlurmState(job.state)), [
    "running",
    "queued",
    "running",
    "failed",
    "running",
    "queued",
  ]);
});

Deno.test("parseSqueueJson() refuses text that is not a squeue document, or one reporting errors", () => {
  const cases: [string, string, RegExp][] = [
    ["not json", "SyntaxError", /Cannot parse squeue --json output/],
    ['{"meta": {}}', "TypeError", /no "jobs" list/],
    ["[]", "TypeError", /no "jobs" list/],
    [
      '{"jobs": [], "errors": [{"error": "Unable to contact slurm controller", "errno": 1}]}',
      "Error",
      /reported errors: Unable to contact slurm controller/,
    ],
    ['{"jobs": [], "errors": [{"description": "Socket timed out"}]}', "Error", /Socket timed out/],
  ];
  for (const [text, name, message] of cases) {
    assert.throws(() => parseSqueueJson(text), { name, message }, text);
  }
});

Deno.test("parseSqueueExitStatus() decodes raw wait statuses as scontrol's ExitCode does", () => {
  const cases: [number, { exit_code: number; signal: number | null }][] = [
    [0, { exit_code: 0, signal: null }],
    [256, { exit_code: 1, signal: null }],
    [768, { exit_code: 3, signal: null }], // job 3 of squeue_22.05.json, ExitCode=3:0
    [65280, { exit_code: 255, signal: null }],
    [15, { exit_code: 0, signal: 15 }], // job 4 of squeue_22.05.json, ExitCode=0:15
    [9, { exit_code: 0, signal: 9 }],
    [137, { exit_code: 0, signal: 9 }], // SIGKILL with the core-dump bit
  ];
  for (const [raw, expected] of cases) {
    assert.deepEqual(parseSqueueExitStatus(raw), expected, `${raw}`);
  }
  for (const raw of [-1, 65536, 1.5, Number.NaN]) {
    assert.throws(() => parseSqueueExitStatus(raw), RangeError, `${raw}`);
  }
});

Deno.test("parseSqueueExitStatus() matches the captured scontrol exit codes of the same jobs", () => {
  const json = JSON.parse(fixture("squeue_22.05.json")) as {
    jobs: { job_id: number; exit_code: number }[];
  };
  const scontrol = [
    ...parseScontrolJob(fixture("scontrol_failed.txt")),
    ...parseScontrolJob(fixture("scontrol_cancelled.txt")),
  ];
  for (const job of scontrol) {
    const raw = json.jobs.find((j) => String(j.job_id) === job.job_id)?.exit_code;
    assert.ok(raw !== undefined, job.job_id);
    assert.deepEqual(parseSqueueExitStatus(raw), { exit_code: job.exit_code, signal: job.signal });
  }
});

Deno.test("parseSbatchParsable() reads a job id and an optional cluster name", () => {
  const cases: [string, { job_id: string; cluster: string | null }][] = [
    [fixture("sbatch_parsable.txt"), { job_id: "17", cluster: null }],
    [fixture("sbatch_parsable_cluster.txt"), { job_id: "18", cluster: "cap" }],
    ["123", { job_id: "123", cluster: null }],
    ["Site banner: maintenance on Friday\n4567\n", { job_id: "4567", cluster: null }],
  ];
  for (const [stdout, expected] of cases) assert.deepEqual(parseSbatchParsable(stdout), expected);
});

Deno.test("parseSbatchParsable() rejects output that carries no job id", () => {
  for (
    const stdout of [fixture("sbatch_plain.txt"), "", "\n", "12a", "12;", "12;a;b", "4567\nok\n"]
  ) {
    assert.throws(() => parseSbatchParsable(stdout), {
      name: "SyntaxError",
      message: /^Cannot read the job id from sbatch --parsable output/,
    }, JSON.stringify(stdout));
  }
});

type ScontrolFacts = Omit<ScontrolJob, "raw">;
const WORK = "/scratch/cm/jobs";

/** The captured `scontrol show job -o` lines (SLURM 22.05), each with the facts it must give. */
const SCONTROL: [
  string,
  Partial<ScontrolFacts> & Pick<ScontrolFacts, "job_id" | "name" | "state">,
][] = [
  ["scontrol_running.txt", { job_id: "5", name: "runner", state: "RUNNING" }],
  ["scontrol_pending_dependency.txt", {
    job_id: "8",
    name: "after-runner",
    state: "PENDING",
    reason: "Dependency",
  }],
  ["scontrol_held.txt", { job_id: "11", name: "held", state: "PENDING", reason: "JobHeldUser" }],
  ["scontrol_completed.txt", {
    job_id: "1",
    name: "crystalmath-0b7e1c1e-5f0a-4d38-9a0e-3f1a2b4c5d6e",
    state: "COMPLETED",
    comment: "crystalmath-0b7e1c1e-5f0a-4d38-9a0e-3f1a2b4c5d6e",
  }],
  ["scontrol_completed_args.txt", { job_id: "2", name: "fails", state: "COMPLETED" }],
  ["scontrol_failed.txt", {
    job_id: "3",
    name: "fails",
    state: "FAILED",
    reason: "NonZeroExitCode",
    exit_code: 3,
  }],
  ["scontrol_cancelled.txt", { job_id: "4", name: "to-cancel", state: "CANCELLED", signal: 15 }],
  ["scontrol_timeout.txt", {
    job_id: "12",
    name: "timeout",
    state: "TIMEOUT",
    reason: "TimeLimit",
    signal: 15,
  }],
  ["scontrol_killed_dependency.txt", {
    job_id: "9",
    name: "after-failed",
    state: "CANCELLED",
    reason: "DependencyNeverSatisfied",
  }],
  ["scontrol_spaced.txt", {
    job_id: "13",
    name: "spaced",
    state: "PENDING",
    reason: "Resources",
    work_dir: `${WORK}/dir with space`,
    std_out: `${WORK}/dir with space/out 13.log`,
    std_err: `${WORK}/dir with space/out 13.log`,
    comment: "a comment with spaces",
  }],
  ["scontrol_pipe_name.txt", {
    job_id: "14",
    name: "pipe|name job",
    state: "PENDING",
    reason: "Priority",
  }],
];

for (const [file, facts] of SCONTROL) {
  Deno.test(`parseScontrolJob() reads ${file}`, () => {
    const jobs = parseScontrolJob(fixture(file));
    assert.equal(jobs.length, 1);
    const { raw: _raw, ...parsed } = jobs[0]!;
    assert.deepEqual(parsed, {
      reason: null,
      exit_code: 0,
      signal: null,
      work_dir: WORK,
      std_out: `${WORK}/slurm-${facts.job_id}.out`,
      std_err: `${WORK}/slurm-${facts.job_id}.out`,
      comment: null,
      user: "root",
      ...facts,
    });
  });
}

Deno.test("parseScontrolJob() keeps values with '=', ':' or '/' in keys, empty values and command arguments", () => {
  const [completed] = parseScontrolJob(fixture("scontrol_completed_args.txt"));
  const [killed] = parseScontrolJob(fixture("scontrol_killed_dependency.txt"));
  assert.ok(completed && killed);
  assert.equal(completed.raw.TRES, "cpu=1,node=1,billing=1");
  assert.equal(completed.raw["AllocNode:Sid"], "localhost:12560");
  assert.equal(completed.raw["ReqB:S:C:T"], "0:0:*:*");
  assert.equal(completed.raw["CPUs/Task"], "1");
  assert.equal(completed.raw.Power, "");
  assert.equal(completed.raw.Command, `${WORK}/ok.sh fail.sh`);
  assert.equal(completed.raw.UserId, "root(0)");
  assert.equal(killed.raw.Dependency, "afterok:3(failed)");
  // 22.05 spells it this way.
  assert.equal(killed.raw.KillOInInvalidDependent, "Yes");
});

Deno.test("parseScontrolJob() reads one job per line, and no jobs from empty output", () => {
  const two = fixture("scontrol_running.txt") + fixture("scontrol_failed.txt");
  assert.deepEqual(parseScontrolJob(two).map((job) => job.job_id), ["5", "3"]);
  assert.deepEqual(parseScontrolJob(""), []);
  assert.deepEqual(parseScontrolJob("No jobs in the system\n"), []);
});

Deno.test("parseScontrolJob() splits at unknown keys after ordinary values, not inside free text", () => {
  const [job] = parseScontrolJob(
    "JobId=7 JobName=a b Weird=c JobState=RUNNING FutureKey=x=y Reason=None WorkDir=/w/Odd=1 StdOut=/o",
  );
  assert.ok(job);
  assert.equal(job.name, "a b Weird=c");
  assert.equal(job.state, "RUNNING");
  assert.equal(job.raw.FutureKey, "x=y");
  assert.equal(job.work_dir, "/w/Odd=1");
  assert.equal(job.std_out, "/o");
  assert.equal(job.exit_code, null);
});

Deno.test("parseScontrolJob() rejects text that is not a job record", () => {
  assert.throws(() => parseScontrolJob(fixture("scontrol_missing.stderr.txt")), {
    name: "SyntaxError",
    message: /expected "JobId=\.\.\.", got "slurm_load_jobs error: Invalid job id specified"/,
  });
});

function row(job_id: string, state: string, exit: string, elapsed: string, name: string): SacctRow {
  const [code, signal] = exit.split(":").map(Number);
  return { job_id, name, state, exit_code: code!, signal: signal === 0 ? null : signal!, elapsed };
}

Deno.test("parseSacct() returns job and step rows of sacct -P with accounting storage", () => {
  const x = "00:00:00";
  assert.deepEqual(parseSacct(fixture("sacct_steps.txt")), [
    row("17", "COMPLETED", "0:0", x, "crystalmath-7c9d2f4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"),
    row("17.batch", "COMPLETED", "0:0", x, "batch"),
    row("17.0", "COMPLETED", "0:0", x, "hostname"),
    row("18", "FAILED", "3:0", x, "fails"),
    row("18.batch", "FAILED", "3:0", x, "batch"),
    row("18.0", "COMPLETED", "0:0", x, "true"),
    row("19", "COMPLETED", "0:0", x, "plain"),
    row("19.batch", "COMPLETED", "0:0", x, "batch"),
    row("20", "CANCELLED by 0", "0:0", "00:00:03", "to-cancel"),
    row("20.batch", "CANCELLED", "0:15", "00:00:03", "batch"),
    row("21", "TIMEOUT", "0:0", "00:01:14", "timeout"),
    row("21.batch", "CANCELLED", "0:15", "00:01:14", "batch"),
    row("22", "PENDING", "0:0", x, "pending-after"),
    row("23", "COMPLETED", "0:0", x, "crystalmath-aaaa"),
    row("23.batch", "COMPLETED", "0:0", x, "batch"),
    row("24", "FAILED", "1:0", x, "crystalmath-bbbb"),
    row("24.batch", "FAILED", "1:0", x, "batch"),
    row("25", "CANCELLED", "0:0", x, "crystalmath-cccc"),
  ]);
});

Deno.test("parseSacct() reads sacct -c job completion rows, including one a spaced name broke", () => {
  const rows = parseSacct(fixture("sacct_jobcomp.txt"));
  assert.deepEqual(rows.map((r) => [r.job_id, r.state, r.exit_code, r.signal, r.name]), [
    ["1", "COMPLETED", 0, null, "crystalmath-0b7e1c1e-5f0a-4d38-9a0e-3f1a2b4c5d6e"],
    ["2", "COMPLETED", 0, null, "fails"],
    ["3", "FAILED", 3, null, "fails"],
    ["4", "CANCELLED", 0, null, "to-cancel"],
    ["9", "CANCELLED", 0, null, "after-failed"],
    // jobcomp/filetxt writes "Name=my job|with pipe" unquoted; sacct -c reads only "my".
    ["6", "", 0, null, "my"],
    ["7", "CANCELLED", 0, null, "big"],
    ["12", "TIMEOUT", 0, null, "timeout"],
    ["13", "COMPLETED", 0, null, "spaced"],
  ]);
  assert.equal(mapSlurmState(rows[5]!.state), "unknown");
});

Deno.test("parseSacct() keeps a '|' in the last field and rejects rows with too few fields", () => {
  assert.deepEqual(parseSacct("7|RUNNING||00:00:01|a|b\n7.batch|RUNNING|||batch\n"), [
    {
      job_id: "7",
      name: "a|b",
      state: "RUNNING",
      exit_code: null,
      signal: null,
      elapsed: "00:00:01",
    },
    {
      job_id: "7.batch",
      name: "batch",
      state: "RUNNING",
      exit_code: null,
      signal: null,
      elapsed: null,
    },
  ]);
  assert.throws(() => parseSacct("7|RUNNING|0:0\n"), { name: "SyntaxError", message: /line 1/ });
});

Deno.test("parseSlurmDuration() converts SLURM durations to seconds", () => {
  const cases: [string, number | null][] = [
    ["1-02:03:04", 93784],
    ["02:03:04", 7384],
    ["1:00:00", 3600],
    ["03:04", 184],
    ["0:21", 21],
    ["1-00:00:00", 86400],
    ["5", 300],
    ["1-02", 93600],
    ["1-02:03", 93780],
    ["00:01.250", 1.25],
    [" 00:00:03 ", 3],
    ["UNLIMITED", null],
    ["INFINITE", null],
    ["NOT_SET", null],
    ["Partition_Limit", null],
    ["", null],
  ];
  for (const [text, seconds] of cases) assert.equal(parseSlurmDuration(text), seconds, text);
});

Deno.test("parseSlurmDuration() rejects text that is not a duration", () => {
  for (const text of ["abc", "1:2:3:4", "-1", "1.5", "1-", "1-2:3:4:5", "1:"]) {
    assert.throws(() => parseSlurmDuration(text), { name: "SyntaxError" }, text);
  }
});
