/**
 * A flood of pipelined requests, and a process's memory as /proc reports it: shared by the
 * memory test and the flood benchmark.
 *
 * @module
 */
import { encodeFrame } from "../common/framing.ts";

/** The shape of one flood: connections at once, each sending its requests without waiting. */
export interface Flood {
  connections: number;
  requests: number;
  payloadBytes: number;
}

/**
 * Opens `connections` connections to `socket` at once; each writes `requests` pings carrying
 * `payloadBytes` of padding without waiting, and reads until every answer is in.
 */
export async function flood(socket: string, shape: Flood): Promise<void> {
  const payload = "x".repeat(shape.payloadBytes);
  await Promise.all(Array.from({ length: shape.connections }, async (_, c) => {
    const conn = await Deno.connect({ transport: "unix", path: socket });
    const frames = Array.from(
      { length: shape.requests },
      (_, i) =>
        encodeFrame(JSON.stringify({
          jsonrpc: "2.0",
          id: c * shape.requests + i,
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
    const decoder = new TextDecoder();
    let answers = 0;
    let text = "";
    while (answers < shape.requests) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n));
      const parts = text.split("Content-Length:");
      answers += parts.length - 1;
      text = parts.at(-1)!;
    }
    await writing;
    conn.close();
    if (answers < shape.requests) {
      throw new Error(`connection ${c} got ${answers} of ${shape.requests} answers`);
    }
  }));
}

/** Read one `kB` field (such as VmHWM) from /proc/<pid>/status. */
async function procStatusKiB(pid: number, field: string): Promise<number> {
  // Through cat: Deno grants /proc reads only with --allow-all, and the bench runs with the
  // daemon's permission set.
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/status`], stdout: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  const match = new RegExp(`^${field}:\\s*(\\d+)\\s*kB\\s*$`, "m").exec(text);
  if (!match || match[1] === undefined) {
    throw new Error(`/proc/${pid}/status has no ${field} line`);
  }
  return Number(match[1]);
}

/** Peak resident set size (VmHWM) of process `pid`, in KiB. */
export function peakRssKiB(pid: number): Promise<number> {
  return procStatusKiB(pid, "VmHWM");
}

/** Current resident set size (VmRSS) of process `pid`, in KiB. */
export function currentRssKiB(pid: number): Promise<number> {
  return procStatusKiB(pid, "VmRSS");
}
