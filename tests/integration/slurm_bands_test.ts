/**
 * A band-structure study on the real single-node SLURM of the test harness (tests/_cluster.ts):
 * the SCF through sbatch, then a properties-only job on the cluster that restarts from its
 * fort.9 there, analysed to the stand-in's known gap. Skipped, with the reason, where the harness
 * cannot start.
 */
import assert from "node:assert/strict";
import { SocketClient } from "../../client/socket_client.ts";
import { clusterTest, slurmClusterParams } from "../_cluster.ts";
import { deck, waitFor } from "../_jobs.ts";
import { makeSandbox, startDaemon } from "../_harness.ts";

clusterTest(
  "a band-structure study runs on SLURM, properties on the cluster's fort.9",
  async (cluster) => {
    await using box = await makeSandbox();
    await cluster.writeSshFiles(box.env.HOME, { trust: true });
    await using _daemon = await startDaemon(box, [], { env: { CRYSTALMATH_SLURM_POLL_S: "0.5" } });
    await using client = new SocketClient(box.socket);
    const { id } = await client.request("clusters.create", slurmClusterParams(cluster)) as {
      id: number;
    };
    const created = await client.request("workflows.create_bands", {
      name: "mgo [model]",
      base_input: deck("MgO"),
      runner: "slurm",
      cluster_id: id,
      points_per_segment: 10,
    }) as { workflow_id: string; jobs: number[] };
    assert.equal(created.jobs.length, 2, "properties queued with the SCF, not after it");
    const done = await waitFor(
      `workflow ${created.workflow_id} to end`,
      () =>
        client.request("workflows.get", { id: created.workflow_id }) as Promise<{
          state: string;
          error: string | null;
          jobs: { pk: number }[];
          result: Record<string, unknown> | null;
        }>,
      (w) => ["completed", "failed", "cancelled"].includes(w.state),
      180_000,
    );
    assert.equal(done.state, "completed", String(done.error));
    assert.ok(Math.abs(Number(done.result!["gap_ev"]) - 0.25 * 27.211386245988) < 1e-9);
    type Got = { slurm_job_id: string | null; state_reason: string; remote_dir: string };
    const get = (pk: number) => client.request("jobs.get", { pk }) as Promise<Got>;
    const [scf, props] = [await get(done.jobs[0]!.pk), await get(done.jobs[1]!.pk)];
    assert.ok(props.slurm_job_id !== null, "properties went through sbatch");
    assert.match(props.state_reason, /properties completed/);
    // The harness's cluster is this machine: the script sbatch was given is readable here.
    const script = await Deno.readTextFile(`${props.remote_dir}/job.sbatch`);
    assert.match(script, new RegExp(`^#SBATCH --dependency=afterok:${scf.slurm_job_id}$`, "m"));
    assert.match(script, /awk .* INPUT\.d3 > INPUT\.d3\.tmp/, "the bands placed on the host");
    assert.match(
      await Deno.readTextFile(`${props.remote_dir}/INPUT.d3`),
      /^4 0 40 1 26 1 0$/m,
      "MgO's 26 AOs around band 10",
    );
  },
);
