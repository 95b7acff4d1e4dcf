/**
 * Starting the daemon from a client: spawn this same program detached, as `serve`, and wait until
 * it answers. Works under `deno run` and as a compiled binary.
 *
 * @module
 */
import { concatBytes } from "../common/bytes.ts";
import { EXIT_CODES } from "../common/exit_codes.ts";
import { ClientError } from "./errors.ts";

/** How to start a daemon. */
export interface SpawnOptions {
  socket: string;
  /** Extra `serve` flags, such as `--db PATH` or `--timeout 60`. */
  serveArgs?: string[];
  /** How long to wait for the first answer. Default 5000. */
  waitMs?: number;
}

/** The deno.json permission set the daemon runs with, in `deno run`, tests and `deno compile`. */
export const PERMISSION_SET = "daemon";

/**
 * V8 flags for every launch of this program, compiled or not: `--expose-gc` lets the daemon
 * collect right after a very large frame (server/rpc/release_memory.ts); an 8 MiB cap on each
 * young-generation semi-space (V8's default lets it grow to 16 or more) took the peak RSS under
 * 16 connections × 32 pipelined pings from about 200 MiB to about 158, at the same throughput.
 */
export const V8_FLAGS = "--expose-gc,--max-semi-space-size=8";

/**
 * Deno flags for every `deno run` of this program. Without `--unstable-lazy-dynamic-imports`,
 * `deno run` reads and analyses every module that a literal `import()` names, transitively,
 * before main.ts starts: the whole daemon (about 250 modules) for a one-off `call`, which then
 * loads 20 of them. Not for `deno compile`: there it would leave those modules out of the binary.
 */
export const RUN_FLAGS: readonly string[] = ["--unstable-lazy-dynamic-imports"];

/**
 * `deno run` of `script` with `args`, the way this program runs from a checkout: this checkout's
 * deno.json, its permission set, and the V8 and run flags above.
 */
export function denoRun(script: string, args: string[]): { command: string; args: string[] } {
  const config = new URL("../deno.json", import.meta.url).pathname;
  return {
    command: Deno.execPath(),
    args: [
      "run",
      `-P=${PERMISSION_SET}`,
      `--v8-flags=${V8_FLAGS}`,
      ...RUN_FLAGS,
      "--config",
      config,
      "--no-prompt",
      "--quiet",
      script,
      ...args,
    ],
  };
}

/**
 * The command line that runs this program with `args`: the binary itself when compiled, else
 * `deno run` on this checkout's main.ts with the permission set the compile task uses.
 */
export function selfCommand(args: string[]): { command: string; args: string[] } {
  if (Deno.build.standalone) return { command: Deno.execPath(), args };
  return denoRun(new URL("../main.ts", import.meta.url).pathname, args);
}

/** A started daemon process and what it wrote to stderr, if it failed. */
export interface SpawnedDaemon {
  pid: number;
  /** Resolves to the exit code if the process ends while we watch it. */
  exited: Promise<number>;
  /** Stops watching stderr; from then on the daemon writes nothing there (it logs to its file). */
  release(): Promise<string>;
}

/** Spawns `serve` detached from this process's session, with stderr piped to catch start-up errors. */
export function spawnDaemon(options: SpawnOptions): SpawnedDaemon {
  const { command, args } = selfCommand([
    "serve",
    "--socket",
    options.socket,
    ...(options.serveArgs ?? []),
  ]);
  const child = new Deno.Command(command, {
    args,
    detached: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const chunks: Uint8Array[] = [];
  const reader = child.stderr.getReader();
  const drained = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done || !value) return;
      if (chunks.length < 64) chunks.push(value);
    }
  })();
  const exited = child.status.then((s) => s.code);
  child.unref();
  return {
    pid: child.pid,
    exited,
    async release() {
      await reader.cancel().catch(() => {/* already closed */});
      await drained;
      return new TextDecoder().decode(concatBytes(chunks)).trim();
    },
  };
}

/**
 * Spawns a daemon and waits until `isUp()` is true. If two clients do this at once, the pid lock
 * lets one daemon win; the other exits, and both clients find the winner.
 * @throws {ClientError} `not_running` when nothing answers within `waitMs`
 */
export async function startAndWait(
  options: SpawnOptions,
  isUp: () => Promise<boolean>,
): Promise<SpawnedDaemon> {
  const daemon = spawnDaemon(options);
  const deadline = Date.now() + (options.waitMs ?? 5000);
  let exitCode: number | undefined;
  daemon.exited.then((code) => exitCode = code);
  while (Date.now() < deadline) {
    if (await isUp()) return daemon;
    // Ours ended. If it lost the race for the lock, the winner may still be binding: keep waiting
    // for it. Any other exit is the answer.
    if (exitCode !== undefined && exitCode !== EXIT_CODES.conflict && !(await isUp())) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const stderr = await daemon.release();
  // What the daemon said when it gave up is the reason: a locked database, a bad config file.
  const said = stderr.split("\n").map((l) => l.replace(/^crystalmath-server: /, "")).filter(
    Boolean,
  );
  const reason = said.length > 0
    ? said.join("; ")
    : exitCode !== undefined
    ? `it exited with code ${exitCode} and said nothing; run "crystalmath-server serve" to see why`
    : `no answer within ${options.waitMs ?? 5000} ms; run "crystalmath-server serve" to see why`;
  throw new ClientError(
    "not_running",
    `Cannot start crystalmath-server on "${options.socket}": ${reason}`,
  );
}
