/**
 * Test cluster: a real OpenSSH server and a real single-node SLURM (munged, slurmctld, slurmd)
 * on loopback, each in its own temp dir with free ports, for the SSH and SLURM integration tests.
 * Needs root and Debian's openssh-server, munge, slurmctld, slurmd and slurm-client packages
 * (`.ci/run` installs them).
 *
 * @module
 */
import { join } from "node:path";

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

const BINARIES = [
  "sshd",
  "ssh",
  "ssh-keygen",
  "munged",
  "mungekey",
  "slurmctld",
  "slurmd",
  "sinfo",
  "squeue",
  "sbatch",
  "scancel",
] as const;
type Binary = typeof BINARIES[number];
const SEARCH_DIRS = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const SSH_ALIAS = "testcluster";

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

interface Daemon {
  name: string;
  log: string;
  child: Deno.ChildProcess;
  status: Promise<Deno.CommandStatus>;
  hasExited: boolean;
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
    const sshd = spawnDaemon(
      "sshd",
      [bin.sshd, "-D", "-e", "-f", sshdConf],
      path("log", "sshd.log"),
    );
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
    return waitFor(what, check, { watched, all: [...daemons.values()] });
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
    await Deno.writeTextFile(sshdConf, sshdConfig({ dir, port: sshPort, slurmConf }));
    await Deno.writeTextFile(
      slurmConf,
      slurmConfig({ dir, munge, node, nodeName, ctldPort, slurmdPort, cluster: clusterName() }),
    );

    const munged = spawnDaemon("munged", [
      bin.munged,
      "-F",
      `--key-file=${path("munge.key")}`,
      `--socket=${munge}`,
      // The defaults live in /var/lib/munge and /run/munge, owned by the munge user.
      `--seed-file=${path("run", "munge", "munged.seed")}`,
      `--pid-file=${path("run", "munge", "munged.pid")}`,
    ], path("log", "munged.log"));
    daemons.set("munged", munged);
    await waitUntil("munged socket", () => isSocket(munge), [munged]);

    const ctld = spawnDaemon(
      "slurmctld",
      [bin.slurmctld, "-D", "-i", "-f", slurmConf],
      path("log", "slurmctld.out"),
    );
    daemons.set("slurmctld", ctld);
    const slurmd = spawnDaemon(
      "slurmd",
      [bin.slurmd, "-D", "-f", slurmConf],
      path("log", "slurmd.out"),
    );
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

function sshdConfig(o: { dir: string; port: number; slurmConf: string }): string {
  return [
    `Port ${o.port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${join(o.dir, "ssh", "host_ed25519")}`,
    `AuthorizedKeysFile ${join(o.dir, "ssh", "authorized_keys")}`,
    "PidFile none", // the default /run/sshd.pid is shared with every other sshd
    "StrictModes no", // the keys live under the temp dir, not in a home
    "UsePAM no",
    "PermitRootLogin prohibit-password",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "Subsystem sftp internal-sftp",
    // Remote SLURM commands find the private slurm.conf through the session environment.
    `SetEnv SLURM_CONF=${o.slurmConf}`,
    "LogLevel VERBOSE",
    "",
  ].join("\n");
}

function slurmConfig(o: {
  dir: string;
  munge: string;
  node: string;
  nodeName: string;
  ctldPort: number;
  slurmdPort: number;
  cluster: string;
}): string {
  const at = (...parts: string[]) => join(o.dir, ...parts);
  return [
    `ClusterName=${o.cluster}`,
    `SlurmctldHost=${o.nodeName}(127.0.0.1)`,
    `SlurmctldPort=${o.ctldPort}`,
    `SlurmdPort=${o.slurmdPort}`,
    "SlurmUser=root",
    "SlurmdUser=root",
    "AuthType=auth/munge",
    "CredType=cred/munge",
    `AuthInfo=socket=${o.munge}`,
    // No cgroups here: track processes by parent pid and bind no tasks.
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "MpiDefault=none",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core",
    `StateSaveLocation=${at("state")}`,
    `SlurmdSpoolDir=${at("spool")}`,
    `SlurmctldPidFile=${at("run", "slurmctld.pid")}`,
    `SlurmdPidFile=${at("run", "slurmd.pid")}`,
    `SlurmctldLogFile=${at("log", "slurmctld.log")}`,
    `SlurmdLogFile=${at("log", "slurmd.log")}`,
    // No accounting storage: `sacct -c` reads this file instead.
    "JobCompType=jobcomp/filetxt",
    `JobCompLoc=${at("log", "jobcomp.txt")}`,
    "MailProg=/bin/true",
    "ReturnToService=2",
    "KillWait=2", // scancel's SIGTERM→SIGKILL grace, 30 s by default
    `${o.node} NodeAddr=127.0.0.1 State=UNKNOWN`,
    "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
    "",
  ].join("\n");
}

async function writeSshFiles(
  home: string,
  o: { alias: string; port: number; keyFile: string; knownHostsLine: string | null },
): Promise<void> {
  const ssh = join(home, ".ssh");
  await Deno.mkdir(ssh, { recursive: true, mode: 0o700 });
  const config = [
    `Host ${o.alias}`,
    "  HostName 127.0.0.1",
    `  Port ${o.port}`,
    "  User root",
    `  IdentityFile ${o.keyFile}`,
    "  IdentitiesOnly yes",
    "",
  ].join("\n");
  await Deno.writeTextFile(join(ssh, "config"), config, { append: true, mode: 0o600 });
  if (o.knownHostsLine !== null) {
    const file = join(ssh, "known_hosts");
    await Deno.writeTextFile(file, `${o.knownHostsLine}\n`, { append: true, mode: 0o600 });
  }
}

/** Spawns a daemon with stdout and stderr appended to `log`. */
function spawnDaemon(name: string, argv: string[], log: string): Daemon {
  // Deno cannot point a child's output at a file, so a shell sets up the redirect and execs.
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", 'exec "$@" >>"$0" 2>&1', log, ...argv],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const daemon: Daemon = { name, log, child, status: child.status, hasExited: false };
  daemon.status = child.status.then((status) => {
    daemon.hasExited = true;
    return status;
  });
  return daemon;
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  o: { watched: Daemon[]; all: Daemon[] },
): Promise<void> {
  const started = Date.now();
  while (true) {
    if (await check()) return;
    const dead = o.watched.find((d) => d.hasExited);
    const elapsed = Date.now() - started;
    if (dead !== undefined || elapsed > START_TIMEOUT_MS) {
      const why = dead !== undefined ? `${dead.name} exited` : `still waiting after ${elapsed} ms`;
      const tails = await Promise.all(o.all.map((d) => logTail(d)));
      throw new Error(`Cannot start the test cluster: ${what}: ${why}\n${tails.join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function logTail(daemon: Daemon): Promise<string> {
  const text = await Deno.readTextFile(daemon.log).catch((e) => `(no log: ${String(e)})`);
  return `--- ${daemon.name} ---\n${text.trimEnd().split("\n").slice(-15).join("\n")}`;
}

async function exec(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const [command, ...args] = argv;
  if (command === undefined) throw new TypeError("Cannot run an empty command");
  const out = await new Deno.Command(command, { args, env, stdin: "null" }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

function checked(result: { code: number; stdout: string; stderr: string }, what: string): string {
  if (result.code !== 0) {
    throw new Error(
      `Cannot prepare the test cluster: ${what} exited ${result.code}: ${result.stderr}`,
    );
  }
  return result.stdout;
}

function findBinary(name: string): string | undefined {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== ""), ...SEARCH_DIRS];
  for (const dir of dirs) {
    try {
      if (Deno.statSync(join(dir, name)).isFile) return join(dir, name);
    } catch {
      // Not in this directory: keep looking.
    }
  }
  return undefined;
}

function resolveBinaries(): Record<Binary, string> {
  const entries = BINARIES.map((name) => {
    const found = findBinary(name);
    if (found === undefined) {
      throw new Error(`Cannot start the test cluster: "${name}" is not installed`);
    }
    return [name, found] as const;
  });
  return Object.fromEntries(entries) as Record<Binary, string>;
}

/** Picks free loopback ports by binding port 0; all are held at once so they differ. */
function freePorts(count: number): number[] {
  const listeners = Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => l.addr.port);
  for (const listener of listeners) listener.close();
  return ports;
}

function clusterName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return `cm${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function isPortOpen(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false; // Not listening yet.
  }
}

async function isSocket(file: string): Promise<boolean> {
  return await Deno.stat(file).then((s) => s.isSocket === true, () => false);
}

function signalPid(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch {
    // The process is already gone, which is what we wanted.
  }
}

/** Freezes and then kills every descendant of `root`, so none can fork a replacement meanwhile. */
async function killTree(root: number): Promise<void> {
  signalPid(root, "SIGSTOP");
  const seen = new Set<number>();
  for (let round = 0; round < 10; round++) {
    const fresh = (await descendants(root)).filter((pid) => !seen.has(pid));
    if (fresh.length === 0) break;
    for (const pid of fresh) {
      seen.add(pid);
      signalPid(pid, "SIGSTOP");
    }
  }
  for (const pid of seen) signalPid(pid, "SIGKILL");
  signalPid(root, "SIGKILL");
}

async function descendants(root: number): Promise<number[]> {
  // Deno refuses /proc without --allow-all, so a child process reads it for us. Processes come
  // and go meanwhile; cat skips a vanished one with a message we drop.
  const out = await exec(["/bin/sh", "-c", "cat /proc/[0-9]*/stat 2>/dev/null"]);
  const children = new Map<number, number[]>();
  for (const line of out.stdout.split("\n")) {
    // Field 4 is the parent pid; field 2 (the name) may contain spaces and parentheses.
    const pid = Number(line.slice(0, line.indexOf(" ")));
    const ppid = Number(line.slice(line.lastIndexOf(")") + 2).split(" ")[1]);
    if (!Number.isInteger(pid) || !Number.isInteger(ppid) || pid === 0) continue;
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
