/**
 * workflows.launch_aiida through the real daemon and the real OpenSSH server of tests/_cluster.ts,
 * with the stand-in verdi of tests/fixtures/fake_verdi installed on that host (this machine) in a
 * directory whose name needs quoting. A missing verdi and an old aiida-core answer unsupported
 * with the install hint; a working one has its process PK recorded, then followed with
 * `verdi process show` to completed (finished [0]), failed (exit status 300) or cancelled.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { SocketClient } from "../../client/socket_client.ts";
import { ServerError } from "../../client/errors.ts";
import { clusterTest, type TestCluster } from "../_cluster.ts";
import { FAKE_CRYSTAL_DIR, waitFor } from "../_jobs.ts";
import { makeSandbox, startDaemon } from "../_harness.ts";

const STAND_IN = new URL("../fixtures/fake_verdi/verdi", import.meta.url).pathname;
const MGO = "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\nBASISSET\n" +
  "POB-TZVP\nDFT\nB3LYP\nEND\nSHRINK\n8 8\nEND\n";

interface View {
  id: string;
  type: string;
  name: string;
  state: string;
  error: string | null;
  result: Record<string, unknown> | null;
  warnings: string[];
  aiida?: {
    process_pk: number | null;
    process_state: string | null;
    exit_status: number | null;
    remote_dir: string;
    outputs: { label: string; pk: number }[];
  };
}

/** Copies the stand-in into `<root>/<name>/` with its settings; returns its path. */
async function installVerdi(root: string, name: string, conf: string): Promise<string> {
  const dir = join(root, name);
  await Deno.mkdir(dir, { recursive: true });
  const verdi = join(dir, "verdi");
  await Deno.copyFile(STAND_IN, verdi);
  await Deno.chmod(verdi, 0o755);
  await Deno.writeTextFile(join(dir, "fake_verdi.conf"), conf);
  return verdi;
}

async function unsupported(promise: Promise<unknown>, pattern: RegExp): Promise<string> {
  let message = "";
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ServerError, String(error));
    assert.equal(error.code, -32012, error.message);
    assert.equal(error.kind, "unsupported");
    assert.match(error.message, pattern);
    message = error.message;
    return true;
  });
  return message;
}

function settled(client: SocketClient, id: string, states: string[]): Promise<View> {
  return waitFor(
    `${id} to be ${states.join("/")}`,
    () => client.request("workflows.get", { id }) as Promise<View>,
    (view) => states.includes(view.state),
    30_000,
  );
}

async function addCluster(client: SocketClient, cluster: TestCluster): Promise<number> {
  const created = await client.request("clusters.create", {
    name: "aiida-host",
    cluster_type: "ssh",
    hostname: cluster.host,
    port: cluster.port,
    username: cluster.user,
    key_file: cluster.keyFile,
    remote_workdir: cluster.remoteRoot,
  }) as { id: number };
  return created.id;
}

clusterTest(
  "workflows.launch_aiida: unsupported without AiiDA, then a process followed to its end",
  async (cluster) => {
    await using box = await makeSandbox();
    await cluster.writeSshFiles(box.env.HOME, { trust: true });
    const env = {
      env: {
        CRYSTALMATH_SLURM_POLL_S: "0.5",
        CRYSTALMATH_CRYSTAL_EXECUTABLE: join(FAKE_CRYSTAL_DIR, "crystal"),
      },
    };
    // Both are disposed mid-test (the daemon SIGKILLed); disposing again at the end is harmless.
    await using first = await startDaemon(box, [], env);
    await using client = new SocketClient(box.socket);
    const id = await addCluster(client, cluster);
    const launch = (extra: Record<string, unknown> = {}) =>
      client.request("workflows.launch_aiida", { cluster_id: id, base_input: MGO, ...extra });

    // No aiida settings: say what to install, or to use workflows.create_*.
    await unsupported(
      launch(),
      /no aiida settings.*pip install 'aiida-core>=2' aiida-crystal-dft.*workflows\.create_\*/,
    );
    const ui = await client.request("launch_aiida_geopt", {
      config_json: '{"structure_pk":1}',
    }) as {
      ok: boolean;
      error: { code: string };
    };
    assert.deepEqual([ui.ok, ui.error.code], [false, "UNSUPPORTED"]);

    // verdi missing on the host.
    const aiida = { profile: "research", code_label: "crystal@aiida-host" };
    await client.request("clusters.update", {
      id,
      aiida: { ...aiida, verdi: join(cluster.remoteRoot, "no-aiida", "verdi") },
    });
    const shown = await client.request("clusters.get", { id }) as { aiida: unknown };
    assert.deepEqual(shown.aiida, {
      ...aiida,
      verdi: join(cluster.remoteRoot, "no-aiida", "verdi"),
    });
    await unsupported(launch(), /verdi was not found on "aiida-host".*pip install 'aiida-core>=2'/);

    // An old aiida-core.
    const old = await installVerdi(cluster.remoteRoot, "old aiida", "VERSION=1.6.9\n");
    await client.request("clusters.update", { id, aiida: { ...aiida, verdi: old } });
    await unsupported(launch(), /aiida-core 1\.6\.9; workflows\.launch_aiida needs aiida-core 2/);
    // aiida-core 2 without the plugin, then with an unknown profile.
    const bare = await installVerdi(cluster.remoteRoot, "bare", "PLUGIN=no\n");
    await client.request("clusters.update", { id, aiida: { ...aiida, verdi: bare } });
    await unsupported(launch(), /no aiida-crystal-dft .*pip install aiida-crystal-dft/);
    await client.request("clusters.update", {
      id,
      aiida: { ...aiida, profile: "other", verdi: bare },
    });
    await unsupported(launch(), /verdi presto --profile-name other/);
    const listed = await client.request("workflows.list", {}) as { total: number };
    assert.equal(listed.total, 0, "an unsupported launch records nothing");

    // A working AiiDA, installed under a name that needs quoting.
    const verdi = await installVerdi(cluster.remoteRoot, "it's aiida", "STEPS=2\n");
    await client.request("clusters.update", { id, aiida: { ...aiida, verdi } });
    const launched = await launch({ name: "mgo opt" }) as View;
    assert.equal(launched.type, "aiida");
    assert.equal(launched.state, "created");
    assert.equal(launched.aiida?.process_pk, 101);
    const dir = launched.aiida!.remote_dir;
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700, "the launch directory is private");
    const inputs = JSON.parse(await Deno.readTextFile(join(dir, "inputs.json")));
    assert.deepEqual(inputs.structure.cellpar, [4.21, 4.21, 4.21, 90, 90, 90]);
    assert.equal(inputs.code_label, "crystal@aiida-host");
    assert.match(
      await Deno.readTextFile(join(dir, "launcher.py")),
      /from aiida\.engine import submit/,
    );
    const calls = await Deno.readTextFile(join(cluster.remoteRoot, "it's aiida", "calls.log"));
    assert.ok(
      calls.includes(`--\n-p\nresearch\nrun\n${dir}/launcher.py\n${dir}/inputs.json\n`),
      `verdi -p research run got each argument whole:\n${calls}`,
    );

    const completed = await settled(client, launched.id, ["completed", "failed", "cancelled"]);
    assert.equal(completed.state, "completed", JSON.stringify(completed));
    assert.deepEqual(
      [completed.aiida?.process_state, completed.aiida?.exit_status],
      ["finished", 0],
    );
    assert.equal(completed.result?.process_pk, 101);
    await assert.rejects(client.request("workflows.plot", { id: launched.id }), /ran in AiiDA/);
    assert.deepEqual(completed.aiida?.outputs.map((o) => o.label), [
      "output_parameters",
      "output_structure",
    ]);

    // A failed exit status, an exception, a refused launch, and a cancel.
    const failing = await launch({ name: "mgo [fail]" }) as View;
    const excepting = await launch({ name: "mgo [except]" }) as View;
    const refused = await launch({ name: "mgo [refuse]" }) as View;
    assert.equal(refused.state, "failed");
    assert.match(refused.error ?? "", /cannot load code 'crystal@nowhere'/);
    const failed = await settled(client, failing.id, ["completed", "failed", "cancelled"]);
    assert.equal(failed.state, "failed");
    assert.match(failed.error ?? "", /exit status 300: CRYSTAL error/);
    assert.equal(failed.aiida?.exit_status, 300);
    const excepted = await settled(client, excepting.id, ["completed", "failed", "cancelled"]);
    assert.equal(excepted.state, "failed");
    assert.match(excepted.error ?? "", /excepted: KeyError/);

    await Deno.writeTextFile(
      join(cluster.remoteRoot, "it's aiida", "fake_verdi.conf"),
      "STEPS=1000\n",
    );
    const long = await launch({ name: "mgo long", workflow: "single_point" }) as View;
    await settled(client, long.id, ["running"]);
    const cancelled = await client.request("workflows.cancel", { id: long.id }) as View;
    assert.equal(cancelled.state, "cancelled");
    assert.match(
      await Deno.readTextFile(join(cluster.remoteRoot, "it's aiida", "calls.log")),
      new RegExp(`process\nkill\n${long.aiida!.process_pk}\n`),
    );

    // workflows.available and the UI's check say AiiDA is usable on the cluster.
    const available = await waitFor(
      "the probe",
      () => client.request("workflows.available", {}) as Promise<{ aiida: { state: string }[] }>,
      (a) => a.aiida[0]?.state === "usable",
      10_000,
    );
    assert.deepEqual(available.aiida, [{
      cluster_id: id,
      cluster: "aiida-host",
      state: "usable",
      detail: "aiida-core 2.6.3",
    }]);
    const check = await client.request("check_workflows_available", {}) as {
      data: { aiida_available: boolean };
    };
    assert.equal(check.data.aiida_available, true);
    const aiidaOnly = await client.request("workflows.list", { type: "aiida" }) as {
      total: number;
    };
    assert.equal(aiidaOnly.total, 5);

    // The UI's launcher: a job's deck, its force threshold and step limit.
    const job = await client.request("jobs.submit", { name: "mgo", input: MGO }) as { pk: number };
    const geopt = await client.request("launch_aiida_geopt", {
      config_json: JSON.stringify({
        structure_pk: job.pk,
        code_label: "crystal@aiida-host",
        force_threshold: 0.0003,
        max_iterations: 40,
      }),
    }) as { ok: boolean; data: { workflow_json: string; inputs: unknown[] } };
    assert.equal(geopt.ok, true, JSON.stringify(geopt));
    const made = JSON.parse(geopt.data.workflow_json) as { config: Record<string, unknown> };
    assert.deepEqual(geopt.data.inputs, []);
    assert.equal(made.config.cluster_id, id);
    const view = await client.request("workflows.get", { id: made.config.workflow_id }) as View;
    assert.equal(made.config.aiida_pk, view.aiida?.process_pk);
    const sent = JSON.parse(await Deno.readTextFile(join(view.aiida!.remote_dir, "inputs.json")));
    assert.deepEqual(sent.parameters.geometry, {
      optimise: { type: "FULLOPTG", convergence: { TOLDEG: 0.0003, MAXCYCLE: 40 } },
    });

    // SIGKILLed while a process runs: the next daemon follows it on, and nothing is submitted twice.
    await Deno.writeTextFile(
      join(cluster.remoteRoot, "it's aiida", "fake_verdi.conf"),
      "STEPS=3\n",
    );
    const survivor = await launch({ name: "mgo restart" }) as View;
    await client[Symbol.asyncDispose]();
    await first[Symbol.asyncDispose]();
    await using _second = await startDaemon(box, [], env);
    await using again = new SocketClient(box.socket);
    const resumed = await settled(again, survivor.id, ["completed", "failed", "cancelled"]);
    assert.equal(resumed.state, "completed");
    assert.equal(resumed.aiida?.process_pk, survivor.aiida?.process_pk);
    const runs = (await Deno.readTextFile(join(cluster.remoteRoot, "it's aiida", "calls.log")))
      .split("--\n").filter((call) => call.includes(`${survivor.aiida!.remote_dir}/inputs.json`));
    assert.equal(runs.length, 1, "one verdi run for the launch");

    // The key is cleared with null.
    await again.request("clusters.update", { id, aiida: null });
    const { clusters } = await again.request("clusters.list", {}) as {
      clusters: { aiida: unknown }[];
    };
    assert.deepEqual(clusters.map((c) => c.aiida), [null]);
  },
);
