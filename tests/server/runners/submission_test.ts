import assert from "node:assert/strict";
import { clusterOf } from "../../../server/clusters/cluster.ts";
import { SYSTEM_CLOCK } from "../../../server/clock.ts";
import { insertCluster } from "../../../server/db/clusters.ts";
import { Database } from "../../../server/db/open.ts";
import { SlurmRejectedError, SshFailedError } from "../../../server/errors.ts";
import { JobStore } from "../../../server/jobs/store.ts";
import { SILENT_LOGGER as SILENT } from "../../../server/log.ts";
import type { JobRow } from "../../../server/model/job.ts";
import type { Launched, Scheduler } from "../../../server/runners/remote/scheduler.ts";
import {
  launch,
  launchOrWait,
  prepareRemote,
  resume,
  type SubmissionDeps,
  upload,
} from "../../../server/runners/remote/submission.ts";
import { type Rule, scriptedTransport } from "./_scripted.ts";

/** A scheduler whose launch and recover do what the test says, counting launches. */
function fakeScheduler(behaviour: {
  launch?: () => Promise<Launched>;
  recover?: () => Promise<Launched | null>;
}): Scheduler & { launches: number } {
  const scheduler = {
    type: "slurm" as const,
    label: "SLURM",
    scriptFile: "job.sbatch",
    launches: 0,
    idOf: (job: JobRow) => job.slurm_job_id,
    script: () => "#!/bin/sh\n",
    launch() {
      scheduler.launches++;
      return behaviour.launch?.() ??
        Promise.resolve<Launched>({
          fields: { slurm_job_id: String(100 + scheduler.launches) },
          state: "submitted",
          reason: "SLURM job",
        });
    },
    recover: () => behaviour.recover?.() ?? Promise.resolve(null),
    observe: () => Promise.resolve(new Map()),
    kill: () => Promise.resolve(),
  };
  return scheduler;
}

function setup(scheduler: Scheduler, maxConcurrent = 10) {
  const db = Database.open(":memory:");
  const store = new JobStore({ db, clock: SYSTEM_CLOCK });
  const cluster = clusterOf(insertCluster(db, {
    name: "hpc1",
    cluster_type: "slurm",
    hostname: "hpc1",
    port: 22,
    username: "jdoe",
    settings_json: JSON.stringify({ remote_workdir: "/scratch", max_concurrent: maxConcurrent }),
  }, new Date().toISOString()));
  const deps: SubmissionDeps = { store, log: SILENT, scheduler };
  const newJob = async () =>
    await store.update(
      (await store.insert({
        uuid: crypto.randomUUID(),
        name: "mgo",
        dft_code: "crystal",
        runner_type: "slurm",
        cluster_id: cluster.id,
        input: "deck",
        properties_input: null,
        restart_from: null,
        tags: [],
        resources: {},
        output_name: "mgo",
      })).pk,
      { work_dir: "/tmp/crystalmath-test-unused" },
    );
  return { db, store, cluster, deps, newJob };
}

const OK_HOST: Rule[] = [{ match: /^mkdir /, result: { code: 0 } }];

Deno.test("upload() records the remote directory, the script and the step, in that order", async () => {
  const s = setup(fakeScheduler({}));
  using _db = s.db;
  const transport = scriptedTransport(OK_HOST);
  const prepared = await prepareRemote(s.deps, await s.newJob(), s.cluster);
  assert.equal(prepared.remote_dir, `/scratch/crystalmath/${prepared.uuid}`);
  assert.equal(prepared.submit_step, "prepared");
  const uploaded = await upload(s.deps, prepared, { cluster: s.cluster, transport });
  assert.equal(uploaded.submit_step, "uploaded");
  assert.equal(transport.written.get(`${prepared.remote_dir}/job.sbatch`), "#!/bin/sh\n");
});

Deno.test("upload() fails the job with the reason when the directory cannot be made", async () => {
  const s = setup(fakeScheduler({}));
  using _db = s.db;
  const transport = scriptedTransport([
    {
      match: /^mkdir /,
      result: { code: 1, stderr: "mkdir: cannot create directory: Permission denied" },
    },
  ]);
  const prepared = await prepareRemote(s.deps, await s.newJob(), s.cluster);
  await assert.rejects(upload(s.deps, prepared, { cluster: s.cluster, transport }));
  const row = s.store.get(prepared.pk);
  assert.deepEqual([row.state, row.submit_step], ["failed", "rejected"]);
  assert.match(row.state_reason!, /could not upload its files: .*Permission denied/);
});

const LAUNCH_CASES: {
  name: string;
  launch: () => Promise<Launched>;
  state: string;
  step: string;
  reason: RegExp;
  throws?: boolean;
}[] = [
  {
    name: "a started job is submitted with its id",
    launch: () =>
      Promise.resolve({
        fields: { slurm_job_id: "77" },
        state: "submitted",
        reason: "SLURM job 77",
      }),
    state: "submitted",
    step: "submitted",
    reason: /SLURM job 77/,
  },
  {
    name: "a refused job fails with what the scheduler said",
    launch: () =>
      Promise.reject(
        new SlurmRejectedError("sbatch refused the job: invalid account", {
          data: { reason: "invalid account" },
        }),
      ),
    state: "failed",
    step: "rejected",
    reason: /sbatch refused the job: invalid account/,
    throws: true,
  },
  {
    name: "an SSH failure while starting leaves the job unknown, never failed",
    launch: () => Promise.reject(new SshFailedError("connection reset")),
    state: "unknown",
    step: "submitting",
    reason: /submission outcome unknown \(connection reset\)/,
  },
];

for (const c of LAUNCH_CASES) {
  Deno.test(`launch(): ${c.name}`, async () => {
    const s = setup(fakeScheduler({ launch: c.launch }));
    using _db = s.db;
    const job = await prepareRemote(s.deps, await s.newJob(), s.cluster);
    const run = launch(s.deps, job, scriptedTransport([]));
    if (c.throws) await assert.rejects(run, SlurmRejectedError);
    else await run;
    const row = s.store.get(job.pk);
    assert.deepEqual([row.state, row.submit_step], [c.state, c.step]);
    assert.match(row.state_reason!, c.reason);
  });
}

Deno.test("launchOrWait() keeps a job in the daemon while max_concurrent jobs are started", async () => {
  const scheduler = fakeScheduler({});
  const s = setup(scheduler, 1);
  using _db = s.db;
  const transport = scriptedTransport(OK_HOST);
  const first = await launchOrWait(
    s.deps,
    await prepareRemote(s.deps, await s.newJob(), s.cluster),
    {
      cluster: s.cluster,
      transport,
    },
  );
  const second = await launchOrWait(
    s.deps,
    await prepareRemote(s.deps, await s.newJob(), s.cluster),
    {
      cluster: s.cluster,
      transport,
    },
  );
  assert.deepEqual([first.state, second.state], ["submitted", "queued"]);
  assert.match(second.state_reason!, /waiting for a slot: max_concurrent 1/);
  assert.equal(scheduler.launches, 1);
});

Deno.test("resume() of an interrupted launch trusts the marker and never starts the job twice", async () => {
  const scheduler = fakeScheduler({
    recover: () =>
      Promise.resolve({ fields: { slurm_job_id: "88" }, state: "queued", reason: "SLURM job 88" }),
  });
  const s = setup(scheduler);
  using _db = s.db;
  const job = await s.store.update((await prepareRemote(s.deps, await s.newJob(), s.cluster)).pk, {
    submit_step: "submitting",
  });
  await resume(s.deps, job, { cluster: s.cluster, transport: scriptedTransport([]) });
  const row = s.store.get(job.pk);
  assert.deepEqual([row.state, row.slurm_job_id, row.submit_step], ["queued", "88", "submitted"]);
  assert.match(row.state_reason!, /found again after an interrupted submission/);
  assert.equal(scheduler.launches, 0);
});

Deno.test("resume() starts an interrupted launch that never reached the scheduler", async () => {
  const scheduler = fakeScheduler({ recover: () => Promise.resolve(null) });
  const s = setup(scheduler);
  using _db = s.db;
  const job = await s.store.update((await prepareRemote(s.deps, await s.newJob(), s.cluster)).pk, {
    submit_step: "submitting",
  });
  await resume(s.deps, job, { cluster: s.cluster, transport: scriptedTransport([]) });
  assert.equal(scheduler.launches, 1);
  assert.equal(s.store.get(job.pk).state, "submitted");
});

Deno.test("resume() leaves a held job alone", async () => {
  const scheduler = fakeScheduler({});
  const s = setup(scheduler);
  using _db = s.db;
  const held = await s.store.update((await s.newJob()).pk, { submit_step: "held" });
  const transport = scriptedTransport([]);
  await resume(s.deps, held, { cluster: s.cluster, transport });
  assert.deepEqual([s.store.get(held.pk).state, transport.calls.length, scheduler.launches], [
    "created",
    0,
    0,
  ]);
});
