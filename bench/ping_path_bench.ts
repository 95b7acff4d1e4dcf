/**
 * Where a ping's microseconds go inside the daemon, with no socket: the real framing, the real
 * dispatcher with system.ping, and the real connection loop over an in-memory connection, each
 * timed on its own, beside what the naive server does with the same bytes. What is left of the
 * socket p50 (bench/native_bench.ts) above the in-process total is the kernel and the runtime's
 * I/O ops, which both servers pay alike.
 *
 * @module
 */
import { utf8Text } from "../common/bytes.ts";
import { createFrameDecoder, encodeFrame } from "../common/framing.ts";
import { SYSTEM_CLOCK } from "../server/clock.ts";
import { createLogger } from "../server/log.ts";
import { ping } from "../server/methods/system/ping.ts";
import type { MethodContext } from "../server/methods/context.ts";
import { serveConnection } from "../server/rpc/connection.ts";
import { createDispatcher, createSession } from "../server/rpc/dispatch.ts";

// deno-lint-ignore no-console
const say = console.log;
const N = Deno.env.get("BENCH_QUICK") === "1" ? 20_000 : 200_000;
const REQUEST = '{"jsonrpc":"2.0","id":1,"method":"system.ping","params":{}}';
const FRAME = encodeFrame(REQUEST);
const encoder = new TextEncoder();

const log = createLogger({ level: "error", sink: { write: () => {}, close: () => {} } });
const dispatcher = createDispatcher<MethodContext>({
  methods: [ping],
  log,
  // A ping reads only the clock and the signal; the rest of the context is never touched.
  makeContext: (signal, session) => ({ signal, session, clock: SYSTEM_CLOCK }) as MethodContext,
  isAccepting: () => true,
});
const session = createSession();

/** Mean µs per call of `body` over N calls, after a warm-up. */
async function perCall(body: () => unknown): Promise<number> {
  for (let i = 0; i < N / 10; i++) await body();
  const started = performance.now();
  for (let i = 0; i < N; i++) await body();
  return (performance.now() - started) * 1000 / N;
}

/** An in-memory connection that hands out one ping per read, once the previous answer is out. */
function pingConn(
  count: number,
): { conn: Parameters<typeof serveConnection>[0]; done: Promise<void> } {
  let left = count;
  let answered = Promise.withResolvers<void>();
  answered.resolve();
  const done = Promise.withResolvers<void>();
  return {
    done: done.promise,
    conn: {
      async read(buffer) {
        await answered.promise;
        if (left-- === 0) {
          done.resolve();
          return null;
        }
        answered = Promise.withResolvers<void>();
        buffer.set(FRAME);
        return FRAME.length;
      },
      write(data) {
        answered.resolve();
        return Promise.resolve(data.length);
      },
      close() {},
    },
  };
}

/** The naive server's handling of the same bytes: concat, decode, find the header, parse, answer. */
function naivePing(): Uint8Array {
  const text = new TextDecoder().decode(FRAME);
  const end = text.indexOf("\r\n\r\n");
  const length = Number(/Content-Length: (\d+)/i.exec(text.slice(0, end))![1]);
  const message = JSON.parse(text.slice(end + 4, end + 4 + length));
  const body = encoder.encode(JSON.stringify({
    jsonrpc: "2.0",
    id: message.id,
    result: { pong: true, timestamp: new Date().toISOString() },
  }));
  const header = encoder.encode(`Content-Length: ${body.length}\r\n\r\n`);
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

/** Runs the section: one line per stage, then the totals side by side. */
export async function benchPingPath(): Promise<void> {
  const decoder = createFrameDecoder();
  const message = JSON.parse(REQUEST);
  const response = await dispatcher.handle(message, session);
  const stages: [string, number][] = [
    ["frame decode (header parse, body copy)", await perCall(() => decoder.push(FRAME))],
    ["UTF-8 decode + JSON.parse", await perCall(() => JSON.parse(utf8Text(FRAME.subarray(22))))],
    [
      "dispatch (checks, zod params, context, handler)",
      await perCall(() => dispatcher.handle(message, session)),
    ],
    ["JSON.stringify + frame encode", await perCall(() => encodeFrame(JSON.stringify(response)))],
  ];
  const { conn, done } = pingConn(N);
  const started = performance.now();
  const served = serveConnection(conn, { dispatcher, log, stallTimeoutMs: 60_000 });
  await done;
  await served;
  const loop = (performance.now() - started) * 1000 / N;
  const naive = await perCall(naivePing);
  say("\nping path in-process (no socket), µs per ping:");
  for (const [name, us] of stages) say(`  ${name.padEnd(50)} ${us.toFixed(2)}`);
  const sum = stages.reduce((total, [, us]) => total + us, 0);
  say(`  ${"sum of the stages".padEnd(50)} ${sum.toFixed(2)}`);
  say(`  ${"the connection loop, one ping at a time".padEnd(50)} ${loop.toFixed(2)}`);
  say(`  ${"the naive server's handling of the same bytes".padEnd(50)} ${naive.toFixed(2)}`);
  say(`  the loop's own share (promises, races, write queue): ${(loop - sum).toFixed(2)} µs`);
}

if (import.meta.main) await benchPingPath();
