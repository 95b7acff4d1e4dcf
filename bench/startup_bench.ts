/**
 * Start-up to the first answered ping, and the idle RSS once started: the daemon (`serve` on a
 * fresh database) against the naive Deno server, interleaved, medians of several starts. The
 * issue of record's targets are at most 2× the naive server's start-up and 1.5× its idle RSS.
 *
 * Idle is 1.5 s after the first ping, the daemon's services up (it has answered
 * `system.status`) and its warm-up done. The daemon's own log says how long its services took
 * to build.
 *
 * @module
 */
import { join } from "node:path";
import { SocketClient } from "../client/socket_client.ts";
import { currentRssKiB } from "../tests/_flood.ts";
import { cliCommand, type Sandbox } from "../tests/_harness.ts";

// deno-lint-ignore no-console
const say = console.log;
const RUNS = Deno.env.get("BENCH_QUICK") === "1" ? 3 : 11;
const SETTLE_MS = 1500;
const NAIVE = new URL("./servers/naive_server.ts", import.meta.url).pathname;

/** One start: milliseconds from spawn to the first answered ping, and the settled RSS in KiB. */
interface Start {
  ms: number;
  idleKiB: number;
}

/** Starts `command`, times its first answered ping on `socket`, then lets it settle. */
async function measureStart(
  command: string,
  args: string[],
  options: { socket: string; isDaemon: boolean },
): Promise<Start> {
  const started = performance.now();
  const child = new Deno.Command(command, { args, stdout: "null", stderr: "null" }).spawn();
  try {
    let ms: number;
    for (;;) {
      try {
        await using client = new SocketClient(options.socket, { timeoutMs: 1000 });
        await client.request("system.ping", {});
        ms = performance.now() - started;
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 1)); // Not up yet.
      }
    }
    if (options.isDaemon) {
      await using client = new SocketClient(options.socket, { timeoutMs: 20_000 });
      await client.request("system.status", {}); // Answered once the services are up.
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return { ms, idleKiB: await currentRssKiB(child.pid) };
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** The `ms` of the daemon's "Ready" log line: how long its services took to build. */
async function servicesMs(log: string): Promise<number | undefined> {
  const text = await Deno.readTextFile(log).catch(() => "");
  const found = text.match(/ INFO Ready ms=(\d+)/);
  return found ? Number(found[1]) : undefined;
}

/** Runs the start-up section. */
export async function benchStartup(box: Sandbox): Promise<void> {
  const ours: Start[] = [];
  const naive: Start[] = [];
  const services: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = await Deno.makeTempDir({ dir: box.dir });
    const socket = join(dir, "d.sock");
    const log = join(dir, "d.log");
    const { command, args } = cliCommand([
      "serve",
      "--socket",
      socket,
      "--db",
      join(dir, "d.db"),
      "--log-file",
      log,
    ]);
    // Alternate which goes first, so that neither always follows the other's teardown.
    const runOurs = async () => {
      ours.push(await measureStart(command, args, { socket, isDaemon: true }));
      const ms = await servicesMs(log);
      if (ms !== undefined) services.push(ms);
    };
    const naiveSocket = join(dir, "n.sock");
    const runNaive = async () =>
      naive.push(
        await measureStart(Deno.execPath(), [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-net",
          NAIVE,
          "--socket",
          naiveSocket,
        ], { socket: naiveSocket, isDaemon: false }),
      );
    if (i % 2 === 0) {
      await runOurs();
      await runNaive();
    } else {
      await runNaive();
      await runOurs();
    }
  }
  const oursMs = median(ours.map((s) => s.ms));
  const naiveMs = median(naive.map((s) => s.ms));
  say(
    `start-up to the first answered ping: ${oursMs.toFixed(0)} ms against the naive ` +
      `server's ${naiveMs.toFixed(0)} ms: ${(oursMs / naiveMs).toFixed(2)}× (target ≤ 2); ` +
      `fastest ${Math.min(...ours.map((s) => s.ms)).toFixed(0)} against ` +
      `${Math.min(...naive.map((s) => s.ms)).toFixed(0)} ms`,
  );
  if (services.length > 0) {
    say(
      `the daemon built its services in ${
        median(services).toFixed(0)
      } ms (median), after its first answer`,
    );
  }
  const oursKiB = median(ours.map((s) => s.idleKiB));
  const naiveKiB = median(naive.map((s) => s.idleKiB));
  say(
    `idle RSS once started: ${(oursKiB / 1024).toFixed(1)} MiB against the naive server's ` +
      `${(naiveKiB / 1024).toFixed(1)} MiB: ${(oursKiB / naiveKiB).toFixed(2)}× (target ≤ 1.5)`,
  );
}
