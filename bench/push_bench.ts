/**
 * Benchmarks for push (`jobs.subscribe`), through the real daemon:
 * - latency from a job's transition to its `jobs.changed` arriving at a subscriber, measured as
 *   the time from sending `jobs.cancel` to the notification, beside the time to the cancel's own
 *   answer on the same run (the notification cannot come sooner than the commit);
 * - events per second delivered to 10 subscribers at once.
 * Events come from held jobs (depends_on a run that never ends): submitting one is one change,
 * cancelling it another, and neither starts CRYSTAL.
 *
 * @module
 */
import { join } from "node:path";
import { type Client, connect } from "../client/mod.ts";
import { type Sandbox, startDaemon } from "../tests/_harness.ts";

// deno-lint-ignore no-console
const say = console.log;
const QUICK = Deno.env.get("BENCH_QUICK") === "1";
const FAKE = new URL("../tests/fixtures/fake_crystal/", import.meta.url).pathname;
const DECK = (title: string) =>
  `${title}\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\nBASISSET\nPOB-TZVP\nEND\n`;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function heldJob(client: Client, parent: number): Promise<number> {
  const { pk } = await client.call("jobs.submit", {
    name: "held",
    input: DECK("Held"),
    depends_on: [parent],
  });
  return pk;
}

/** Runs the push section. */
export async function benchPush(box: Sandbox): Promise<void> {
  await using _daemon = await startDaemon(box, ["--no-timeout"], {
    env: {
      CRYSTALMATH_CRYSTAL_EXECUTABLE: join(FAKE, "crystal"),
      CRYSTALMATH_LOCAL_MAX_CONCURRENT: "1",
    },
  });
  await using driver = await connect({ socket: box.socket });
  const { pk: parent } = await driver.call("jobs.submit", {
    name: "parent",
    input: DECK("P [hang]"),
  });

  // Latency, one change at a time.
  {
    await using watcher = await connect({ socket: box.socket });
    const arrivals = new Map<number, number>();
    let wake: (() => void) | undefined;
    watcher.on("jobs.changed", (c) => {
      if (c.state !== "cancelled") return;
      arrivals.set(c.pk, performance.now());
      wake?.();
    });
    await watcher.call("jobs.subscribe", { states: ["cancelled"] });
    const toNotification: number[] = [];
    const toAnswer: number[] = [];
    const runs = QUICK ? 200 : 2000;
    for (let i = 0; i < runs; i++) {
      const pk = await heldJob(driver, parent);
      const arrived = new Promise<void>((resolve) => wake = resolve);
      const sent = performance.now();
      await driver.call("jobs.cancel", { pk });
      toAnswer.push(performance.now() - sent);
      if (!arrivals.has(pk)) await arrived;
      toNotification.push(arrivals.get(pk)! - sent);
    }
    const us = (ms: number) => (ms * 1000).toFixed(0);
    say(
      `push latency, cancel sent → jobs.changed at a subscriber: p50 ${
        us(percentile(toNotification, 0.5))
      } µs, p99 ${us(percentile(toNotification, 0.99))} µs ` +
        `(the cancel's own answer: p50 ${us(percentile(toAnswer, 0.5))} µs, p99 ${
          us(percentile(toAnswer, 0.99))
        } µs)`,
    );
  }

  // Throughput to 10 subscribers.
  {
    const subscribers = await Promise.all(
      Array.from({ length: 10 }, () => connect({ socket: box.socket })),
    );
    const jobs = QUICK ? 500 : 2000;
    const expected = jobs * 2; // created, then cancelled
    const counts = subscribers.map(() => 0);
    const { promise: allIn, resolve } = Promise.withResolvers<void>();
    subscribers.forEach((s, i) =>
      s.on("jobs.changed", () => {
        if (++counts[i]! === expected && counts.every((n) => n >= expected)) resolve();
      })
    );
    for (const s of subscribers) {
      await s.call("jobs.subscribe", { states: ["created", "cancelled"] });
    }
    const started = performance.now();
    const writers = await Promise.all(
      Array.from({ length: 4 }, () => connect({ socket: box.socket })),
    );
    await Promise.all(writers.map(async (w, i) => {
      for (let n = i; n < jobs; n += writers.length) {
        await w.call("jobs.cancel", { pk: await heldJob(w, parent) });
      }
    }));
    await allIn;
    const seconds = (performance.now() - started) / 1000;
    say(
      `push throughput: ${expected} changes to each of 10 subscribers in ${
        seconds.toFixed(2)
      } s: ` +
        `${(expected * 10 / seconds).toFixed(0)} notifications/s delivered ` +
        `(${(expected / seconds).toFixed(0)} changes/s committed by 4 writers)`,
    );
    for (const c of [...subscribers, ...writers]) await c.close();
  }
  await driver.call("jobs.cancel", { pk: parent }, { timeoutMs: 30_000 });
}
