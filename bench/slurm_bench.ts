/**
 * Benchmarks for clusters over SSH, against the real sshd and SLURM of tests/_cluster.ts:
 * - slurm.queue over the daemon's warm pooled connection, against a fresh `ssh host squeue`
 *   process per call, in one run;
 * - the time the tracker takes to observe 200 finished jobs on one cluster, and how many squeue
 *   calls it made for them (one per poll, not one per job).
 *
 * @module
 */
import { join } from "node:path";
import { SocketClient } from "../client/socket_client.ts";
import { clusterAvailable, startTestCluster, type TestCluster } from "../tests/_cluster.ts";
import { type Sandbox, startDaemon } from "../tests/_harness.ts";

// deno-lint-ignore no-console
const say = console.log;
const FAKE = new URL("../tests/fixtures/fake_crystal/crystal", import.meta.url).pathname;
const JOBS = 200;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Registers the test cluster with the daemon. */
async function registerCluster(
  client: SocketClient,
  cluster: TestCluster,
  name: string,
): Promise<{ id: number }> {
  return await client.request("clusters.create", {
    name,
    cluster_type: "slurm",
    hostname: cluster.host,
    port: cluster.port,
    username: cluster.user,
    key_file: cluster.keyFile,
    remote_workdir: cluster.remoteRoot,
  }) as { id: number };
}

function deck(title: string): string {
  return `${title}\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\nBASISSET\nPOB-TZVP\nEND\n`;
}

async function queueBench(box: Sandbox, cluster: TestCluster, clusterId: number): Promise<void> {
  await using client = new SocketClient(box.socket);
  for (let i = 0; i < 3; i++) {
    await client.request("slurm.queue", { cluster_id: clusterId, user: "all" });
  }
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    await client.request("slurm.queue", { cluster_id: clusterId, user: "all" });
    warm.push(performance.now() - started);
  }
  const fresh: number[] = [];
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    const out = await new Deno.Command("ssh", {
      args: [
        "-F",
        "none",
        "-i",
        cluster.keyFile,
        "-p",
        String(cluster.port),
        "-o",
        `UserKnownHostsFile=${join(box.env.HOME, ".ssh", "known_hosts")}`,
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        `${cluster.user}@${cluster.host}`,
        "squeue",
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`ssh squeue failed: ${new TextDecoder().decode(out.stderr)}`);
    fresh.push(performance.now() - started);
  }
  const w = median(warm);
  const f = median(fresh);
  say(
    `slurm.queue, warm pooled connection: ${w.toFixed(1)} ms; fresh "ssh host squeue": ${
      f.toFixed(1)
    } ms: ` +
      `${(f / w).toFixed(2)}× faster pooled`,
  );
}

async function trackerBench(box: Sandbox, cluster: TestCluster): Promise<void> {
  // Submit the jobs by hand, let SLURM finish them, then hand them to a fresh daemon to observe.
  const ids: { id: string; dir: string }[] = [];
  for (let i = 0; i < JOBS; i++) {
    const dir = join(cluster.remoteRoot, "bench", String(i));
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(join(dir, "INPUT"), deck(`bench ${i}`));
    const wrap = `${FAKE} < INPUT > job.out 2> job.err; echo $? > .exit_code`;
    const out = await cluster.run([
      "sbatch",
      "--parsable",
      `--chdir=${dir}`,
      "--output=/dev/null",
      "--wrap",
      wrap,
    ]);
    if (out.code !== 0) throw new Error(`sbatch failed: ${out.stderr}`);
    ids.push({ id: out.stdout.trim(), dir });
  }
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const out = await cluster.run([
      "squeue",
      "--noheader",
      "--states=PENDING,RUNNING,COMPLETING",
      "-o",
      "%i",
    ]);
    if (out.stdout.trim() === "") break;
    if (Date.now() > deadline) {
      throw new Error("SLURM did not finish the benchmark jobs in 10 minutes");
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const db = join(box.dir, "tracker.db");
  const log = join(box.dir, "tracker.log");
  {
    await using _daemon = await startDaemon(box, [
      "--db",
      db,
      "--log-file",
      log,
      "--no-timeout",
      "-v",
    ], {
      env: { CRYSTALMATH_SLURM_POLL_S: "3600" },
    });
    await using client = new SocketClient(box.socket);
    const { id: clusterId } = await registerCluster(client, cluster, "bench");
    await client.request("system.ping", {});
    // Record the jobs as the daemon would have after submitting them (a store edit while it runs is
    // safe here: the tracker polls only when asked, the poll interval being an hour).
    const { DatabaseSync } = await import("node:sqlite");
    const raw = new DatabaseSync(db);
    const insert = raw.prepare(
      `INSERT INTO jobs (uuid, name, state, runner_type, cluster_id, input, created_at, updated_at, work_dir,
         output_name, slurm_job_id, remote_dir, submit_step)
       VALUES (?, ?, 'submitted', 'slurm', ?, 'deck', ?, ?, ?, 'job', ?, ?, 'submitted')`,
    );
    const at = new Date().toISOString();
    for (const [i, job] of ids.entries()) {
      insert.run(
        crypto.randomUUID(),
        `bench-${i}`,
        clusterId,
        at,
        at,
        join(box.dir, "local", String(i)),
        job.id,
        job.dir,
      );
    }
    raw.close();
    const started = performance.now();
    const summary = await client.request("slurm.sync", { cluster_id: clusterId }, {
      timeoutMs: 10 * 60_000,
    }) as {
      changed: { to: string }[];
    };
    const seconds = (performance.now() - started) / 1000;
    const completed = summary.changed.filter((c) => c.to === "completed").length;
    const polls =
      (await Deno.readTextFile(log)).split("\n").filter((l) =>
        l.includes("Polling cluster with one squeue call")
      ).length;
    say(
      `tracker: observed ${JOBS} finished jobs (${completed} completed, results fetched and parsed) in ` +
        `${seconds.toFixed(1)} s with ${polls} squeue call${
          polls === 1 ? "" : "s"
        } (one per poll, not one per job)`,
    );
  }
}

/** Runs the cluster benchmarks, when a test cluster can be started here (root, packages). */
export async function benchSlurm(box: Sandbox): Promise<void> {
  say("\nclusters over SSH (real sshd and SLURM on loopback)");
  const available = clusterAvailable();
  if (!available.ok) {
    say(`skipped: ${available.reason}`);
    return;
  }
  await using cluster = await startTestCluster();
  await cluster.writeSshFiles(box.env.HOME, { trust: true });
  {
    await using _daemon = await startDaemon(box, ["--no-timeout"]);
    await using client = new SocketClient(box.socket);
    const { id } = await registerCluster(client, cluster, "loopback");
    await queueBench(box, cluster, id);
  }
  await trackerBench(box, cluster);
}
