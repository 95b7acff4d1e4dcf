/**
 * A flood of pipelined requests on many connections (issue: one connection's requests were
 * unbounded): 200 connections each send 100 requests with a 16 KiB payload at once, without
 * waiting. Prints the daemon's RSS before, at the peak and every 5 s for 20 s after, and how long the
 * flood took to be answered.
 *
 * @module
 */
import { type Sandbox, startDaemon } from "../tests/_harness.ts";
import { currentRssKiB, flood, peakRssKiB } from "../tests/_flood.ts";

// deno-lint-ignore no-console
const say = console.log;
const SHAPE = { connections: 200, requests: 100, payloadBytes: 16 * 1024 };

/** Runs the flood section. */
export async function benchFlood(box: Sandbox): Promise<void> {
  await using daemon = await startDaemon(box, ["--no-timeout"]);
  const pid = daemon.child.pid;
  const idle = await currentRssKiB(pid);
  const started = performance.now();
  await flood(box.socket, SHAPE);
  const seconds = (performance.now() - started) / 1000;
  const peak = await peakRssKiB(pid);
  // Once quiet, the daemon collects and gives the allocator's free pages back.
  const after: number[] = [];
  for (let s = 0; s < 4; s++) {
    await new Promise((r) => setTimeout(r, 5000));
    after.push(await currentRssKiB(pid));
  }
  const mib = (kib: number) => (kib / 1024).toFixed(0);
  say(
    `flood: ${SHAPE.connections} connections × ${SHAPE.requests} pipelined 16 KiB requests ` +
      `answered in ${seconds.toFixed(2)} s; RSS idle ${mib(idle)} MiB, peak ${mib(peak)} MiB, ` +
      `then every 5 s: ${after.map(mib).join(", ")} MiB`,
  );
}
