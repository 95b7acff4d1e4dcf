import assert from "node:assert/strict";
import { createOutbox, type OutboxItem } from "../../../server/rpc/outbox.ts";

interface Sent {
  method: string;
  params: { group: string; key?: string; n: number };
}

const text = new TextDecoder();

function parseFrame(frame: Uint8Array): Sent {
  const body = text.decode(frame);
  return JSON.parse(body.slice(body.indexOf("\r\n\r\n") + 4)) as Sent;
}

/** A writer whose writes stay pending until the test releases them. */
function controlledWriter(options: { isStalled: boolean } = { isStalled: true }) {
  const handed: Sent[] = [];
  const pending: PromiseWithResolvers<void>[] = [];
  let isStalled = options.isStalled;
  return {
    handed,
    write(frame: Uint8Array): Promise<void> {
      handed.push(parseFrame(frame));
      if (!isStalled) return Promise.resolve();
      const gate = Promise.withResolvers<void>();
      pending.push(gate);
      return gate.promise;
    },
    /** Completes the oldest pending write. */
    releaseOne() {
      pending.shift()?.resolve();
    },
    /** Completes every pending write; later writes complete at once. */
    open() {
      isStalled = false;
      for (const gate of pending.splice(0)) gate.resolve();
    },
  };
}

/** Lets the outbox's flush loop run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function item(group: string, n: number, key?: string): OutboxItem {
  return {
    message: { jsonrpc: "2.0", method: "t.changed", params: { group, n, ...(key ? { key } : {}) } },
    ...(key === undefined ? {} : { key }),
    group,
    resync: () => ({ jsonrpc: "2.0", method: "t.resync", params: { group, n } }),
  };
}

/** The byte length of the frame `item` becomes. */
function frameBytes(i: OutboxItem): number {
  const body = new TextEncoder().encode(JSON.stringify(i.message));
  return `Content-Length: ${body.length}\r\n\r\n`.length + body.length;
}

const BIG = 1 << 30;

Deno.test("createOutbox() hands messages to the writer in the order they were pushed", async (t) => {
  const writers = [
    { name: "an immediate writer", isStalled: false },
    { name: "a writer that completes one write at a time", isStalled: true },
  ];
  for (const w of writers) {
    await t.step(w.name, async () => {
      const writer = controlledWriter({ isStalled: w.isStalled });
      const outbox = createOutbox(writer.write, { maxCount: 100, maxBytes: BIG });
      for (let n = 0; n < 5; n++) outbox.push(item("g", n));
      await settle();
      for (let n = 5; n < 10; n++) outbox.push(item(n % 2 ? "g" : "h", n));
      for (let i = 0; i < 20; i++) {
        writer.releaseOne();
        await settle();
      }
      writer.open();
      await settle();
      assert.deepEqual(writer.handed.map((m) => m.params.n), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.equal(outbox.size, 0);
    });
  }
});

Deno.test("createOutbox() bounds what a stalled writer leaves queued, by count and by bytes", async (t) => {
  const one = frameBytes(item("g", 10));
  const cases = [
    { name: "by count", limits: { maxCount: 8, maxBytes: BIG }, bound: 8 },
    { name: "by bytes", limits: { maxCount: 1000, maxBytes: one * 5 }, bound: 5 },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const writer = controlledWriter();
      const outbox = createOutbox(writer.write, c.limits);
      outbox.push(item("first", 0)); // Handed at once; its write never completes.
      await settle();
      for (let n = 10; n < 5000; n++) {
        outbox.push(item("g", n, `k${n}`));
        assert.ok(outbox.size <= c.bound, `${outbox.size} queued after push ${n}`);
      }
      await settle();
      assert.equal(writer.handed.length, 1, "nothing more is handed while the write is stalled");
      writer.open();
      await settle();
      const rest = writer.handed.slice(1);
      assert.ok(rest.length <= c.bound, `${rest.length} written after the stall`);
      const bytes = rest.reduce((sum, m) => sum + JSON.stringify(m).length, 0);
      assert.ok(bytes <= c.limits.maxBytes, `${bytes} bytes written after the stall`);
    });
  }
});

Deno.test("createOutbox() keeps every message it has not handed over in size, where drop() reaches it", async () => {
  const writer = controlledWriter();
  const outbox = createOutbox(writer.write, { maxCount: 100, maxBytes: BIG });
  outbox.push(item("a", 0));
  await settle();
  for (let n = 1; n <= 6; n++) outbox.push(item(n % 2 ? "a" : "b", n));
  writer.releaseOne(); // The first write completes; the six queued form the next batch.
  await settle();
  assert.equal(
    writer.handed.length + outbox.size,
    7,
    `handed ${writer.handed.length}, queued ${outbox.size}: the rest are in limbo`,
  );
  outbox.drop("a");
  writer.open();
  await settle();
  const afterFirst = writer.handed.slice(1).map((m) => m.params.n);
  // Either the batch was handed whole (and so is the connection's now) or it was still queued.
  assert.ok(
    afterFirst.join() === "1,2,3,4,5,6" || afterFirst.join() === "2,4,6",
    `written after the first: ${afterFirst.join()}`,
  );
});

Deno.test("createOutbox() coalesces by key when full, keeping only the latest message per key", async () => {
  const writer = controlledWriter();
  const outbox = createOutbox(writer.write, { maxCount: 4, maxBytes: BIG });
  outbox.push(item("first", 0));
  await settle();
  const pushes: [number, string | undefined][] = [
    [1, "job1"],
    [2, "job2"],
    [3, undefined],
    [4, "job1"],
    [5, "job1"], // The fifth queued message overflows the count: coalesce.
    [6, "job2"],
  ];
  for (const [n, key] of pushes) outbox.push(item("g", n, key));
  assert.equal(outbox.size, 4);
  writer.open();
  await settle();
  // The fifth push leaves [2, 3, 5]: the latest of job1 and job2 and the keyless one; 6 fits.
  assert.deepEqual(writer.handed.map((m) => m.params.n), [0, 2, 3, 5, 6]);
  assert.ok(writer.handed.every((m) => m.method === "t.changed"), "no resync was needed");
});

Deno.test("createOutbox() replaces each group's backlog with exactly one resync when coalescing is not enough", async (t) => {
  const one = frameBytes(item("a", 10, "a10"));
  const cases = [
    { name: "by count", limits: { maxCount: 6, maxBytes: BIG } },
    { name: "by bytes", limits: { maxCount: 1000, maxBytes: one * 6 } },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const writer = controlledWriter();
      const outbox = createOutbox(writer.write, c.limits);
      outbox.push(item("first", 0));
      await settle();
      // Distinct keys: coalescing frees nothing. The seventh push overflows.
      for (let n = 10; n < 17; n++) outbox.push(item(n % 2 ? "b" : "a", n, `k${n}`));
      assert.equal(outbox.size, 2, "one message per group is left");
      writer.open();
      await settle();
      const after = writer.handed.slice(1);
      assert.deepEqual(after.map((m) => [m.method, m.params.group]), [
        ["t.resync", "a"],
        ["t.resync", "b"],
      ]);
      // Each resync comes from the group's latest item.
      assert.deepEqual(after.map((m) => m.params.n), [16, 15]);
    });
  }
});

Deno.test("createOutbox() sends later changes after the resync, and a second overflow leaves still one resync", async () => {
  const writer = controlledWriter();
  const outbox = createOutbox(writer.write, { maxCount: 4, maxBytes: BIG });
  outbox.push(item("first", 0));
  await settle();
  for (let n = 1; n <= 30; n++) outbox.push(item("a", n, `k${n}`));
  writer.open();
  await settle();
  const after = writer.handed.slice(1);
  assert.equal(after.filter((m) => m.method === "t.resync").length, 1);
  assert.equal(after[0]!.method, "t.resync", "the resync comes first");
  assert.ok(after.length <= 4);
  assert.equal(after.at(-1)!.params.n, 30, "the newest change is still delivered");
  const changed = after.slice(1).map((m) => m.params.n);
  assert.deepEqual(changed, [...changed].sort((x, y) => x - y), "changes stay in order");
});

Deno.test("createOutbox() drop() forgets only that group's queued messages", async () => {
  const writer = controlledWriter();
  const outbox = createOutbox(writer.write, { maxCount: 100, maxBytes: BIG });
  outbox.push(item("a", 0));
  await settle();
  outbox.push(item("a", 1));
  outbox.push(item("b", 2));
  outbox.push(item("a", 3, "x"));
  outbox.push(item("b", 4));
  outbox.drop("a");
  assert.equal(outbox.size, 2);
  outbox.push(item("a", 5));
  writer.open();
  await settle();
  assert.deepEqual(writer.handed.map((m) => [m.params.group, m.params.n]), [
    ["a", 0],
    ["b", 2],
    ["b", 4],
    ["a", 5],
  ]);
});
