/** The SSH + SLURM test cluster itself: reachable over ssh, runs jobs, survives an sshd restart. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { clusterTest, type TestCluster } from "../_cluster.ts";

/** Runs `command` on the cluster with the OpenSSH client, through the files writeSshFiles() made. */
async function ssh(
  cluster: TestCluster,
  command: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("ssh", { args: sshArgs(cluster, command), stdin: "null" })
    .output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

function sshArgs(cluster: TestCluster, command: string): string[] {
  const home = join(cluster.remoteRoot, "home");
  return [
    // The OpenSSH client takes ~/.ssh from the password database, not HOME, so name the files.
    "-F",
    join(home, ".ssh", "config"),
    "-o",
    `UserKnownHostsFile=${join(home, ".ssh", "known_hosts")}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "testcluster",
    command,
  ];
}

async function trustCluster(cluster: TestCluster): Promise<void> {
  await cluster.writeSshFiles(join(cluster.remoteRoot, "home"), { trust: true });
}

clusterTest("The test cluster answers sinfo over ssh with an idle node", async (cluster) => {
  await trustCluster(cluster);
  const result = await ssh(cluster, "sinfo -h -o %T");
  assert.equal(result.stderr, "");
  assert.equal(result.stdout.trim(), "idle");
  assert.match(cluster.hostKeyFingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.match(cluster.hostKeyLine, /^ssh-ed25519 AAAA\S+$/);
});

clusterTest(
  "The test cluster runs an sbatch job submitted over ssh to completion",
  async (cluster) => {
    await trustCluster(cluster);
    const submit = await ssh(
      cluster,
      `sbatch --parsable --chdir=${cluster.remoteRoot} --job-name=harness --wrap 'echo hi'`,
    );
    assert.equal(submit.code, 0, submit.stderr);
    const jobId = submit.stdout.trim();
    assert.match(jobId, /^\d+$/);

    let state = "";
    for (let i = 0; i < 200 && state !== "COMPLETED"; i++) {
      const sacct = await cluster.run(["sacct", "-c", "-P", "-n", "-o", "JobID,JobName,State"]);
      const line = sacct.stdout.split("\n").find((l) => l.startsWith(`${jobId}|`));
      state = line?.split("|")[2] ?? "";
      if (state !== "COMPLETED") await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(state, "COMPLETED");
    const job = await cluster.run(["scontrol", "show", "job", "-o", jobId]);
    assert.match(job.stdout, /JobState=COMPLETED .*ExitCode=0:0/);
    const output = await Deno.readTextFile(join(cluster.remoteRoot, `slurm-${jobId}.out`));
    assert.equal(output, "hi\n");
  },
);

clusterTest(
  "restartSshd() drops open connections and accepts new ones with the same key",
  async (cluster) => {
    await trustCluster(cluster);
    const session = new Deno.Command("ssh", {
      args: sshArgs(cluster, "echo ready; sleep 60"),
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = session.stdout.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value).trim(), "ready");

    await cluster.restartSshd();
    const status = await session.status;
    reader.releaseLock();
    await session.stdout.cancel();
    assert.equal(status.code, 255);

    const after = await ssh(cluster, "echo $SLURM_CONF");
    assert.equal(after.code, 0, after.stderr);
    assert.equal(after.stdout.trim(), cluster.slurmConf);
  },
);
