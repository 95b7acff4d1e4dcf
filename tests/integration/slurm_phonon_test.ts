/**
 * A phonon study with optimize_first on the real single-node SLURM of the test harness
 * (tests/_cluster.ts): the FREQCALC job goes to sbatch with afterok on the OPT before the OPT has
 * run, and its run script copies the OPT's fort.34 when it starts, so the stand-in's [model]
 * frequency is the one at the relaxed volume. Skipped, with the reason, where the harness cannot
 * start.
 */
import assert from "node:assert/strict";
import { SocketClient } from "../../client/socket_client.ts";
import { clusterTest, slurmClusterParams } from "../_cluster.ts";
import { type JobView, waitFor } from "../_jobs.ts";
import { makeSandbox, startDaemon } from "../_harness.ts";

const BASE = "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\n" +
  "BASISSET\nPOB-TZVP\nSHRINK\n8 8\nTOLDEE\n8\nEND\n";

clusterTest(
  "a phonon study with optimize_first runs on SLURM: afterok, and FREQCALC on the OPT's fort.34",
  async (cluster) => {
    await using box = await makeSandbox();
    await cluster.writeSshFiles(box.env.HOME, { trust: true });
    await using _daemon = await startDaemon(box, [], { env: { CRYSTALMATH_SLURM_POLL_S: "0.5" } });
    await using client = new SocketClient(box.socket);
    const { id: clusterId } = await client.request(
      "clusters.create",
      slurmClusterParams(cluster),
    ) as { id: number };
    const created = await client.request("workflows.create_phonon", {
      name: "mgo [model] [slow]",
      base_input: BASE,
      runner: "slurm",
      cluster_id: clusterId,
      optimize_first: true,
    }) as { workflow_id: string; jobs: [number, number] };
    const done = await waitFor(
      `workflow ${created.workflow_id} to end`,
      () =>
        client.request("workflows.get", { id: created.workflow_id }) as Promise<{
          state: string;
          error: string | null;
          result: { modes: { frequency_cm1: number }[]; optimised_by: number } | null;
        }>,
      (w) => ["completed", "failed", "cancelled"].includes(w.state),
      180_000,
    );
    assert.equal(done.state, "completed", String(done.error));
    const [optPk, freqPk] = created.jobs;
    assert.equal(done.result!.optimised_by, optPk);
    // 400 cm⁻¹ is the model's TO mode at the relaxed V0; the deck's a = 4.21 would give 404.10.
    assert.equal(done.result!.modes[1]!.frequency_cm1, 400);
    const [opt, freq] = await Promise.all(
      [optPk, freqPk].map((pk) => client.request("jobs.get", { pk }) as Promise<JobView>),
    ) as [JobView, JobView];
    assert.ok(opt.slurm_job_id !== null && freq.slurm_job_id !== null, "both went through sbatch");
    const script = await client.request("jobs.get_output_file", {
      pk: freqPk,
      name: "job.sbatch",
    }) as { content: string };
    assert.match(
      script.content,
      new RegExp(`^#SBATCH --dependency=afterok:${opt.slurm_job_id}$`, "m"),
    );
    assert.match(
      script.content,
      /^for f in fort\.9 fort\.20 fort\.34; do if \[ -f \/\S+\/"\$f" \]/m,
    );
    const read = (pk: number) =>
      client.request("jobs.get_output_file", { pk, name: "fort.34" }) as Promise<
        { content: string }
      >;
    const [written, copied] = await Promise.all([read(optPk), read(freqPk)]);
    assert.equal(copied.content, written.content, "the FREQCALC job ran on the OPT's fort.34");
  },
);
