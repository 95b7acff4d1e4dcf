/**
 * `deno task bench`: the daemon against a vscode-jsonrpc server under Node and a naive Deno
 * server, measured side by side in one run with one load generator (bench/load.mjs, under Node,
 * sharing no code with the daemon). Prints a table and the target ratios.
 *
 * Set BENCH_QUICK=1 for a short smoke run (fewer requests, no 64 MiB body).
 *
 * @module
 */
import { join } from "node:path";
import { makeSandbox, type Sandbox, startDaemon, waitForPing } from "../tests/_harness.ts";
import { benchJobs } from "./jobs_bench.ts";
import { benchSlurm } from "./slurm_bench.ts";
import { benchPush } from "./push_bench.ts";
import { benchFlood } from "./flood_bench.ts";
import { benchStartup } from "./startup_bench.ts";
import { benchNative } from "./native_bench.ts";
import { benchPingPath } from "./ping_path_bench.ts";
import { benchStructures } from "./structures_bench.ts";
import { benchWorkflows } from "./workflows_bench.ts";
import { benchCli } from "./cli_bench.ts";
import { currentRssKiB, peakRssKiB } from "../tests/_flood.ts";
import {
  installVscodeJsonrpc,
  runLoad,
  startNaiveServer,
  startVscodeServer,
} from "./competitors.ts";

const QUICK = Deno.env.get("BENCH_QUICK") === "1";
const LATENCY_REQUESTS = QUICK ? 1000 : 5000;
const THROUGHPUT_REQUESTS = QUICK ? 20_000 : 100_000;
const MIB = 1024 * 1024;

interface Row {
  server: string;
  p50_us: number;
  p99_us: number;
  req_per_s: number;
  big_1mib_ms: number;
}

// deno-lint-ignore no-console
const say = console.log;

const ROUNDS = QUICK ? 1 : 3;

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Measures every server in rounds, interleaved (A B C, A B C, ...), and keeps each figure's
 * median, so a noisy moment on this shared machine does not land on one server only.
 */
async function measureAll(servers: { name: string; socket: string }[]): Promise<Row[]> {
  const samples = servers.map(() => ({
    p50: [] as number[],
    p99: [] as number[],
    rps: [] as number[],
    big: [] as number[],
  }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, { socket }] of servers.entries()) {
      const latency = await runLoad({
        socket,
        mode: "latency",
        args: ["--requests", String(LATENCY_REQUESTS), "--warmup", "2000"],
      });
      const throughput = await runLoad({
        socket,
        mode: "throughput",
        args: ["--connections", "16", "--depth", "32", "--requests", String(THROUGHPUT_REQUESTS)],
      });
      const big = await runLoad({
        socket,
        mode: "big",
        args: ["--size", String(MIB), "--repeat", "5"],
      });
      samples[i]!.p50.push(latency.p50_us as number);
      samples[i]!.p99.push(latency.p99_us as number);
      samples[i]!.rps.push(throughput.req_per_s as number);
      samples[i]!.big.push(big.rtt_ms_median as number);
    }
  }
  return servers.map(({ name }, i) => ({
    server: name,
    p50_us: median(samples[i]!.p50),
    p99_us: median(samples[i]!.p99),
    req_per_s: median(samples[i]!.rps),
    big_1mib_ms: median(samples[i]!.big),
  }));
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);

/** The sections, runnable one at a time: `deno task bench jobs`. */
const SECTIONS: Record<string, (box: Sandbox) => Promise<void>> = {
  rpc: benchRpc,
  jobs: benchJobs,
  slurm: benchSlurm,
  push: benchPush,
  flood: benchFlood,
  startup: benchStartup,
  native: benchNative,
  ping_path: benchPingPath,
  structures: benchStructures,
  workflows: benchWorkflows,
  cli: benchCli,
};

async function main(): Promise<void> {
  const chosen = Deno.args.length ? Deno.args : Object.keys(SECTIONS);
  for (const name of chosen) {
    const section = SECTIONS[name];
    if (!section) {
      throw new Error(
        `Unknown bench section "${name}": expected ${Object.keys(SECTIONS).join(" or ")}`,
      );
    }
    await using box = await makeSandbox();
    await section(box);
  }
}

async function benchRpc(box: Sandbox): Promise<void> {
  say(
    `crystalmath-server benchmark${
      QUICK ? " (quick)" : ""
    }: ${Deno.build.target}, deno ${Deno.version.deno}`,
  );
  say("installing vscode-jsonrpc for the Node comparison server...");
  const modules = await installVscodeJsonrpc(join(box.dir, "npm"));

  const vscodeSocket = join(box.dir, "v.sock");
  const naiveSocket = join(box.dir, "n.sock");
  let rows: Row[];
  {
    await using _daemon = await startDaemon(box, ["--no-timeout"]);
    await using _vscode = await startVscodeServer({ socket: vscodeSocket, modules });
    await using _naive = await startNaiveServer({ socket: naiveSocket });
    rows = await measureAll([
      { name: "crystalmath-server (Deno)", socket: box.socket },
      { name: "vscode-jsonrpc (Node)", socket: vscodeSocket },
      { name: "naive Deno server", socket: naiveSocket },
    ]);
  }

  say("\n| server | ping p50 µs | ping p99 µs | 16×32 throughput req/s | 1 MiB request ms |");
  say("|---|---|---|---|---|");
  for (const r of rows) {
    say(
      `| ${r.server} | ${fmt(r.p50_us, 1)} | ${fmt(r.p99_us, 1)} | ${fmt(r.req_per_s)} | ${
        fmt(r.big_1mib_ms, 1)
      } |`,
    );
  }
  const [ours, vscode, naive] = rows as [Row, Row, Row];
  say(
    `\nping p50 latency: ${
      fmt(vscode.p50_us / ours.p50_us, 2)
    }× better than vscode-jsonrpc (target ≥ 2), ` +
      `${fmt(naive.p50_us / ours.p50_us, 2)}× vs naive (target > 1)`,
  );
  say(
    `throughput: ${fmt(ours.req_per_s / vscode.req_per_s, 2)}× vscode-jsonrpc (target ≥ 2), ` +
      `${fmt(ours.req_per_s / naive.req_per_s, 2)}× naive (target > 1)`,
  );

  // Large bodies on a fresh daemon, so the peak RSS belongs to them alone.
  const sizes = QUICK ? [MIB] : [MIB, 64 * MIB];
  for (const size of sizes) {
    await using fresh = await startDaemon(box, ["--no-timeout"], { env: {} });
    await waitForPing(box.socket);
    const idle = await currentRssKiB(fresh.child.pid);
    const big = await runLoad({
      socket: box.socket,
      mode: "big",
      args: ["--size", String(size), "--repeat", "3"],
    });
    const peak = await peakRssKiB(fresh.child.pid);
    const growth = (peak - idle) * 1024 / size;
    say(
      `${size / MIB} MiB request: rtt ${fmt(big.rtt_ms_median as number, 1)} ms, idle RSS ${
        fmt(idle / 1024)
      } MiB, ` +
        `peak RSS ${fmt(peak / 1024)} MiB: ${fmt(growth, 2)}× the body above idle (target < 4)`,
    );
  }
}

if (import.meta.main) await main();
