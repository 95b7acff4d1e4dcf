/** A raw socket peer for integration tests: sends exact bytes and reads framed replies. */
import { createFrameDecoder, encodeFrame } from "../../common/framing.ts";

/** A raw connection to a daemon. */
export interface RawPeer extends AsyncDisposable {
  conn: Deno.UnixConn;
  write(data: string | Uint8Array): Promise<void>;
  send(message: unknown): Promise<void>;
  /** Next reply, or undefined when the daemon closed the connection. */
  next(): Promise<unknown>;
}

/** Dials `socket`. */
export async function rawPeer(socket: string): Promise<RawPeer> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  const decoder = createFrameDecoder();
  const queue: unknown[] = [];
  const buffer = new Uint8Array(256 * 1024);
  let isClosed = false;
  async function writeAll(data: Uint8Array) {
    let offset = 0;
    while (offset < data.length) offset += await conn.write(data.subarray(offset));
  }
  return {
    conn,
    write: (data) => writeAll(typeof data === "string" ? new TextEncoder().encode(data) : data),
    send: (message) => writeAll(encodeFrame(JSON.stringify(message))),
    async next() {
      while (queue.length === 0) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) return undefined;
        for (const body of decoder.push(buffer.slice(0, n))) {
          queue.push(JSON.parse(new TextDecoder().decode(body)));
        }
      }
      return queue.shift();
    },
    [Symbol.asyncDispose]() {
      if (!isClosed) {
        isClosed = true;
        try {
          conn.close();
        } catch {
          // Closed by the daemon already.
        }
      }
      return Promise.resolve();
    },
  };
}
