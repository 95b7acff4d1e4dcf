import assert from "node:assert/strict";
import { QuietCollector } from "../../../server/rpc/release_memory.ts";

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

function collector() {
  let collections = 0;
  const quiet = new QuietCollector({
    thresholdBytes: 1000,
    quietMs: 5,
    collect: () => collections++,
  });
  return { quiet, collections: () => collections };
}

Deno.test("QuietCollector collects once the daemon is quiet after enough traffic", async () => {
  const { quiet, collections } = collector();
  quiet.busy();
  quiet.read(600);
  quiet.read(600);
  await settle(30);
  assert.equal(collections(), 0, "never while a request is in flight");
  quiet.quiet();
  await settle(30);
  assert.equal(collections(), 1);
  await settle(30);
  assert.equal(collections(), 1, "once per burst");
});

Deno.test("QuietCollector leaves a daemon alone that read little", async () => {
  const { quiet, collections } = collector();
  quiet.read(999);
  quiet.busy();
  quiet.quiet();
  await settle(30);
  assert.equal(collections(), 0);
  quiet.read(1); // the threshold counts across requests until a collection
  quiet.busy();
  quiet.quiet();
  await settle(30);
  assert.equal(collections(), 1);
});

Deno.test("QuietCollector waits a whole quiet moment after a request that came and went", async () => {
  let collections = 0;
  const quiet = new QuietCollector({
    thresholdBytes: 1,
    quietMs: 20,
    collect: () => collections++,
  });
  quiet.read(10);
  quiet.quiet(); // armed: due at 20 ms
  quiet.busy();
  quiet.quiet(); // a request in between: at 20 ms it waits another 20
  await settle(30);
  assert.equal(collections, 0, "the quiet was broken");
  await settle(170);
  assert.equal(collections, 1);
});

Deno.test("QuietCollector waits again when a request starts before the quiet moment ends", async () => {
  const { quiet, collections } = collector();
  quiet.read(5000);
  quiet.busy();
  await settle(30);
  assert.equal(collections(), 0);
  quiet.quiet();
  quiet.stop();
  await settle(30);
  assert.equal(collections(), 0, "stop() cancels the pending collection");
});
