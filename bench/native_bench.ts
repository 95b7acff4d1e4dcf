/**
 * The RPC figures with a native load generator (bench/load.c: one thread, epoll), built with `cc`
 * where there is one: the Node generator is the bottleneck at these rates on two cores. The
 * daemon, the naive Deno server and vscode-jsonrpc under Node are measured in interleaved
 * rounds, medians kept.
 *
 * @module
 */
import { join } from "node:path";
import { peakRssKiB } from "../tests/_flood.ts";
import { type Sandbox, startDaemon } from "../tests/_harness.ts";
import { installVscodeJsonrpc, startNaiveServer, startVscodeServer } from "./competitors.ts";

// deno-lint-ignore no-console
const say = console.log;
const QUICK = Deno.env.get("BENCH_QUICK") === "1";
const ROUNDS = QUICK ? 1 : 3;
const SOURCE = new URL("./load.c", import.meta.url).pathname;

/** Builds the generator; undefined (with a message) where there is no C compiler. */
async function build(dir: string): Promise<string | undefined> {
  const binary = join(dir, "load");
  try {
    const out = await new Deno.Command("cc", {
      args: ["-O2", "-o", binary, SOURCE],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (out.success) return binary;
    say(`native load generator: cc failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  } catch {
    say("native load generator: skipped, there is no cc on this machine");
  }
  return undefined;
}

async function load(binary: string, args: string[]): Promise<Record<string, number>> {
  const out = await new Deno.Command(binary, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`load ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** Runs the native section. */
export async function benchNative(box: Sandbox): Promise<void> {
  const binary = await build(box.dir);
  if (binary === undefined) return;
  const modules = await installVscodeJsonrpc(join(box.dir, "npm"));
  const vscodeSocket = join(box.dir, "v.sock");
  const naiveSocket = join(box.dir, "n.sock");
  await using daemon = await startDaemon(box, ["--no-timeout"]);
  await using _vscode = await startVscodeServer({ socket: vscodeSocket, modules });
  await using naiveServer = await startNaiveServer({ socket: naiveSocket });
  const servers = [
    { name: "crystalmath-server", socket: box.socket },
    { name: "naive Deno server", socket: naiveSocket },
    { name: "vscode-jsonrpc (Node)", socket: vscodeSocket },
  ];
  const p50 = servers.map(() => [] as number[]);
  const rps = servers.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, server] of servers.entries()) {
      // A 1×1 run is bimodal: the scheduler sometimes puts server and generator on one CPU
      // (about 15 µs a ping) and sometimes not (about 50 µs). Three short runs per round, so that
      // the median says which is usual rather than which came up once.
      for (let run = 0; run < 3; run++) {
        const latency = await load(binary, [
          "--socket",
          server.socket,
          "--mode",
          "latency",
          "--requests",
          QUICK ? "1000" : "4000",
        ]);
        p50[i]!.push(latency.p50_us!);
      }
      const throughput = await load(binary, [
        "--socket",
        server.socket,
        "--mode",
        "throughput",
        "--connections",
        "16",
        "--depth",
        "32",
        "--requests",
        QUICK ? "50000" : "200000",
      ]);
      rps[i]!.push(throughput.req_per_s!);
    }
  }
  say("\nnative load generator (bench/load.c):");
  say("| server | ping p50 µs | 16×32 req/s |");
  say("|---|---|---|");
  for (const [i, server] of servers.entries()) {
    say(`| ${server.name} | ${median(p50[i]!).toFixed(1)} | ${median(rps[i]!).toFixed(0)} |`);
  }
  const [ours, naive, vscode] = [0, 1, 2].map((i) => ({
    p50: median(p50[i]!),
    rps: median(rps[i]!),
  }));
  say(
    `throughput: ${(ours!.rps / naive!.rps).toFixed(2)}× the naive server (target ≥ 1.3), ` +
      `${(ours!.rps / vscode!.rps).toFixed(2)}× vscode-jsonrpc (target ≥ 3); ` +
      `ping p50: ${(ours!.p50 / naive!.p50).toFixed(2)}× the naive server's (target ≤ 1)`,
  );
  // Each server ran every cell: its high-water mark is its peak under the 16×32 one.
  const [peakOurs, peakNaive] = [
    await peakRssKiB(daemon.child.pid),
    await peakRssKiB(naiveServer.pid),
  ];
  say(
    `peak RSS over these cells: ${(peakOurs / 1024).toFixed(1)} MiB against the naive ` +
      `server's ${(peakNaive / 1024).toFixed(1)} MiB: ${(peakOurs / peakNaive).toFixed(2)}× ` +
      "(target ≤ 1.5)",
  );
}
