/**
 * Test cluster: a real OpenSSH server and a real single-node SLURM (munged, slurmctld, slurmd)
 * on loopback, each in its own temp dir with free ports, for the SSH and SLURM integration tests.
 * Needs root and Debian's openssh-server, munge, slurmctld, slurmd and slurm-client packages
 * (`.ci/run` installs them).
 *
 * @module
 */
import { join } from "node:path";
import { FAKE_CRYSTAL_DIR } from "./_jobs.ts";
import { clusterName, slurmConfig, sshdConfig, writeSshFiles } from "./_cluster_config.ts";
import {
  BINARIES,
  checked,
  type Daemon,
  exec,
  findBinary,
  freePorts,
  isPortOpen,
  isSocket,
  killTree,
  resolveBinaries,
  signalPid,
  spawnDaemon,
  waitFor,
} from "./_cluster_processes.ts";

/** A running sshd + SLURM on 127.0.0.1; disposing it stops every daemon and removes its files. */
export interface TestCluster extends AsyncDisposable {
  host: "127.0.0.1";
  port: number;
  user: string;
  /** Client private key (ed25519, OpenSSH format, unencrypted). */
  keyFile: string;
  /** The host public key line, `ssh-ed25519 AAAA...`. */
  hostKeyLine: string;
  /** `SHA256:...` as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  /** An absolute temp dir usable as a cluster's remote_workdir. */
  remoteRoot: string;
  /** Path of the private slurm.conf. */
  slurmConf: string;
  /** Environment for running SLURM commands locally (SLURM_CONF). */
  env: Record<string, string>;
  /** Writes <home>/.ssh/config (Host alias `testcluster` → HostName/Port/User/IdentityFile) and, if trust is true, <home>/.ssh/known_hosts with "[127.0.0.1]:<port> <hostKeyLine>". Both files are appended to. */
  writeSshFiles(home: string, options?: { trust?: boolean; alias?: string }): Promise<void>;
  /** Stops and starts sshd on the same port with the same keys, dropping open connections. */
  restartSshd(): Promise<void>;
  /** Kills sshd and every session it holds, so open connections drop as in a network failure. */
  stopSshd(): Promise<void>;
  /** Starts sshd again on the same port with the same keys. */
  startSshd(): Promise<void>;
  /** Runs a local SLURM command (squeue, scontrol, sacct...) with `env`. */
  run(command: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Cancels leftover jobs, stops slurmd, slurmctld, munged and sshd, and removes the temp dir. */
  [Symbol.asyncDispose](): Promise<void>;
}

const STOP_TIMEOUT_MS = 10_000;
const SSH_ALIAS = "testcluster";

/** The clusters.create params of the harness's SLURM, with the stand-in CRYSTAL; `extra` overrides. */
export function slurmClusterParams(
  cluster: TestCluster,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name: "loopback",
    cluster_type: "slurm",
    hostname: cluster.host,
    port: cluster.port,
    username: cluster.user,
    key_file: cluster.keyFile,
    remote_workdir: cluster.remoteRoot,
    partition: "debug",
    crystal: {
      executable: join(FAKE_CRYSTAL_DIR, "crystal"),
      properties: join(FAKE_CRYSTAL_DIR, "properties"),
    },
    default_resources: { nodes: 1, ntasks: 1, time: "00:10:00" },
    ...extra,
  };
}

/** Reports whether a test cluster can start here: root, and every binary installed. */
export function clusterAvailable(): { ok: true } | { ok: false; reason: string } {
  try {
    if (Deno.uid() !== 0) return { ok: false, reason: "the SLURM test cluster needs root" };
    const missing = BINARIES.filter((name) => findBinary(name) === undefined);
    if (missing.length > 0) {
      return { ok: false, reason: `missing binaries: ${missing.join(", ")} (see .ci/run)` };
    }
    return { ok: true };
  } catch (cause) {
    return { ok: false, reason: `cannot inspect the machine: ${String(cause)}` };
  }
}

/** Registers a Deno test that needs the cluster: skipped with the reason when it is unavailable, failed instead when CI is set. */
export function clusterTest(name: string, fn: (cluster: TestCluster) => Promise<void>): void {
  const availability = clusterAvailable();
  const ci = Deno.env.get("CI") ?? "";
  const isCi = ci !== "" && ci !== "0" && ci !== "false";
  if (!availability.ok && !isCi) {
    // Deno has no skip reason and `deno test -q` hides output, so the name carries it.
    Deno.test({ name: `${name} (skipped: ${availability.reason})`, ignore: true, fn() {} });
    return;
  }
  Deno.test(name, async () => {
    if (!availability.ok) {
      throw new Error(`Cannot run cluster test "${name}": ${availability.reason}`);
    }
    const cluster = await startTestCluster();
    try {
      await fn(cluster);
    } catch (error) {
      // Report the test's own failure, not a disposal error that may follow from it.
      await cluster[Symbol.asyncDispose]().catch(() => {});
      throw error;
    }
    await cluster[Symbol.asyncDispose]();
  });
}

/** Starts sshd, munged, slurmctld and slurmd in a fresh temp dir and waits until the node is idle. */
export async function startTestCluster(): Promise<TestCluster> {
  const bin = resolveBinaries();
  const dir = await Deno.makeTempDir({ prefix: "cmcl" });
  // munged refuses a socket unless every directory above it is searchable by all.
  await Deno.chmod(dir, 0o755);
  const path = (...parts: string[]) => join(dir, ...parts);
  const daemons = new Map<string, Daemon>();
  const [sshPort, ctldPort, slurmdPort] = freePorts(3) as [number, number, number];
  const slurmConf = path("slurm.conf");
  const env = { SLURM_CONF: slurmConf };
  const keyFile = path("ssh", "id_ed25519");
  const hostKey = path("ssh", "host_ed25519");
  const sshdConf = path("ssh", "sshd_config");

  async function stop(name: string, signal: Deno.Signal): Promise<void> {
    const daemon = daemons.get(name);
    if (daemon === undefined) return;
    daemons.delete(name);
    if (!daemon.hasExited) signalPid(daemon.child.pid, signal);
    const timer = setTimeout(() => signalPid(daemon.child.pid, "SIGKILL"), STOP_TIMEOUT_MS);
    await daemon.status.finally(() => clearTimeout(timer));
  }
  async function stopSshd(): Promise<void> {
    const daemon = daemons.get("sshd");
    // Per-connection sshd processes outlive the listener, so kill the whole tree to drop them.
    if (daemon !== undefined && !daemon.hasExited) await killTree(daemon.child.pid);
    await stop("sshd", "SIGKILL");
  }
  async function startSshd(): Promise<void> {
    if (daemons.has("sshd")) throw new Error("Cannot start sshd: it is already running");
    const sshd = spawnDaemon("sshd", {
      argv: [bin.sshd, "-D", "-e", "-f", sshdConf],
      log: path("log", "sshd.log"),
    });
    daemons.set("sshd", sshd);
    await waitUntil("sshd accepting connections", () => isPortOpen(sshPort), [sshd]);
  }
  async function cancelJobs(): Promise<void> {
    const daemon = daemons.get("slurmctld");
    if (daemon === undefined || daemon.hasExited) return;
    const active = () => exec([bin.squeue, "-h", "-o", "%i"], env);
    if ((await active()).stdout.trim() === "") return;
    // Jobs left running would keep slurmstepd and their scripts alive after slurmd stops.
    await exec([bin.scancel, "--user=root"], env);
    await waitUntil("jobs cancelled", async () => (await active()).stdout.trim() === "", [])
      .catch(() => {}); // Best effort: the daemons are stopped and killed next anyway.
  }
  async function dispose(): Promise<void> {
    await cancelJobs();
    await stop("slurmd", "SIGTERM");
    await stop("slurmctld", "SIGTERM");
    await stop("munged", "SIGTERM");
    await stopSshd();
    await Deno.remove(dir, { recursive: true });
  }
  function waitUntil(what: string, check: () => Promise<boolean>, watched: Daemon[]) {
    return waitFor(what, { check, watched, all: [...daemons.values()] });
  }

  try {
    for (const sub of ["ssh", "run/munge", "state", "spool", "log", "remote"]) {
      await Deno.mkdir(path(sub), { recursive: true, mode: 0o755 });
    }
    await Deno.mkdir("/run/sshd", { recursive: true }); // sshd's privilege separation dir
    const [nodeLine] = await Promise.all([
      exec([bin.slurmd, "-C"]).then((r) => checked(r, "slurmd -C")),
      exec([bin["ssh-keygen"], "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", keyFile])
        .then((r) => checked(r, "ssh-keygen")),
      exec([bin["ssh-keygen"], "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", hostKey])
        .then((r) => checked(r, "ssh-keygen")),
      exec([bin.mungekey, "-c", "-k", path("munge.key")]).then((r) => checked(r, "mungekey")),
    ]);
    const node = nodeLine.split("\n").find((line) => line.startsWith("NodeName="));
    const nodeName = node?.match(/^NodeName=(\S+)/)?.[1];
    if (node === undefined || nodeName === undefined) {
      throw new Error(`Cannot read the node line from "slurmd -C": ${nodeLine}`);
    }
    const munge = path("run", "munge", "munge.socket");
    const hostKeyLine = (await Deno.readTextFile(`${hostKey}.pub`)).trim().split(/\s+/)
      .slice(0, 2).join(" ");
    const fingerprint =
      checked(await exec([bin["ssh-keygen"], "-lf", `${hostKey}.pub`]), "ssh-keygen -lf")
        .split(/\s+/)[1] ?? "";
    await Deno.copyFile(`${keyFile}.pub`, path("ssh", "authorized_keys"));
    await Deno.mkdir(join(dir, "remote-home"), { recursive: true });
    await Deno.writeTextFile(sshdConf, sshdConfig({ dir, port: sshPort, slurmConf }));
    await Deno.writeTextFile(
      slurmConf,
      slurmConfig({ dir, munge, node, nodeName, ctldPort, slurmdPort, cluster: clusterName() }),
    );

    const munged = spawnDaemon("munged", {
      argv: [
        bin.munged,
        "-F",
        `--key-file=${path("munge.key")}`,
        `--socket=${munge}`,
        // The defaults live in /var/lib/munge and /run/munge, owned by the munge user.
        `--seed-file=${path("run", "munge", "munged.seed")}`,
        `--pid-file=${path("run", "munge", "munged.pid")}`,
      ],
      log: path("log", "munged.log"),
    });
    daemons.set("munged", munged);
    await waitUntil("munged socket", () => isSocket(munge), [munged]);

    const ctld = spawnDaemon("slurmctld", {
      argv: [bin.slurmctld, "-D", "-i", "-f", slurmConf],
      log: path("log", "slurmctld.out"),
    });
    daemons.set("slurmctld", ctld);
    const slurmd = spawnDaemon("slurmd", {
      argv: [bin.slurmd, "-D", "-f", slurmConf],
      log: path("log", "slurmd.out"),
    });
    daemons.set("slurmd", slurmd);
    const sshdUp = startSshd();
    // sinfo sleeps a whole second between retries while the controller is down, so wait for its port.
    await waitUntil("slurmctld port", () => isPortOpen(ctldPort), [ctld, slurmd]);
    await waitUntil("node idle in sinfo", async () => {
      const r = await exec([bin.sinfo, "-h", "-o", "%T"], env);
      return r.stdout.trim() === "idle";
    }, [ctld, slurmd]);
    await sshdUp;

    return {
      host: "127.0.0.1",
      port: sshPort,
      user: "root",
      keyFile,
      hostKeyLine,
      hostKeyFingerprint: fingerprint,
      remoteRoot: path("remote"),
      slurmConf,
      env,
      writeSshFiles: (home, options = {}) =>
        writeSshFiles(home, {
          alias: options.alias ?? SSH_ALIAS,
          port: sshPort,
          keyFile,
          knownHostsLine: options.trust === true ? `[127.0.0.1]:${sshPort} ${hostKeyLine}` : null,
        }),
      async restartSshd() {
        await stopSshd();
        await startSshd();
      },
      stopSshd,
      startSshd,
      run: (command) => exec(command, env),
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await dispose().catch(() => {}); // Keep the bring-up error; cleanup is best effort here.
    throw error;
  }
}
