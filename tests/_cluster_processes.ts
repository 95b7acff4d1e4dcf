/**
 * Processes for the test cluster: finding the binaries, spawning daemons with their output in a
 * log, waiting for them, running commands, and killing a process tree.
 *
 * @module
 */
import { join } from "node:path";

/** The programs the test cluster runs. */
export const BINARIES = [
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
/** The name of one of BINARIES. */
export type Binary = typeof BINARIES[number];
const SEARCH_DIRS = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];
const START_TIMEOUT_MS = 20_000;

/** A spawned daemon, with its log file and exit status. */
export interface Daemon {
  name: string;
  log: string;
  child: Deno.ChildProcess;
  status: Promise<Deno.CommandStatus>;
  hasExited: boolean;
}

/** Spawns a daemon with stdout and stderr appended to `log`. */
export function spawnDaemon(name: string, o: { argv: string[]; log: string }): Daemon {
  const { argv, log } = o;
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

/** Polls `check` until it holds; fails with the daemons' log tails when a watched one exits or time runs out. */
export async function waitFor(
  what: string,
  o: { check: () => Promise<boolean>; watched: Daemon[]; all: Daemon[] },
): Promise<void> {
  const started = Date.now();
  while (true) {
    if (await o.check()) return;
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

/** Runs a command to completion with `env`, and returns its exit code and decoded output. */
export async function exec(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const [command, ...args] = argv;
  if (command === undefined) throw new TypeError("Cannot run an empty command");
  const out = await new Deno.Command(command, { args, env, stdin: "null" }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** The stdout of a command that must succeed; throws with its stderr otherwise. */
export function checked(
  result: { code: number; stdout: string; stderr: string },
  what: string,
): string {
  if (result.code !== 0) {
    throw new Error(
      `Cannot prepare the test cluster: ${what} exited ${result.code}: ${result.stderr}`,
    );
  }
  return result.stdout;
}

/** The path of an installed program, searched in PATH then the usual sbin/bin folders. */
export function findBinary(name: string): string | undefined {
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

/** The path of every one of BINARIES; throws when one is missing. */
export function resolveBinaries(): Record<Binary, string> {
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
export function freePorts(count: number): number[] {
  const listeners = Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => l.addr.port);
  for (const listener of listeners) listener.close();
  return ports;
}

/** True when something accepts connections on the loopback port. */
export async function isPortOpen(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false; // Not listening yet.
  }
}

/** True when the file exists and is a Unix socket. */
export async function isSocket(file: string): Promise<boolean> {
  return await Deno.stat(file).then((s) => s.isSocket === true, () => false);
}

/** Sends a signal to a process that may already be gone. */
export function signalPid(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch {
    // The process is already gone, which is what we wanted.
  }
}

/** Freezes and then kills every descendant of `root`, so none can fork a replacement meanwhile. */
export async function killTree(root: number): Promise<void> {
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
