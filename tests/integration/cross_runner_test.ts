/**
 * Dependencies across runners, through the real daemon, a real OpenSSH and a real SLURM: the
 * engine holds a SLURM job until a local job it depends on has completed, then submits it.
 */
import assert from "node:assert/strict";
import { SocketClient } from "../../client/socket_client.ts";
import { generateD12 } from "../../server/methods/materials/generate_d12.ts";
import { clusterTest, slurmClusterParams } from "../_cluster.ts";
import { makeSandbox, startDaemon } from "../_harness.ts";
import { deck, ENDED, FAKE_CRYSTAL_ENV, FAKE_ENERGY, type JobView, waitForJob } from "../_jobs.ts";

clusterTest(
  "a SLURM job that depends on a local job is held until it completes",
  async (cluster) => {
    await using box = await makeSandbox();
    await cluster.writeSshFiles(box.env.HOME, { trust: true });
    await using _daemon = await startDaemon(box, [], {
      env: {
        CRYSTALMATH_SLURM_POLL_S: "0.5",
        ...FAKE_CRYSTAL_ENV,
      },
    });
    await using client = new SocketClient(box.socket);
    const { id } = await client.request("clusters.create", slurmClusterParams(cluster)) as {
      id: number;
    };
    const local = await client.request("jobs.submit", {
      name: "local-first",
      input: deck("Local [slow]"),
    }) as JobView;
    const remote = await client.request("jobs.submit", {
      name: "remote-after",
      input: deck("Remote"),
      runner: "slurm",
      cluster_id: id,
      depends_on: [local.pk],
    }) as JobView;
    assert.equal(remote.state, "created");
    const held = await client.request("jobs.get", { pk: remote.pk }) as JobView;
    assert.equal(held.state_reason, `waiting for job ${local.pk} (running)`);
    assert.equal(held.slurm_job_id, null, "nothing reached SLURM while it was held");
    const first = await waitForJob(client, local.pk, ENDED, 90_000);
    const second = await waitForJob(client, remote.pk, ENDED, 90_000);
    assert.deepEqual([first.state, second.state], ["completed", "completed"], second.state_reason!);
    assert.ok(second.slurm_job_id !== null);
    // It reached SLURM only after its dependency ended (a short run may skip "running" in polls).
    const sent = second.history.find((h) => h.to_state === "submitted")!;
    assert.ok(sent.at >= first.finished_at!, `${sent.at} after ${first.finished_at}`);
    assert.equal(second.final_energy, FAKE_ENERGY);
  },
);

clusterTest(
  "an EXTERNAL deck's fort.34 reaches the job directory over plain SSH and on SLURM, and the job completes",
  async (cluster) => {
    await using box = await makeSandbox();
    await cluster.writeSshFiles(box.env.HOME, { trust: true });
    await using _daemon = await startDaemon(box, [], {
      env: { CRYSTALMATH_SLURM_POLL_S: "0.5", ...FAKE_CRYSTAL_ENV },
    });
    await using client = new SocketClient(box.socket);
    const slurm = await client.request("clusters.create", slurmClusterParams(cluster)) as {
      id: number;
    };
    const { name: _, partition: __, default_resources: ___, ...host } = slurmClusterParams(cluster);
    const ssh = await client.request("clusters.create", {
      ...host,
      name: "plain",
      cluster_type: "ssh",
    }) as { id: number };
    const { poscar } = generateD12.examples[0]!.params as { poscar: string };
    const { d12, fort34 } = await client.request("materials.generate_d12", {
      poscar,
      geometry: "external",
    }) as { d12: string; fort34: string };
    for (const [runner, id] of [["slurm", slurm.id], ["ssh", ssh.id]] as const) {
      const submitted = await client.request("jobs.submit", {
        name: `route-b-${runner}`,
        input: d12,
        fort34,
        runner,
        cluster_id: id,
      }) as JobView;
      const done = await waitForJob(client, submitted.pk, ENDED, 90_000);
      assert.equal(done.state, "completed", `${runner}: ${done.state_reason}`);
      assert.equal(await Deno.readTextFile(`${done.remote_dir}/fort.34`), fort34, runner);
      const log = await client.request("jobs.log", { pk: done.pk, tail_lines: 500 }) as {
        lines: string[];
      };
      assert.ok(log.lines.some((l) => /GEOMETRY INPUT FROM EXTERNAL FILE/.test(l)), runner);
    }
  },
);
