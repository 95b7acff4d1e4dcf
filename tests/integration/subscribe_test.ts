/**
 * jobs.subscribe through the real daemon: jobs.changed in order, since_seq replay, unsubscribe,
 * and a subscriber that never reads (its outbox stays bounded and the daemon stays responsive).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { connect } from "../../client/mod.ts";
import { SocketClient } from "../../client/socket_client.ts";
import type { NotificationParamsOf } from "../../server/methods/mod.ts";
import { OUTBOX_LIMITS } from "../../server/rpc/outbox.ts";
import { makeSandbox, type Sandbox, startDaemon } from "../_harness.ts";
import { rawPeer } from "./_raw.ts";

type Change = NotificationParamsOf<"jobs.changed">;

const FAKE = new URL("../fixtures/fake_crystal/", import.meta.url).pathname;

function deck(title: string): string {
  return `${title}\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\n` +
    "BASISSET\nPOB-TZVP\nSHRINK\n8 8\nEND\n";
}

function daemonFor(box: Sandbox, maxConcurrent: number) {
  return startDaemon(box, [], {
    env: {
      CRYSTALMATH_CRYSTAL_EXECUTABLE: join(FAKE, "crystal"),
      CRYSTALMATH_PROPERTIES_EXECUTABLE: join(FAKE, "properties"),
      CRYSTALMATH_LOCAL_MAX_CONCURRENT: String(maxConcurrent),
    },
  });
}

/** Polls `isDone` until it holds, or throws after `ms`. */
async function until(isDone: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!isDone()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function isEnd(pk: number) {
  return (c: Change) => c.pk === pk && c.event === "state" && c.state === "completed";
}

Deno.test("jobs.subscribe pushes a local job's changes in order, replays since_seq, and unsubscribe stops them", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box, 2);
  await using first = await connect({ socket: box.socket });
  const seen: Change[] = [];
  first.on("jobs.changed", (c) => seen.push(c));
  const sub = await first.call("jobs.subscribe", {});
  assert.match(sub.subscription, /^sub-/);
  const job = await first.call("jobs.submit", { name: "MgO", input: deck("MgO") });
  await until(() => seen.some(isEnd(job.pk)), "the job to complete");

  const states = seen.filter((c) => c.pk === job.pk && c.event === "state");
  assert.deepEqual(states.map((c) => [c.previous_state, c.state]), [
    [null, "created"],
    ["created", "queued"],
    ["queued", "running"],
    ["running", "completed"],
  ]);
  assert.ok(seen.every((c) => c.subscription === sub.subscription));
  assert.ok(seen.every((c, i) => i === 0 || c.seq > seen[i - 1]!.seq), "seq increases");
  assert.ok(seen[0]!.seq > sub.seq, "only changes after the answer's seq");

  // A second connection resumes from the first answer's seq: it gets exactly what was logged.
  await using second = await connect({ socket: box.socket });
  const replayed: Change[] = [];
  second.on("jobs.changed", (c) => replayed.push(c));
  await second.call("jobs.subscribe", { since_seq: sub.seq, pks: [job.pk] });
  await until(() => replayed.some(isEnd(job.pk)), "the replay");
  const replayedSeqs = replayed.map((c) => c.seq);
  assert.deepEqual(replayedSeqs, [...new Set(replayedSeqs)].sort((a, b) => a - b));
  assert.ok(
    seen.every((c) => replayedSeqs.includes(c.seq)),
    "every live change is in the replay (replay also has the throttled progress)",
  );
  assert.deepEqual(
    replayed.filter((c) => c.event === "state").map((c) => c.seq),
    states.map((c) => c.seq),
  );

  // After unsubscribe, the first connection hears nothing; the second (subscribed) still does.
  assert.deepEqual(await first.call("jobs.unsubscribe", { subscription: sub.subscription }), {
    ok: true,
  });
  const later: Change[] = [];
  second.on("jobs.changed", (c) => later.push(c));
  await second.call("jobs.subscribe", {});
  const before = seen.length;
  const next = await first.call("jobs.submit", { name: "MgO 2", input: deck("MgO") });
  await until(() => later.some(isEnd(next.pk)), "the second job to complete");
  await first.call("system.ping", {});
  assert.equal(seen.length, before, "no notification after jobs.unsubscribe");
  await assert.rejects(
    first.call("jobs.unsubscribe", { subscription: sub.subscription }),
    /is not open on this connection/,
  );
});

/** The daemon's resident set in KiB (VmRSS; through ps, since Deno gates /proc behind -A). */
async function rssKiB(pid: number): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)] }).output();
  const kib = Number(new TextDecoder().decode(out.stdout).trim());
  assert.ok(kib > 0, `no RSS for pid ${pid}`);
  return kib;
}

Deno.test("a subscriber that never reads does not grow the daemon or slow other clients", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box, 1);
  await using client = new SocketClient(box.socket, { timeoutMs: 60_000 });
  const { pid } = await client.request("system.status", {}) as { pid: number };
  // One job holds the only local slot, so every later submission stays queued: submit and cancel
  // are three cheap events each (created, queued, cancelled). No deletes: pks would be reused,
  // and the outbox, which coalesces per pk, would never need to resync.
  const blocker = await client.request("jobs.submit", {
    name: "hang",
    input: deck("X [hang]"),
  }) as {
    pk: number;
  };

  await using slow = await rawPeer(box.socket);
  await slow.send({ jsonrpc: "2.0", id: 1, method: "jobs.subscribe", params: {} });
  const answer = await slow.next() as { result: { subscription: string } };
  const { subscription } = answer.result;

  const ROUND = 100;
  let events = 0;
  let slowestPingMs = 0;
  let rssBefore = 0;
  for (let round = 0; events < 10_000; round++) {
    const submitted = await client.batch(
      Array.from({ length: ROUND }, (_, i) => ({
        method: "jobs.submit",
        params: { name: `q${round}-${i}`, input: deck("Q") },
      })),
    );
    const pks = submitted.map((r) => {
      assert.ok(r.ok, r.ok ? "" : r.error.message);
      return (r.result as { pk: number }).pk;
    });
    for (const method of ["jobs.cancel"]) {
      const done = await client.batch(pks.map((pk) => ({ method, params: { pk } })));
      assert.ok(done.every((r) => r.ok), method);
    }
    events += 3 * ROUND;
    const started = performance.now();
    await using other = new SocketClient(box.socket, { timeoutMs: 5000 });
    await other.request("system.ping", {});
    slowestPingMs = Math.max(slowestPingMs, performance.now() - started);
    if (round === 2) rssBefore = await rssKiB(pid); // After warm-up: caches and pools filled.
  }
  const rssAfter = await rssKiB(pid);
  const { seq: finalSeq } = await client.request("jobs.subscribe", { pks: [blocker.pk] }) as {
    seq: number;
  };
  assert.ok(slowestPingMs < 1000, `system.ping took ${slowestPingMs.toFixed(0)} ms`);

  // Now the slow client reads: what was already in flight, then one resync, then the latest.
  const got: { method: string; params: { seq: number; pk?: number; event?: string } }[] = [];
  for (;;) {
    const message = await slow.next() as typeof got[number] | undefined;
    assert.ok(message, "the daemon kept the slow connection open");
    got.push(message);
    // The newest change, or the resync that absorbed it: nothing follows.
    if (message.params.seq === finalSeq) break;
  }
  const resyncs = got.filter((m) => m.method === "jobs.resync_required");
  assert.equal(resyncs.length, 1, `jobs.resync_required at ${resyncs.map((r) => got.indexOf(r))}`);
  const at = got.indexOf(resyncs[0]!);
  const afterResync = got.slice(at + 1);
  assert.ok(
    afterResync.length <= OUTBOX_LIMITS.maxCount,
    `${afterResync.length} changes queued after the resync`,
  );
  assert.ok(afterResync.every((m) => m.params.seq > resyncs[0]!.params.seq));
  // Before the resync: only what had left the outbox when the client stopped reading (the
  // kernel's socket buffer and one batch in the write queue), never the whole backlog.
  const beforeBytes = got.slice(0, at).reduce((n, m) => n + JSON.stringify(m).length, 0);
  assert.ok(
    beforeBytes <= OUTBOX_LIMITS.maxBytes + 1024 * 1024,
    `${at} messages (${beforeBytes} bytes) arrived before the resync`,
  );
  assert.ok(
    got.length > 0 && got.length < events / 2,
    `${got.length} of ${events} events reached the slow client (${at} before the resync); RSS ${rssBefore} → ${rssAfter} kB`,
  );

  await slow.send({ jsonrpc: "2.0", id: 2, method: "jobs.unsubscribe", params: { subscription } });
  await client.request("jobs.cancel", { pk: blocker.pk });
  // Last, so that the outbox assertions above run even when this fails.
  const growthMiB = (rssAfter - rssBefore) / 1024;
  assert.ok(growthMiB < 64, `RSS grew ${growthMiB.toFixed(1)} MiB (${rssBefore} → ${rssAfter} kB)`);
});
