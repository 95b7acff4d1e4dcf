/**
 * A flood of pipelined requests on many connections (issue: one connection's requests were
 * unbounded): 200 connections each send 100 requests with a 16 KiB payload at once, without
 * waiting. Prints the daemon's RSS before, at the peak and every 5 s for 20 s after, and how long the
 * flood took to be answered.
 *
 * @module
 */
import { encodeFrame } from "../common/framing.ts";
import { type Sandbox, startDaemon } from "../tests/_harness.ts";
import { currentRssKiB, peakRssKiB } from "./competitors.ts";

// deno-lint-ignore no-console
const say = console.log;
const CONNECTIONS = 200;
const REQUESTS = 100;

/** Runs the flood section. */
export async function benchFlood(box: Sandbox): Promise<void> {
  await using daemon = await startDaemon(box, ["--no-timeout"]);
  const pid = daemon.child.pid;
  const idle = await currentRssKiB(pid);
  const payload = "x".repeat(16 * 1024);
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, async (_, c) => {
    const conn = await Deno.connect({ transport: "unix", path: box.socket });
    const frames = Array.from(
      { length: REQUESTS },
      (_, i) =>
        encodeFrame(JSON.stringify({
          jsonrpc: "2.0",
          id: c * REQUESTS + i,
          method: "system.ping",
          params: { payload },
        })),
    );
    const writing = (async () => {
      for (const frame of frames) {
        let offset = 0;
        while (offset < frame.length) offset += await conn.write(frame.subarray(offset));
      }
    })();
    // Read until every answer is in: count the frames by their headers.
    const buffer = new Uint8Array(256 * 1024);
    let answers = 0;
    let text = "";
    while (answers < REQUESTS) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
      const parts = text.split("Content-Length:");
      answers += parts.length - 1;
      text = parts.at(-1)!;
    }
    await writing;
    conn.close();
  }));
  const seconds = (performance.now() - started) / 1000;
  const peak = await peakRssKiB(pid);
  // V8's memory reducer gives pages back once the daemon has been quiet for a while.
  const after: number[] = [];
  for (let s = 0; s < 4; s++) {
    await new Promise((r) => setTimeout(r, 5000));
    after.push(await currentRssKiB(pid));
  }
  const mib = (kib: number) => (kib / 1024).toFixed(0);
  say(
    `flood: ${CONNECTIONS} connections × ${REQUESTS} pipelined 16 KiB requests answered in ` +
      `${seconds.toFixed(2)} s; RSS idle ${mib(idle)} MiB, peak ${mib(peak)} MiB, ` +
      `then every 5 s: ${after.map(mib).join(", ")} MiB`,
  );
}
