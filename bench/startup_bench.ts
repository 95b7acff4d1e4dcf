/**
 * Start-up to the first answered ping: the daemon (`serve` on a fresh database) against the naive
 * Deno server, interleaved, medians of several starts. The issue of record's target is at most
 * 2× the naive server.
 *
 * @module
 */
import { join } from "node:path";
import { SocketClient } from "../client/socket_client.ts";
import { cliCommand, type Sandbox } from "../tests/_harness.ts";

// deno-lint-ignore no-console
const say = console.log;
const RUNS = Deno.env.get("BENCH_QUICK") === "1" ? 3 : 9;
const NAIVE = new URL("./servers/naive_server.ts", import.meta.url).pathname;

/** Milliseconds from spawn to the first answered ping on `socket`. */
async function timeToPing(command: string, args: string[], socket: string): Promise<number> {
  const started = performance.now();
  const child = new Deno.Command(command, { args, stdout: "null", stderr: "null" }).spawn();
  try {
    for (;;) {
      try {
        await using client = new SocketClient(socket, { timeoutMs: 1000 });
        await client.request("system.ping", {});
        return performance.now() - started;
      } catch {
        await new Promise((r) => setTimeout(r, 1)); // Not up yet.
      }
    }
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** Runs the start-up section. */
export async function benchStartup(box: Sandbox): Promise<void> {
  const ours: number[] = [];
  const naive: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = await Deno.makeTempDir({ dir: box.dir });
    const socket = join(dir, "d.sock");
    const { command, args } = cliCommand([
      "serve",
      "--socket",
      socket,
      "--db",
      join(dir, "d.db"),
      "--log-file",
      join(dir, "d.log"),
    ]);
    ours.push(await timeToPing(command, args, socket));
    const naiveSocket = join(dir, "n.sock");
    naive.push(
      await timeToPing(Deno.execPath(), [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-net",
        NAIVE,
        "--socket",
        naiveSocket,
      ], naiveSocket),
    );
  }
  say(
    `start-up to the first answered ping: ${median(ours).toFixed(0)} ms against the naive ` +
      `server's ${median(naive).toFixed(0)} ms: ${(median(ours) / median(naive)).toFixed(2)}× ` +
      "(target ≤ 2)",
  );
}
