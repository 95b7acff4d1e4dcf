/**
 * clusters.*, slurm.* and remote jobs through the real daemon, a real OpenSSH server and a real
 * single-node SLURM on loopback (tests/_cluster.ts). CRYSTAL is the project's stand-in.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { ServerError } from "../../client/errors.ts";
import { SocketClient } from "../../client/socket_client.ts";
import { clusterTest, slurmClusterParams, type TestCluster } from "../_cluster.ts";
import { waitFor } from "../_jobs.ts";
import { makeSandbox, type Sandbox, startDaemon } from "../_harness.ts";

const FAKE = new URL("../fixtures/fake_crystal/", import.meta.url).pathname;
const DAEMON_ENV = { CRYSTALMATH_SLURM_POLL_S: "0.5" };

function deck(title: string): string {
  return `${title}\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\nBASISSET\nPOB-TZVP\nSHRINK\n8 8\nEND\n`;
}

interface Job {
  pk: number;
  state: string;
  [key: string]: unknown;
}

/** Submits a stand-in CRYSTAL job, whose behaviour the title picks, to a cluster. */
function submitRemote(
  client: SocketClient,
  clusterId: number,
  name: string,
  title: string,
): Promise<Job> {
  return client.request("jobs.submit", {
    name,
    input: deck(title),
    runner: "slurm",
    cluster_id: clusterId,
  }) as Promise<
    Job
  >;
}

function jobState(client: SocketClient, pk: number, states: string[]): Promise<Job> {
  return waitFor(
    `job ${pk} to be ${states.join("/")}`,
    () => client.request("jobs.get", { pk }) as Promise<Job>,
    (j) => states.includes(j.state),
  );
}

async function addCluster(
  client: SocketClient,
  cluster: TestCluster,
  extra: Record<string, unknown> = {},
) {
  return await client.request(
    "clusters.create",
    slurmClusterParams(cluster, { setup_commands: ["export CRYSTALMATH_TEST_SETUP=1"], ...extra }),
  ) as { id: number };
}

async function setUp(cluster: TestCluster, box: Sandbox, options: { trust?: boolean } = {}) {
  await cluster.writeSshFiles(box.env.HOME, { trust: options.trust ?? true });
  return await startDaemon(box, [], { env: DAEMON_ENV });
}

/** SLURM's state words for one job (its id given twice, so a purged id does not fail squeue). */
function slurmStates(cluster: TestCluster, id: string) {
  return cluster.run(["squeue", "--noheader", "--states=all", "-o", "%T", `--jobs=${id},${id}`]);
}

function squeueCount(cluster: TestCluster, name: string): Promise<number> {
  return cluster.run(["squeue", "--noheader", "--states=all", `--name=${name}`, "-o", "%i"])
    .then((r) => r.stdout.split("\n").filter((l) => l.trim() !== "").length);
}

clusterTest(
  "clusters.create validates every field and refuses a duplicate name",
  async (cluster) => {
    await using box = await makeSandbox();
    await using _daemon = await setUp(cluster, box);
    await using client = new SocketClient(box.socket);
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ hostname: "-oProxyCommand=evil" }, /hostname: expected a host name/],
      [{ port: 70000 }, /port: must be 1 to 65535/],
      [{ remote_workdir: "scratch/me" }, /remote_workdir: expected an absolute path/],
      [{ partition: "debug; rm -rf /" }, /partition: expected a partition name/],
      [
        { setup_commands: ["module load x\nrm -rf /"] },
        /setup_commands.0: each setup command must be one line/,
      ],
    ];
    for (const [fields, pattern] of bad) {
      await assert.rejects(
        addCluster(client, cluster, fields),
        (e) => e instanceof ServerError && e.code === -32602 && pattern.test(e.message),
        JSON.stringify(fields),
      );
    }
    const { id } = await addCluster(client, cluster);
    await assert.rejects(
      addCluster(client, cluster),
      (e) => e instanceof ServerError && e.code === -32005,
    );
    const updated = await client.request("clusters.update", {
      id,
      partition: null,
      max_concurrent: 3,
    }) as Record<string, unknown>;
    assert.deepEqual([updated.partition, updated.max_concurrent, updated.hostname], [
      null,
      3,
      cluster.host,
    ]);
    const listed = await client.request("clusters.list", {}) as { clusters: { name: string }[] };
    assert.deepEqual(
      listed.clusters.map((c) => c.name),
      ["loopback"],
    );
  },
);

clusterTest(
  "clusters.test reports an unknown host key, and trusting it makes the cluster usable",
  async (cluster) => {
    await using box = await makeSandbox();
    await using _daemon = await setUp(cluster, box, { trust: false });
    await using client = new SocketClient(box.socket);
    const { id } = await addCluster(client, cluster);
    const first = await client.request("clusters.test", { id }) as Record<string, unknown> & {
      host_key: { fingerprint_sha256: string; known: boolean };
    };
    assert.equal(first.success, false);
    assert.deepEqual(first.host_key.known, false);
    assert.equal(first.host_key.fingerprint_sha256, cluster.hostKeyFingerprint);
    await assert.rejects(
      client.request("jobs.submit", {
        name: "x",
        input: deck("MgO"),
        runner: "slurm",
        cluster_id: id,
      }),
      (e) => e instanceof ServerError && e.code === -32002,
    );
    await client.request("clusters.trust_host_key", {
      id,
      fingerprint_sha256: first.host_key.fingerprint_sha256,
    });
    const second = await client.request("clusters.test", { id }) as Record<string, unknown>;
    assert.equal(second.success, true, String(second.error));
    assert.match(String(second.slurm_version), /^slurm(-wlm)? \d/);
    assert.match(String(second.system_info), /Linux/);
    assert.equal(second.crystal_found, true);
    assert.equal(typeof second.latency_ms, "number");
  },
);

clusterTest(
  "a changed host key is a hard -32002 error with reason host_key_mismatch",
  async (cluster) => {
    await using box = await makeSandbox();
    await using _daemon = await setUp(cluster, box, { trust: false });
    await using client = new SocketClient(box.socket);
    const other =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    await Deno.mkdir(join(box.env.HOME, ".ssh"), { recursive: true });
    await Deno.writeTextFile(
      join(box.env.HOME, ".ssh", "known_hosts"),
      `[${cluster.host}]:${cluster.port} ${other}\n`,
    );
    const { id } = await addCluster(client, cluster);
    await assert.rejects(
      client.request("slurm.queue", { cluster_id: id }),
      (e) =>
        e instanceof ServerError && e.code === -32002 &&
        (e.data as { kind: string; reason: string }).kind === "ssh_failed" &&
        (e.data as { reason: string }).reason === "host_key_mismatch" &&
        JSON.stringify(e.data).includes(cluster.hostKeyFingerprint),
    );
    const test = await client.request("clusters.test", { id }) as {
      success: boolean;
      host_key: { known: boolean };
    };
    assert.equal(test.success, false);
    await assert.rejects(
      client.request("clusters.trust_host_key", {
        id,
        fingerprint_sha256: cluster.hostKeyFingerprint,
      }),
      (e) => e instanceof ServerError,
    );
  },
);

clusterTest(
  "a remote job runs through SLURM, and its fetched output is parsed like a local one",
  async (cluster) => {
    await using box = await makeSandbox();
    await using _daemon = await setUp(cluster, box);
    await using client = new SocketClient(box.socket);
    const { id } = await addCluster(client, cluster);
    const submitted = await client.request("jobs.submit", {
      name: "MgO remote",
      input: deck("MgO"),
      runner: "slurm",
      cluster_id: id,
      properties_input:
        "NEWK\n8 8\n1 0\nBAND\nMgO bands\n2 8 50 1 10 1 0\n0 0 0 4 4 4\n4 4 4 4 0 4\nEND\n",
    }) as Job;
    assert.equal(submitted.state, "submitted");
    const done = await jobState(client, submitted.pk, ["completed", "failed", "cancelled"]);
    assert.equal(done.state, "completed", String(done.state_reason));
    assert.equal(done.final_energy, -275.44859113743);
    assert.equal((done.properties as { status: string }).status, "completed");
    const files = (done.files as { name: string }[]).map((f) => f.name);
    for (
      const name of ["mgo-remote.out", ".exit_code", "mgo-remote.properties.out", "job.sbatch"]
    ) {
      assert.ok(files.includes(name), `${name} fetched: ${files.join(", ")}`);
    }
    assert.ok(!files.includes("fort.9"), "the wave function stays on the cluster");
    const log = await client.request("jobs.log", { pk: submitted.pk, tail_lines: 1 }) as {
      lines: string[];
    };
    assert.match(log.lines[0]!, /TERMINATION/);
    const failed = await submitRemote(client, id, "broken", "MgO [error]");
    const bad = await jobState(client, failed.pk, ["completed", "failed", "cancelled"]);
    assert.equal(bad.state, "failed");
    assert.match(String(bad.error_snippet), /ERROR \*\*\*\* INPUT \*\*\*\*/);
    const analysis = await client.request("jobs.analyze_errors", { pk: failed.pk }) as {
      issues: unknown[];
    };
    assert.ok(analysis.issues.length > 0);
  },
);

clusterTest(
  "a dependent job waits for its dependency and is cancelled when it fails",
  async (cluster) => {
    await using box = await makeSandbox();
    await using _daemon = await setUp(cluster, box);
    await using client = new SocketClient(box.socket);
    const { id } = await addCluster(client, cluster);
    const submit = (name: string, title: string, depends_on?: number[]) =>
      client.request("jobs.submit", {
        name,
        input: deck(title),
        runner: "slurm",
        cluster_id: id,
        ...(depends_on ? { depends_on } : {}),
      }) as Promise<Job>;
    const a = await submit("a", "A [slow]");
    const b = await submit("b", "B", [a.pk]);
    const doneB = await jobState(client, b.pk, ["completed", "failed", "cancelled"]);
    const doneA = await client.request("jobs.get", { pk: a.pk }) as Job;
    assert.deepEqual([doneA.state, doneB.state], ["completed", "completed"]);
    assert.ok(
      Date.parse(String(doneB.started_at ?? doneB.finished_at)) >=
        Date.parse(String(doneA.finished_at)) - 1500,
    );
    const c = await submit("c", "C [error]");
    const d = await submit("d", "D", [c.pk]);
    const doneD = await jobState(client, d.pk, ["completed", "failed", "cancelled"]);
    assert.equal(doneD.state, "cancelled");
    assert.match(String(doneD.state_reason), new RegExp(`dependency did not succeed: job ${c.pk}`));
    assert.equal((await client.request("jobs.get", { pk: c.pk }) as Job).state, "failed");
  },
);

clusterTest(
  "jobs.cancel runs scancel; slurm.queue, slurm.cancel and jobs.log read the cluster",
  async (cluster) => {
    await using box = await makeSandbox();
    await using _daemon = await setUp(cluster, box);
    await using client = new SocketClient(box.socket);
    const { id } = await addCluster(client, cluster);
    const slow = await submitRemote(client, id, "slow", "S [slow]");
    await jobState(client, slow.pk, ["running"]);
    const tail = await waitFor(
      "remote output",
      () =>
        client.request("jobs.log", { pk: slow.pk, tail_lines: 2 }) as Promise<
          { lines: string[]; path: string }
        >,
      (t) => t.lines.some((l) => l.includes("CYC")),
    );
    assert.match(tail.path, /^loopback:\//);
    const progressing = await waitFor(
      "remote progress",
      () => client.request("jobs.get", { pk: slow.pk }) as Promise<Job>,
      (j) => Number(j.progress_percent) > 0,
    );
    assert.ok(Number(progressing.progress_percent) < 100);
    const queue = await client.request("slurm.queue", { cluster_id: id, user: "all" }) as {
      entries: { job_id: string; state: string }[];
    };
    const slurmId = String((await client.request("jobs.get", { pk: slow.pk }) as Job).slurm_job_id);
    assert.ok(queue.entries.some((e) => e.state === "RUNNING"), JSON.stringify(queue));
    assert.deepEqual(await client.request("jobs.cancel", { pk: slow.pk }), {
      cancelled: true,
      state: "cancelled",
    });
    await waitFor(
      "scancel",
      () => slurmStates(cluster, String(slurmId)),
      (r) => /CANCELLED/.test(r.stdout),
    );
    const byHand = await cluster.run([
      "sbatch",
      "--parsable",
      "--wrap",
      "sleep 60",
      `--chdir=${cluster.remoteRoot}`,
    ]);
    const handId = byHand.stdout.trim();
    const cancelled = await client.request("slurm.cancel", {
      cluster_id: id,
      slurm_job_id: handId,
    }) as { success: boolean };
    assert.equal(cancelled.success, true);
    const again = await client.request("slurm.cancel", {
      cluster_id: id,
      slurm_job_id: "999999",
    }) as { success: boolean; message: string };
    assert.equal(again.success, false);
    assert.match(again.message, /not known/);
  },
);

clusterTest("slurm.adopt tracks a job submitted by hand until it ends", async (cluster) => {
  await using box = await makeSandbox();
  await using _daemon = await setUp(cluster, box);
  await using client = new SocketClient(box.socket);
  const { id } = await addCluster(client, cluster);
  const dir = join(cluster.remoteRoot, "by-hand");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "INPUT"), deck("Hand made"));
  const script = `#!/bin/bash\n${join(FAKE, "crystal")} < INPUT\n`;
  await Deno.writeTextFile(join(dir, "run.sh"), script);
  const sbatch = await cluster.run([
    "sbatch",
    "--parsable",
    `--chdir=${dir}`,
    "--output=hand.out",
    join(dir, "run.sh"),
  ]);
  const slurmId = sbatch.stdout.trim();
  const { pk } = await client.request("slurm.adopt", { cluster_id: id, slurm_job_id: slurmId }) as {
    pk: number;
  };
  await assert.rejects(
    client.request("slurm.adopt", { cluster_id: id, slurm_job_id: slurmId }),
    (e) => e instanceof ServerError && e.code === -32005,
  );
  const done = await jobState(client, pk, ["completed", "failed", "cancelled"]);
  assert.equal(done.state, "completed", String(done.state_reason));
  assert.equal(done.final_energy, -275.44859113743);
  assert.deepEqual(done.tags, ["adopted"]);
});

clusterTest(
  "remote jobs survive an SSH outage, an sshd restart and a daemon SIGKILL",
  async (cluster) => {
    await using box = await makeSandbox();
    let ids: number[];
    let clusterId: number;
    {
      await using daemon = await setUp(cluster, box);
      await using client = new SocketClient(box.socket);
      clusterId = (await addCluster(client, cluster, { max_concurrent: 10 })).id;
      const submit = (name: string, title: string) =>
        client.request("jobs.submit", {
          name,
          input: deck(title),
          runner: "slurm",
          cluster_id: clusterId,
        }) as Promise<Job>;
      const running = await submit("running", "R [slow]");
      await jobState(client, running.pk, ["running"]);
      // The pooled connection is up; sshd restarts under it, and the next call reconnects.
      await cluster.restartSshd();
      const queue = await client.request("slurm.queue", { cluster_id: clusterId, user: "all" }) as {
        entries: unknown[];
      };
      assert.ok(queue.entries.length >= 1);
      // SSH goes away mid-run: polls fail, nothing is marked failed.
      await cluster.stopSshd();
      const blind = await client.request("slurm.sync", { cluster_id: clusterId }) as {
        errors: unknown[];
        changed: unknown[];
      };
      assert.equal(blind.errors.length, 1);
      assert.deepEqual(blind.changed, []);
      assert.equal((await client.request("jobs.get", { pk: running.pk }) as Job).state, "running");
      await cluster.startSshd();
      const queued = await submit("queued", "Q [slow]");
      ids = [running.pk, queued.pk];
      daemon.child.kill("SIGKILL");
      await daemon.status;
    }
    await using _again = await setUp(cluster, box);
    await using client = new SocketClient(box.socket);
    for (const pk of ids) {
      const done = await jobState(client, pk, ["completed", "failed", "cancelled"]);
      assert.equal(done.state, "completed", `${pk}: ${done.state_reason}`);
    }
  },
);

clusterTest("an interrupted submission is found again, never submitted twice", async (cluster) => {
  await using box = await makeSandbox();
  let pk: number;
  let uuid: string;
  let slurmId: string;
  {
    await using daemon = await setUp(cluster, box);
    await using client = new SocketClient(box.socket);
    const { id } = await addCluster(client, cluster);
    const job = await submitRemote(client, id, "once", "O [slow]");
    pk = job.pk;
    uuid = String(job.uuid);
    const row = await client.request("jobs.get", { pk }) as Job;
    slurmId = String(row.slurm_job_id);
    daemon.child.kill("SIGKILL");
    await daemon.status;
  }
  // Make the store look as if the daemon died after sbatch but before it recorded the id.
  const db = new DatabaseSync(box.db);
  db.prepare(
    "UPDATE jobs SET slurm_job_id = NULL, submit_step = 'submitting', state = 'unknown' WHERE pk = ?",
  ).run(pk);
  db.close();
  await using _again = await setUp(cluster, box);
  await using client = new SocketClient(box.socket);
  const done = await jobState(client, pk, ["completed", "failed", "cancelled"]);
  assert.equal(done.state, "completed", String(done.state_reason));
  assert.equal(
    await squeueCount(cluster, `crystalmath-${uuid}`),
    1,
    "exactly one SLURM job has its name",
  );
  const history = done.history as { reason: string | null }[];
  assert.ok(
    history.some((h) => h.reason?.includes(`SLURM job ${slurmId} (found again`)),
    JSON.stringify(history),
  );
});

clusterTest(
  "jobs beyond a cluster's max_concurrent wait in the daemon, not in SLURM",
  async (cluster) => {
    await using box = await makeSandbox();
    await using _daemon = await setUp(cluster, box);
    await using client = new SocketClient(box.socket);
    const { id } = await addCluster(client, cluster, { max_concurrent: 1 });
    const submit = (name: string, title: string) =>
      client.request("jobs.submit", {
        name,
        input: deck(title),
        runner: "slurm",
        cluster_id: id,
      }) as Promise<Job>;
    const first = await submit("first", "F [slow]");
    const second = await submit("second", "S");
    assert.equal(first.state, "submitted");
    assert.equal(second.state, "queued");
    const waiting = await client.request("jobs.get", { pk: second.pk }) as Job;
    assert.equal(waiting.slurm_job_id, null, "not given to SLURM yet");
    assert.match(String(waiting.state_reason), /waiting for a slot: max_concurrent 1/);
    const done = await jobState(client, second.pk, ["completed", "failed", "cancelled"]);
    assert.equal(done.state, "completed");
    const firstDone = await client.request("jobs.get", { pk: first.pk }) as Job;
    assert.equal(firstDone.state, "completed");
    assert.ok(Number(done.slurm_job_id) > Number(firstDone.slurm_job_id));
  },
);

clusterTest(
  "clusters.delete refuses while jobs are active, and force cancels them in SLURM first",
  async (cluster) => {
    await using box = await makeSandbox();
    await using _daemon = await setUp(cluster, box);
    await using client = new SocketClient(box.socket);
    const { id } = await addCluster(client, cluster);
    const slow = await submitRemote(client, id, "slow", "S [slow]");
    await assert.rejects(
      client.request("clusters.delete", { id }),
      (e) =>
        e instanceof ServerError && e.code === -32006 && /1 job is still active/.test(e.message),
    );
    const deleted = await client.request("clusters.delete", { id, force: true }) as {
      cancelled_jobs: number[];
    };
    assert.deepEqual(deleted.cancelled_jobs, [slow.pk]);
    const job = await client.request("jobs.get", { pk: slow.pk }) as Job;
    assert.deepEqual([job.state, job.cluster_id], ["cancelled", null]);
    await waitFor(
      "scancel",
      () => slurmStates(cluster, String(job.slurm_job_id)),
      (r) => /CANCELLED/.test(r.stdout),
    );
    await assert.rejects(
      client.request("clusters.get", { id }),
      (e) => e instanceof ServerError && e.code === -32004,
    );
  },
);
