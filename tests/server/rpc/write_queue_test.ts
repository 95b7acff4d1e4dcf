import assert from "node:assert/strict";
import { concatBytes } from "../../../common/bytes.ts";
import { encodeFrame } from "../../../common/framing.ts";
import { createWriteQueue } from "../../../server/rpc/write_queue.ts";

/** A sink that keeps a copy of each write (the queue reuses its buffer), `step` bytes at most. */
function sink(step = Infinity) {
  const writes: Uint8Array[] = [];
  let closed = false;
  return {
    writes,
    get closed() {
      return closed;
    },
    all: () => concatBytes(writes),
    write(data: Uint8Array) {
      const n = Math.min(step, data.length);
      writes.push(data.slice(0, n));
      return Promise.resolve(n);
    },
    close() {
      closed = true;
    },
  };
}

const options = { maxPendingBytes: 1 << 30, onOverflow: () => {} };

Deno.test("write queue: JSON texts and frames go out framed, in order, one write per tick", async () => {
  const out = sink();
  const queue = createWriteQueue(out, options);
  const texts = ['{"id":1}', '{"é":"ü"}', '{"emoji":"🧪"}'];
  const pushed = [queue.pushJson(texts[0]!), queue.push(encodeFrame(texts[1]!))];
  pushed.push(queue.pushJson(texts[2]!));
  await Promise.all(pushed);
  assert.equal(out.writes.length, 1, "coalesced into one write");
  assert.deepEqual(out.all(), concatBytes(texts.map(encodeFrame)));
  // The next batch is built in the same buffer: the first write's bytes were already taken.
  await queue.pushJson('{"id":2}');
  assert.deepEqual(out.writes[1], encodeFrame('{"id":2}'));
  assert.deepEqual(out.writes[0], concatBytes(texts.map(encodeFrame)), "the copy kept is intact");
});

Deno.test("write queue: partial writes, a batch past the reused buffer, and a growing one", async () => {
  const out = sink(7);
  const queue = createWriteQueue(out, options);
  const big = JSON.stringify({ text: "x".repeat(100_000) });
  const texts = ['{"a":1}', big, `{"b":"${"é".repeat(700)}"}`];
  await Promise.all(texts.map((text) => queue.pushJson(text)));
  for (const text of [`{"c":"${"y".repeat(3000)}"}`, '{"d":4}']) await queue.pushJson(text);
  const expected = [...texts, `{"c":"${"y".repeat(3000)}"}`, '{"d":4}'].map(encodeFrame);
  assert.deepEqual(out.all(), concatBytes(expected));
});

Deno.test("write queue: past maxPendingBytes it gives up and closes the sink", async () => {
  const out = sink();
  let overflowed = 0;
  const queue = createWriteQueue(out, { maxPendingBytes: 100, onOverflow: () => overflowed++ });
  const pushes = [queue.pushJson('{"a":1}'), queue.pushJson(JSON.stringify("z".repeat(200)))];
  await Promise.all(pushes);
  assert.equal(overflowed, 1);
  assert.equal(out.closed, true);
  assert.equal(out.writes.length, 0, "nothing goes out once it has given up");
  await queue.pushJson('{"late":1}');
  assert.equal(out.writes.length, 0);
});
