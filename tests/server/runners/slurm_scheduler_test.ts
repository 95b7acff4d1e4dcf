import assert from "node:assert/strict";
import { SlurmRejectedError } from "../../../server/errors.ts";
import type { JobRow } from "../../../server/model/job.ts";
import type { Observation } from "../../../server/runners/remote/scheduler.ts";
import { SLURM_SCHEDULER, slurmTag } from "../../../server/runners/slurm/slurm_scheduler.ts";
import { type Rule, scriptedTransport } from "./_scripted.ts";

const FIXTURES = new URL("../../fixtures/slurm/", import.meta.url);
const scontrol = (name: string) => Deno.readTextFileSync(new URL(`scontrol_${name}.txt`, FIXTURES));

function job(pk: number, slurmJobId: string): JobRow {
  return {
    pk,
    uuid: `00000000-0000-4000-8000-00000000000${pk}`,
    slurm_job_id: slurmJobId,
    remote_dir: `/scratch/crystalmath/job${pk}`,
    state: "running",
  } as JobRow;
}

/** A squeue line in SQUEUE_FORMAT (%i|%P|%u|%T|%D|%M|%l|%N|%r|%j). */
function squeueLine(id: string, state: string, reason = "None", nodes = "node1"): string {
  return `${id}|debug|jdoe|${state}|1|0:05|1:00:00|${nodes}|${reason}|crystalmath-x`;
}

const OBSERVE_CASES: {
  name: string;
  squeue: string[];
  rules?: Rule[];
  files?: Record<string, string>;
  expected: Observation;
}[] = [
  {
    name: "a pending job is queued with its reason",
    squeue: [squeueLine("41", "PENDING", "Resources", "")],
    expected: { kind: "queued", word: "PENDING", reason: "Resources" },
  },
  {
    name: "a running job is running on its nodes",
    squeue: [squeueLine("41", "RUNNING")],
    expected: { kind: "running", word: "RUNNING", where: "node1" },
  },
  {
    name: "DependencyNeverSatisfied asks for a cancel",
    squeue: [squeueLine("41", "PENDING", "DependencyNeverSatisfied", "")],
    expected: { kind: "dependency_never" },
  },
  {
    name: "a finished job squeue still shows has ended",
    squeue: [squeueLine("41", "COMPLETED")],
    expected: { kind: "ended", word: "COMPLETED", reason: null },
  },
  {
    name: "a timed-out job has ended with its word kept",
    squeue: [squeueLine("41", "TIMEOUT", "TimeLimit")],
    expected: { kind: "ended", word: "TIMEOUT", reason: "TimeLimit" },
  },
  {
    name: "a job cancelled on the cluster is cancelled",
    squeue: [squeueLine("41", "CANCELLED")],
    expected: { kind: "cancelled", word: "CANCELLED", reason: null },
  },
  {
    name: "a purged job with an exit-code file has ended, without asking scontrol",
    squeue: [],
    files: { "/scratch/crystalmath/job1/.exit_code": "0\n" },
    expected: { kind: "ended", word: null, reason: null },
  },
  {
    name: "a job squeue omits is looked up with scontrol",
    squeue: [],
    rules: [{ match: /^scontrol show job -o 41$/, result: { stdout: scontrol("failed") } }],
    expected: { kind: "ended", word: "FAILED", reason: "NonZeroExitCode" },
  },
  {
    name: "a job only accounting still knows has ended as sacct says",
    squeue: [],
    rules: [
      { match: /^scontrol /, result: { code: 1, stderr: "Invalid job id specified" } },
      { match: /^sacct /, result: { stdout: "41|TIMEOUT|0:15|00:01:01|crystalmath-x\n" } },
    ],
    expected: { kind: "ended", word: "TIMEOUT", reason: null },
  },
  {
    name: "a job nobody knows is absent",
    squeue: [],
    rules: [
      { match: /^scontrol /, result: { code: 1, stderr: "Invalid job id specified" } },
      { match: /^sacct /, result: { code: 1, stderr: "accounting storage is disabled" } },
    ],
    expected: { kind: "absent" },
  },
];

for (const c of OBSERVE_CASES) {
  Deno.test(`SLURM_SCHEDULER.observe(): ${c.name}`, async () => {
    const transport = scriptedTransport([
      { match: /^squeue /, result: { stdout: c.squeue.join("\n") } },
      ...(c.rules ?? []),
    ], c.files);
    // Job 1 is the one under test; job 2 is always running, to show one squeue serves both.
    const seen = await SLURM_SCHEDULER.observe([
      { ...job(1, "41"), pk: 1 },
      job(2, "42"),
    ], {
      ...transport,
      exec: (argv) =>
        argv[0] === "squeue"
          ? transport.exec(argv).then((r) => ({
            ...r,
            stdout: [r.stdout, squeueLine("42", "RUNNING")].filter(Boolean).join("\n"),
          }))
          : transport.exec(argv),
    });
    assert.deepEqual(seen.get(1), c.expected);
    assert.deepEqual(seen.get(2), { kind: "running", word: "RUNNING", where: "node1" });
    assert.equal(transport.calls.filter((l) => l.startsWith("squeue")).length, 1);
    assert.ok(transport.calls[0]!.includes("--jobs=41,42"), transport.calls[0]);
  });
}

Deno.test("SLURM_SCHEDULER.observe() lists a lone job twice, so a purged id does not fail squeue", async () => {
  const transport = scriptedTransport([{ match: /^squeue /, result: { stdout: "" } }], {
    "/scratch/crystalmath/job1/.exit_code": "0",
  });
  await SLURM_SCHEDULER.observe([job(1, "41")], transport);
  assert.ok(transport.calls[0]!.includes("--jobs=41,41"), transport.calls[0]);
});

Deno.test("SLURM_SCHEDULER.observe() fails the whole poll when squeue fails", async () => {
  const transport = scriptedTransport([
    { match: /^squeue /, result: { code: 1, stderr: "slurm_load_jobs error: Socket timed out" } },
  ]);
  await assert.rejects(
    SLURM_SCHEDULER.observe([job(1, "41")], transport),
    (e) => e instanceof SlurmRejectedError && /Socket timed out/.test(e.message),
  );
});

Deno.test("SLURM_SCHEDULER.launch() records sbatch's id and refuses with what sbatch said", async () => {
  const ok = scriptedTransport([{ match: /sbatch --parsable/, result: { stdout: "4242\n" } }]);
  const launched = await SLURM_SCHEDULER.launch(job(1, ""), ok);
  assert.deepEqual(launched, {
    fields: { slurm_job_id: "4242" },
    state: "submitted",
    reason: "SLURM job 4242",
  });
  const refused = scriptedTransport([{
    match: /sbatch --parsable/,
    result: { code: 1, stderr: "sbatch: error: invalid partition specified: gpu\n" },
  }]);
  await assert.rejects(
    SLURM_SCHEDULER.launch(job(1, ""), refused),
    (e) =>
      e instanceof SlurmRejectedError && e.data?.["reason"] ===
        "sbatch: error: invalid partition specified: gpu",
  );
});

Deno.test("SLURM_SCHEDULER.recover() trusts the marker, then the job's name, else says it never ran", async () => {
  const row = job(1, "");
  const byMarker = scriptedTransport([], { "/scratch/crystalmath/job1/.sbatch_id": "4242\n" });
  assert.equal((await SLURM_SCHEDULER.recover(row, byMarker))?.fields.slurm_job_id, "4242");
  assert.ok(!byMarker.calls.some((l) => l.startsWith("squeue")), "no squeue when the marker says");

  const byName = scriptedTransport([{
    match: new RegExp(`^squeue .*--name=${slurmTag(row.uuid)}`),
    result: { stdout: "4243\n" },
  }], { "/scratch/crystalmath/job1/.sbatch_id": "42" + "\u0000" });
  assert.equal((await SLURM_SCHEDULER.recover(row, byName))?.fields.slurm_job_id, "4243");

  const never = scriptedTransport([{ match: /^squeue /, result: { stdout: "" } }]);
  assert.equal(await SLURM_SCHEDULER.recover(row, never), null);
});
