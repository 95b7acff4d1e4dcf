/**
 * Workflows on the real single-node SLURM of the test harness (tests/_cluster.ts): an EOS study
 * and a SHRINK scan whose members run through sbatch with the stand-in CRYSTAL's [model], analysed
 * to the model's known answers. Skipped, with the reason, where the harness cannot start.
 */
import assert from "node:assert/strict";
import { SocketClient } from "../../client/socket_client.ts";
import { clusterTest, slurmClusterParams, type TestCluster } from "../_cluster.ts";
import { waitFor } from "../_jobs.ts";
import { makeSandbox, startDaemon } from "../_harness.ts";

const BASE = "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\n" +
  "BASISSET\nPOB-TZVP\nSHRINK\n8 8\nTOLDEE\n8\nEND\n";

async function addCluster(client: SocketClient, cluster: TestCluster): Promise<number> {
  const { id } = await client.request("clusters.create", slurmClusterParams(cluster)) as {
    id: number;
  };
  return id;
}

function ended(client: SocketClient, id: string) {
  return waitFor(
    `workflow ${id} to end`,
    () =>
      client.request("workflows.get", { id }) as Promise<
        { state: string; error: string | null; result: Record<string, unknown> | null }
      >,
    (w) => ["completed", "failed", "cancelled"].includes(w.state),
    180_000,
  );
}

clusterTest(
  "EOS and SHRINK studies run on SLURM and come to the model's answers",
  async (cluster) => {
    await using box = await makeSandbox();
    await cluster.writeSshFiles(box.env.HOME, { trust: true });
    await using _daemon = await startDaemon(box, [], { env: { CRYSTALMATH_SLURM_POLL_S: "0.5" } });
    await using client = new SocketClient(box.socket);
    const clusterId = await addCluster(client, cluster);
    const target = { runner: "slurm", cluster_id: clusterId, base_input: BASE };
    const eos = await client.request("workflows.create_eos", {
      ...target,
      name: "mgo-eos [model]",
      num_points: 5,
    }) as { workflow_id: string; jobs: number[] };
    const scan = await client.request("workflows.create_convergence", {
      ...target,
      name: "mgo-k [model]",
      parameter: "shrink",
      values: [4, 6, 8, 10],
    }) as { workflow_id: string };
    const a = await ended(client, eos.workflow_id);
    assert.equal(a.state, "completed", String(a.error));
    assert.ok(Math.abs(Number(a.result!["v0"]) - 18.75) < 1e-4, String(a.result!["v0"]));
    assert.ok(Math.abs(Number(a.result!["b0_gpa"]) - 160) < 1e-2, String(a.result!["b0_gpa"]));
    const b = await ended(client, scan.workflow_id);
    assert.equal(b.state, "completed", String(b.error));
    assert.equal(b.result!["converged_value"], 6);
    const member = await client.request("jobs.get", { pk: eos.jobs[0]! }) as {
      slurm_job_id: string | null;
      workflow_id: string;
    };
    assert.ok(member.slurm_job_id !== null, "the member went through sbatch");
    assert.equal(member.workflow_id, eos.workflow_id);
  },
);
