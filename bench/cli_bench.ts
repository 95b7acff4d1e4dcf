/**
 * One-off CLI calls against the floor of starting Deno at all: `call system.ping` (as a user types
 * it, and with `--no-start`) and `version`, each beside an empty one-line script run the same way,
 * with the same flags (client/auto_start.ts `denoRun`), interleaved, medians. The issue of record's
 * target is at most 1.3× the empty script for `call system.ping`.
 *
 * @module
 */
import { join } from "node:path";
import { denoRun } from "../client/auto_start.ts";
import { cliCommand, type Sandbox, startDaemon } from "../tests/_harness.ts";

// deno-lint-ignore no-console
const say = console.log;
const RUNS = Deno.env.get("BENCH_QUICK") === "1" ? 5 : 40;

/** Median wall time of `runs` executions of each command, interleaved, in ms. */
async function wallTimes(
  commands: Record<string, { command: string; args: string[] }>,
  runs: number,
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(
    Object.keys(commands).map((k) => [k, []]),
  );
  // Two rounds unmeasured: they fill Deno's caches for every command alike.
  for (let i = -2; i < runs; i++) {
    // Interleaved, so drift on a noisy machine hits every command alike.
    for (const [name, { command, args }] of Object.entries(commands)) {
      const started = performance.now();
      const out = await new Deno.Command(command, { args, stdout: "null", stderr: "piped" })
        .output();
      if (i >= 0) samples[name]!.push(performance.now() - started);
      if (!out.success) throw new Error(`${name} failed: ${new TextDecoder().decode(out.stderr)}`);
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map((
      [name, s],
    ) => [name, s.sort((a, b) => a - b)[Math.floor(s.length / 2)]!]),
  );
}

/** The `cli` section. */
export async function benchCli(box: Sandbox): Promise<void> {
  await using _daemon = await startDaemon(box, ["--no-timeout"]);
  const empty = join(box.dir, "empty.ts");
  await Deno.writeTextFile(empty, "export {};\n");
  const times = await wallTimes({
    empty: denoRun(empty, []),
    call: cliCommand(["call", "system.ping", "--socket", box.socket]),
    callNoStart: cliCommand(["call", "system.ping", "--socket", box.socket, "--no-start"]),
    version: cliCommand(["version"]),
  }, RUNS);
  const binary = Deno.env.get("CRYSTALMATH_BIN");
  say(
    `one-off CLI runs, median of ${RUNS}${
      binary ? ` (the binary ${binary}, beside deno run of the empty script)` : ""
    }:`,
  );
  const ratio = (name: string) => (times[name]! / times.empty!).toFixed(2);
  say(`  empty one-line script            ${times.empty!.toFixed(1)} ms`);
  say(`  call system.ping                 ${times.call!.toFixed(1)} ms  ${ratio("call")}×`);
  say(
    `  call system.ping --no-start      ${times.callNoStart!.toFixed(1)} ms  ${
      ratio("callNoStart")
    }×`,
  );
  say(`  version                          ${times.version!.toFixed(1)} ms  ${ratio("version")}×`);
  say(`one-off "call system.ping": ${ratio("call")}× the empty script (target ≤ 1.3)`);
}
