import assert from "node:assert/strict";
import { createFrameDecoder, encodeFrame } from "../../../common/framing.ts";
import { serveConnection } from "../../../server/rpc/connection.ts";
import type { Dispatcher } from "../../../server/rpc/dispatch.ts";
import { SILENT_LOGGER } from "../../../server/log.ts";
import { fakeDispatcher } from "./_fake_methods.ts";

const encoder = new TextEncoder();

/** One direction of an in-memory connection. */
function channel() {
  const chunks: Uint8Array[] = [];
  let isEnded = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  return {
    push(chunk: Uint8Array) {
      if (!isEnded) chunks.push(chunk.slice());
      notify();
    },
    end() {
      isEnded = true;
      notify();
    },
    async read(buffer: Uint8Array): Promise<number | null> {
      while (chunks.length === 0) {
        if (isEnded) return null;
        await new Promise<void>((resolve) => wake = resolve);
      }
      const chunk = chunks[0]!;
      const n = Math.min(buffer.length, chunk.length);
      buffer.set(chunk.subarray(0, n));
      if (n === chunk.length) chunks.shift();
      else chunks[0] = chunk.subarray(n);
      return n;
    },
  };
}

/** An in-memory connection: what the test writes, the server reads, and the reverse. */
function pair(
  options: {
    stallTimeoutMs?: number;
    dispatcher?: Pick<Dispatcher, "handle">;
    maxInFlight?: number;
  } = {},
) {
  const toServer = channel();
  const toClient = channel();
  const served = serveConnection({
    read: (buffer) => toServer.read(buffer),
    write: (data) => {
      toClient.push(data);
      return Promise.resolve(data.length);
    },
    close: () => {
      toClient.end();
      toServer.end();
    },
  }, {
    dispatcher: options.dispatcher ?? fakeDispatcher(),
    log: SILENT_LOGGER,
    stallTimeoutMs: options.stallTimeoutMs ?? 10_000,
    ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
  });
  const decoder = createFrameDecoder();
  const queue: unknown[] = [];
  const buffer = new Uint8Array(65536);
  const write = (data: string | Uint8Array) => {
    toServer.push(typeof data === "string" ? encoder.encode(data) : data);
    return Promise.resolve();
  };
  return {
    served,
    write,
    send: (message: unknown) => write(encodeFrame(JSON.stringify(message))),
    close: () => toServer.end(),
    /** The next decoded message, or undefined once the server closed its side. */
    async next(): Promise<unknown> {
      while (queue.length === 0) {
        const n = await toClient.read(buffer);
        if (n === null) return undefined;
        for (const body of decoder.push(buffer.slice(0, n))) {
          queue.push(JSON.parse(new TextDecoder().decode(body)));
        }
      }
      return queue.shift();
    },
  };
}

Deno.test("serveConnection() answers pipelined requests as each completes", async () => {
  const c = pair();
  await c.send({ jsonrpc: "2.0", id: 1, method: "test.slow", params: { ms: 200 } });
  await c.send({ jsonrpc: "2.0", id: 2, method: "test.echo", params: { a: 2 } });
  await c.send({ jsonrpc: "2.0", id: 3, method: "test.slow", params: { ms: 1 } });
  const order = [];
  for (let i = 0; i < 3; i++) order.push((await c.next() as { id: number }).id);
  assert.deepEqual(order, [2, 3, 1]);
  c.close();
  await c.served;
});

Deno.test("serveConnection() answers a request whose frame arrives one byte at a time", async () => {
  const c = pair();
  for (
    const byte of encodeFrame('{"jsonrpc":"2.0","id":"é","method":"test.echo","params":{"a":5}}')
  ) {
    await c.write(new Uint8Array([byte]));
  }
  assert.deepEqual(await c.next(), { jsonrpc: "2.0", id: "é", result: { a: 5 } });
  c.close();
  await c.served;
});

Deno.test("serveConnection() answers malformed JSON and invalid UTF-8 with -32700 and keeps going", async () => {
  const c = pair();
  await c.write("Content-Length: 5\r\n\r\n{oops");
  const bad = new Uint8Array([
    ...encoder.encode("Content-Length: 4\r\n\r\n"),
    0x22,
    0xff,
    0xfe,
    0x22,
  ]);
  await c.write(bad);
  await c.send({ jsonrpc: "2.0", id: 9, method: "test.echo", params: { a: 9 } });
  const first = await c.next() as { id: null; error: { code: number; message: string } };
  const second = await c.next() as { id: null; error: { code: number; message: string } };
  assert.deepEqual([first.id, first.error.code, second.id, second.error.code], [
    null,
    -32700,
    null,
    -32700,
  ]);
  assert.match(first.error.message, /not valid JSON/);
  assert.match(second.error.message, /not valid UTF-8/);
  assert.deepEqual(await c.next(), { jsonrpc: "2.0", id: 9, result: { a: 9 } });
  c.close();
  await c.served;
});

Deno.test("serveConnection() takes a U+FFFD sent as such, and refuses bad bytes beside one", async () => {
  const c = pair();
  // EF BF BD is U+FFFD itself, valid UTF-8: the lenient decoding's marker must not refuse it.
  await c.send({ jsonrpc: "2.0", id: "\uFFFD", method: "test.echo", params: { a: 1 } });
  assert.deepEqual(await c.next(), { jsonrpc: "2.0", id: "\uFFFD", result: { a: 1 } });
  const body = [...encoder.encode('{"a":"\uFFFD'), 0xc3, 0x28, ...encoder.encode('"}')];
  await c.write(
    new Uint8Array([...encoder.encode(`Content-Length: ${body.length}\r\n\r\n`), ...body]),
  );
  const bad = await c.next() as { error: { code: number; message: string } };
  assert.deepEqual([bad.error.code, /not valid UTF-8/.test(bad.error.message)], [-32700, true]);
  c.close();
  await c.served;
});

Deno.test("serveConnection() answers a bad Content-Length with id null, then closes", async () => {
  for (
    const header of [
      "Content-Length: -1",
      "Content-Length: abc",
      "X-Nothing: 1",
      "Content-Length: 999999999999",
    ]
  ) {
    const c = pair();
    await c.write(`${header}\r\n\r\n{}`);
    const reply = await c.next() as { id: null; error: { code: number } };
    assert.equal(reply.id, null, header);
    assert.equal(reply.error.code, -32600, header);
    assert.equal(await c.next(), undefined, `${header}: connection closed`);
    await c.served;
  }
});

Deno.test("serveConnection() answers every complete frame before a framing error, then the error, then closes", async () => {
  const c = pair();
  const frame = (message: unknown) =>
    new TextDecoder().decode(encodeFrame(JSON.stringify(message)));
  // In one chunk: a slow request, a batch, a frame that is not JSON, then a bad header.
  await c.write(
    frame({ jsonrpc: "2.0", id: 1, method: "test.slow", params: { ms: 100 } }) +
      frame([{ jsonrpc: "2.0", id: 2, method: "test.echo", params: { a: 2 } }]) +
      "Content-Length: 5\r\n\r\n{oops" +
      "Content-Length: nope\r\n\r\n",
  );
  const replies: { id: unknown; result?: unknown; error?: { code: number } }[] = [];
  for (;;) {
    const reply = await c.next();
    if (reply === undefined) break;
    replies.push(...(Array.isArray(reply) ? reply : [reply]));
  }
  const last = replies.pop()!;
  assert.deepEqual([last.id, last.error?.code], [null, -32600], "the framing error comes last");
  const byId = new Map(replies.map((r) => [r.id, r]));
  assert.deepEqual(
    byId.get(1)?.result,
    { waited: 100 },
    "the slow request was answered, not cancelled",
  );
  assert.deepEqual(byId.get(2)?.result, { a: 2 });
  assert.equal(byId.get(null)?.error?.code, -32700, "the bad JSON got its parse error");
  await c.served;
});

Deno.test("serveConnection() drops a client that stalls in the middle of a frame", async () => {
  const c = pair({ stallTimeoutMs: 100 });
  await c.write("Content-Length: 100\r\n\r\n{");
  assert.equal(await c.next(), undefined);
  await c.served;
});

Deno.test("serveConnection() keeps an idle connection between frames open", async () => {
  const c = pair({ stallTimeoutMs: 50 });
  await c.send({ jsonrpc: "2.0", id: 1, method: "test.echo", params: { a: 1 } });
  assert.deepEqual(await c.next(), { jsonrpc: "2.0", id: 1, result: { a: 1 } });
  await new Promise((r) => setTimeout(r, 150));
  await c.send({ jsonrpc: "2.0", id: 2, method: "test.echo", params: { a: 2 } });
  assert.deepEqual(await c.next(), { jsonrpc: "2.0", id: 2, result: { a: 2 } });
  c.close();
  await c.served;
});

Deno.test("serveConnection() still answers after the client half-closes", async () => {
  const c = pair();
  await c.send({ jsonrpc: "2.0", id: 1, method: "test.slow", params: { ms: 50 } });
  c.close();
  assert.deepEqual(await c.next(), { jsonrpc: "2.0", id: 1, result: { waited: 50 } });
  await c.served;
});

Deno.test("serveConnection() stops reading from a connection at its cap of requests in flight", async () => {
  let active = 0;
  let most = 0;
  const c = pair({
    maxInFlight: 8,
    dispatcher: {
      async handle(message) {
        active++;
        most = Math.max(most, active);
        await new Promise((r) => setTimeout(r, 5));
        active--;
        return { jsonrpc: "2.0", id: (message as { id: number }).id, result: {} };
      },
    },
  });
  for (let id = 0; id < 100; id++) await c.send({ jsonrpc: "2.0", id, method: "x" });
  c.close();
  let answered = 0;
  while (await c.next() !== undefined) answered++;
  await c.served;
  assert.equal(answered, 100, "every request is answered");
  assert.ok(most <= 8, `at most 8 in flight at once, saw ${most}`);
});
