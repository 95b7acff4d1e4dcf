/**
 * The plain-SSH runner (runner "ssh", clusters of type "ssh") through the real daemon and the real
 * OpenSSH server of tests/_cluster.ts. The host is this machine, so the tests read its processes
 * (ps) and the remote job directories directly. CRYSTAL is the project's stand-in.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SocketClient } from "../../client/socket_client.ts";
import { clusterTest, type TestCluster } from "../_cluster.ts";
import { exec } from "../_cluster_processes.ts";
import { waitFor } from "../_jobs.ts";
import { makeSandbox, type Sandbox, startDaemon } from "../_harness.ts";

const FAKE = new URL("../fixtures/fake_crystal/", import.meta.url).pathname;
const DAEMON_ENV = {
  CRYSTALMATH_SLURM_POLL_S: "0.5",
  CRYSTALMATH_CRYSTAL_EXECUTABLE: join(FAKE, "crystal"),
  CRYSTALMATH_PROPERTIES_EXECUTABLE: join(FAKE, "properties"),
};
const ENDED = ["completed", "failed", "cancelled"];
/** Each run appends its shell's pid here (in its remote directory), so a second run shows. */
const RUNS_FILE = "runs.log";

function deck(title: string): string {
  return `${title}\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\nBASISSET\nPOB-TZVP\nSHRINK\n8 8\nEND\n`;
}

interface Job {
  pk: number;
  uuid: string;
  state: string;
  state_reason: string | null;
  remote_dir: string | null;
  [key: string]: unknown;
}

function getJob(client: SocketClient, pk: number): Promise<Job> {
  return client.request("jobs.get", { pk }) as Promise<Job>;
}

function jobState(client: SocketClient, pk: number, states: string[]): Promise<Job> {
  return waitFor(
    `job ${pk} to be ${states.join("/")}`,
    () => getJob(client, pk),
    (j) => states.includes(j.state),
  );
}

async function addCluster(
  client: SocketClient,
  cluster: TestCluster,
  extra: Record<string, unknown> = {},
): Promise<number> {
  const created = await client.request("clusters.create", {
    name: "plain",
    cluster_type: "ssh",
    hostname: cluster.host,
    port: cluster.port,
    username: cluster.user,
    key_file: cluster.keyFile,
    remote_workdir: cluster.remoteRoot,
    crystal: { executable: join(FAKE, "crystal"), properties: join(FAKE, "properties") },
    setup_commands: [`echo "$$" >> ${RUNS_FILE}`],
    ...extra,
  }) as { id: number };
  return created.id;
}

function submitSsh(
  client: SocketClient,
  clusterId: number,
  options: { name: string; title: string; depends_on?: number[] },
): Promise<Job> {
  return client.request("jobs.submit", {
    name: options.name,
    input: deck(options.title),
    runner: "ssh",
    cluster_id: clusterId,
    ...(options.depends_on ? { depends_on: options.depends_on } : {}),
  }) as Promise<Job>;
}

async function setUp(cluster: TestCluster, box: Sandbox) {
  await cluster.writeSshFiles(box.env.HOME, { trust: true });
  return await startDaemon(box, [], { env: DAEMON_ENV });
}

/** The stored process group of a job's run, read from the database itself. */
function storedPid(box: Sandbox, pk: number): number | null {
  const db = new DatabaseSync(box.db, { readOnly: true });
  try {
    const row = db.prepare("SELECT remote_pid FROM jobs WHERE pk = ?").get(pk) as {
      remote_pid: number | null;
    };
    return row.remote_pid;
  } finally {
    db.close();
  }
}

/**
 * Live processes on the host that belong to a run: in its process group, or carrying its tag.
 * Zombies are dead already; they only wait for the host's init to reap them.
 */
async function runProcesses(pgid: number, uuid: string): Promise<string[]> {
  const ps = await exec(["ps", "-eo", "pid=,pgid=,stat=,args="]);
  assert.equal(ps.code, 0, ps.stderr);
  const tag = `crystalmath-job-${uuid}`;
  return ps.stdout.split("\n").filter((line) => {
    const [, group, stat, args] = line.match(/^\s*\d+\s+(\d+)\s+(\S+)\s+(.*)$/) ?? [];
    if (group === undefined || stat!.startsWith("Z")) return false;
    return Number(group) === pgid || args!.includes(tag);
  });
}

/** The pids that ran a job, one line per run (see RUNS_FILE). */
async function runsOf(job: Job): Promise<string[]> {
  const text = await Deno.readTextFile(join(job.remote_dir!, RUNS_FILE));
  return text.split("\n").filter((l) => l !== "");
}

function fileNames(job: Job): string[] {
  return (job.files as { name: string }[]).map((f) => f.name);
}

clusterTest(
  "an ssh job runs detached on the host, completes, and its output is fetched",
  async (cluster) => {
    await using box = await makeSandbox();
    await using _daemon = await setUp(cluster, box);
    await using client = new SocketClient(box.socket);
    const id = await addCluster(client, cluster);
    const submitted = await submitSsh(client, id, { name: "MgO plain", title: "MgO [slow]" });
    assert.equal(submitted.state, "running");
    const running = await getJob(client, submitted.pk);
    assert.equal(running.runner_type, "ssh");
    assert.equal(running.slurm_job_id, null);
    assert.equal(running.remote_dir, join(cluster.remoteRoot, "crystalmath", submitted.uuid));
    const pid = storedPid(box, submitted.pk);
    assert.ok(pid !== null && pid > 1, `remote_pid stored: ${pid}`);
    assert.equal(running.remote_pid, pid, "jobs.get shows the run's process group");
    assert.match(String(running.state_reason), new RegExp(`process group ${pid}`));
    assert.equal(
      (await Deno.readTextFile(join(running.remote_dir!, ".run_pid"))).trim(),
      String(pid),
    );
    // The run leads its own session and process group on the host, and carries the job's tag.
    const procs = await runProcesses(pid!, submitted.uuid);
    assert.ok(
      procs.some((line) => line.includes(`crystalmath-job-${submitted.uuid}`)),
      procs.join("\n"),
    );
    const sid = await exec(["ps", "-o", "sid=", "-p", String(pid)]);
    assert.equal(Number(sid.stdout.trim()), pid, "the run is a session leader");

    const done = await jobState(client, submitted.pk, ENDED);
    assert.equal(done.state, "completed", String(done.state_reason));
    assert.equal(done.final_energy, -275.44859113743);
    assert.equal(done.exit_code, 0);
    assert.equal(done.progress_percent, 100);
    const files = fileNames(done);
    for (const name of ["mgo-plain.out", "mgo-plain.err", ".exit_code", "job.sh", ".run_pid"]) {
      assert.ok(files.includes(name), `${name} fetched: ${files.join(", ")}`);
    }
    assert.ok(!files.includes("fort.9"), "the wave function stays on the host");
    const local = await Deno.readTextFile(join(String(done.work_dir), "mgo-plain.out"));
    assert.match(local, /SCF ENDED - CONVERGENCE ON ENERGY/);
    assert.deepEqual(await runsOf(done), [String(pid)]);
    assert.deepEqual(await runProcesses(pid!, submitted.uuid), [], "nothing is left running");
  },
);

clusterTest(
  "an ssh job whose SCF does not converge ends failed with the parsed reason",
  async (cluster) => {
    await using box = await makeSandbox();
    await using _daemon = await setUp(cluster, box);
    await using client = new SocketClient(box.socket);
    const id = await addCluster(client, cluster);
    const scf = await submitSsh(client, id, { name: "nio", title: "NiO [fail-scf]" });
    const error = await submitSsh(client, id, { name: "broken", title: "MgO [error]" });
    const failed = await jobState(client, scf.pk, ENDED);
    assert.equal(failed.state, "failed");
    assert.match(String(failed.state_reason), /TOO MANY CYCLES/);
    assert.match(String(failed.error_snippet), /TOO MANY CYCLES/);
    assert.equal(failed.exit_code, 0, "CRYSTAL exits 0 all the same");
    assert.ok(fileNames(failed).includes("nio.out"));
    const bad = await jobState(client, error.pk, ENDED);
    assert.equal(bad.state, "failed");
    assert.equal(bad.exit_code, 1);
    assert.match(String(bad.error_snippet), /ERROR \*\*\*\* INPUT \*\*\*\*/);
  },
);

clusterTest(
  "jobs.cancel on an ssh job kills its whole process group, escalating to SIGKILL",
  async (cluster) => {
    await using box = await makeSandbox();
    await using _daemon = await setUp(cluster, box);
    await using client = new SocketClient(box.socket);
    const id = await addCluster(client, cluster);
    for (const title of ["S [slow]", "H [hang]"]) {
      const job = await submitSsh(client, id, { name: "long", title });
      const pid = storedPid(box, job.pk)!;
      // Wait until CRYSTAL itself (a child in the group) is up, not just the run script.
      await waitFor(
        `${title} running on the host`,
        () => runProcesses(pid, job.uuid),
        (procs) => procs.some((line) => line.includes(join(FAKE, "crystal"))),
        10_000,
      );
      const started = Date.now();
      assert.deepEqual(await client.request("jobs.cancel", { pk: job.pk }), {
        cancelled: true,
        state: "cancelled",
      });
      const took = Date.now() - started;
      if (title.includes("[hang]")) assert.ok(took >= 4000, `SIGTERM grace honoured: ${took} ms`);
      assert.deepEqual(await runProcesses(pid, job.uuid), [], `${title}: no process left`);
      const row = await getJob(client, job.pk);
      assert.equal(row.state, "cancelled");
      assert.match(String(row.state_reason), /cancelled by the user \(kill\)/);
      // Later polls must not turn the cancelled job into anything else.
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await getJob(client, job.pk)).state, "cancelled");
    }
  },
);

clusterTest(
  "an ssh job survives a daemon SIGKILL mid-run and completes after a restart, run once",
  async (cluster) => {
    await using box = await makeSandbox();
    let job: Job;
    let pid: number;
    {
      await using daemon = await setUp(cluster, box);
      await using client = new SocketClient(box.socket);
      const id = await addCluster(client, cluster);
      job = await submitSsh(client, id, { name: "survivor", title: "K [slow]" });
      assert.equal(job.state, "running");
      pid = storedPid(box, job.pk)!;
      daemon.child.kill("SIGKILL");
      await daemon.status;
    }
    assert.notDeepEqual(await runProcesses(pid, job.uuid), [], "the run outlives the daemon");
    await using _again = await setUp(cluster, box);
    await using client = new SocketClient(box.socket);
    const done = await jobState(client, job.pk, ENDED);
    assert.equal(done.state, "completed", String(done.state_reason));
    assert.equal(done.final_energy, -275.44859113743);
    assert.deepEqual(await runsOf(done), [String(pid)], "exactly one run");
    assert.equal(storedPid(box, job.pk), pid);
  },
);

clusterTest(
  "an interrupted ssh launch is found again by its pid file, never started twice",
  async (cluster) => {
    await using box = await makeSandbox();
    let job: Job;
    let pid: number;
    {
      await using daemon = await setUp(cluster, box);
      await using client = new SocketClient(box.socket);
      const id = await addCluster(client, cluster);
      job = await submitSsh(client, id, { name: "once", title: "O [slow]" });
      pid = storedPid(box, job.pk)!;
      daemon.child.kill("SIGKILL");
      await daemon.status;
    }
    // Make the store look as if the daemon died after the launch but before it recorded the pid.
    const db = new DatabaseSync(box.db);
    db.prepare(
      "UPDATE jobs SET remote_pid = NULL, submit_step = 'submitting', state = 'unknown' WHERE pk = ?",
    ).run(job.pk);
    db.close();
    await using _again = await setUp(cluster, box);
    await using client = new SocketClient(box.socket);
    const done = await jobState(client, job.pk, ENDED);
    assert.equal(done.state, "completed", String(done.state_reason));
    assert.equal(storedPid(box, job.pk), pid);
    assert.deepEqual(await runsOf(done), [String(pid)], "exactly one run");
    const history = done.history as { reason: string | null }[];
    assert.ok(
      history.some((h) => h.reason?.includes(`process group ${pid} (found again`)),
      JSON.stringify(history),
    );
  },
);

clusterTest(
  "ssh jobs beyond a cluster's max_concurrent wait in the daemon for a slot",
  async (cluster) => {
    await using box = await makeSandbox();
    await using _daemon = await setUp(cluster, box);
    await using client = new SocketClient(box.socket);
    const id = await addCluster(client, cluster, { max_concurrent: 1 });
    const first = await submitSsh(client, id, { name: "first", title: "F [slow]" });
    const second = await submitSsh(client, id, { name: "second", title: "S" });
    assert.equal(first.state, "running");
    assert.equal(second.state, "queued");
    const waiting = await getJob(client, second.pk);
    assert.match(String(waiting.state_reason), /waiting for a slot: max_concurrent 1/);
    assert.equal(storedPid(box, second.pk), null, "not started on the host yet");
    const secondRunning = await jobState(client, second.pk, ["running", ...ENDED]);
    const firstThen = await getJob(client, first.pk);
    assert.equal(firstThen.state, "completed", "the second starts only after the first ended");
    assert.ok(secondRunning.state === "running" || secondRunning.state === "completed");
    const done = await jobState(client, second.pk, ENDED);
    assert.equal(done.state, "completed", String(done.state_reason));
    assert.ok(
      Date.parse(String(done.started_at)) >= Date.parse(String(firstThen.finished_at)) - 1000,
      `${done.started_at} after ${firstThen.finished_at}`,
    );
    assert.deepEqual((await runsOf(done)).length, 1);
  },
);

clusterTest(
  "a local job that depends on an ssh job is held until it completes, then runs",
  async (cluster) => {
    await using box = await makeSandbox();
    await using _daemon = await setUp(cluster, box);
    await using client = new SocketClient(box.socket);
    const id = await addCluster(client, cluster);
    const remote = await submitSsh(client, id, { name: "remote", title: "R [slow]" });
    const local = await client.request("jobs.submit", {
      name: "local",
      input: deck("L"),
      runner: "local",
      depends_on: [remote.pk],
    }) as Job;
    assert.equal(local.state, "created");
    const held = await getJob(client, local.pk);
    assert.equal(held.state_reason, `waiting for job ${remote.pk} (running)`);
    const done = await jobState(client, local.pk, ENDED);
    assert.equal(done.state, "completed", String(done.state_reason));
    const dependency = await getJob(client, remote.pk);
    assert.equal(dependency.state, "completed");
    assert.ok(
      Date.parse(String(done.started_at)) >= Date.parse(String(dependency.finished_at)) - 1000,
    );
  },
);
