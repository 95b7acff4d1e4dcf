/**
 * Dependencies across runners, through the real daemon, a real OpenSSH and a real SLURM: the
 * engine holds a SLURM job until a local job it depends on has completed, then submits it.
 */
import assert from "node:assert/strict";
import { SocketClient } from "../../client/socket_client.ts";
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
