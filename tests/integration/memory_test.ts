/**
 * Memory comes back after a flood: once the daemon is quiet again it collects its heap and
 * returns the allocator's free pages, instead of holding its peak for as long as nothing happens.
 */
import assert from "node:assert/strict";
import { currentRssKiB, flood, peakRssKiB } from "../_flood.ts";
import { makeSandbox, startDaemon } from "../_harness.ts";

Deno.test({
  name: "the daemon's memory comes back after a flood of pipelined requests",
  // /proc is where the test reads the daemon's memory.
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using box = await makeSandbox();
    await using daemon = await startDaemon(box);
    const pid = daemon.child.pid;
    await flood(box.socket, { connections: 4, requests: 8, payloadBytes: 1024 }); // warm up
    const idle = await currentRssKiB(pid);
    await flood(box.socket, { connections: 100, requests: 100, payloadBytes: 16 * 1024 });
    const peak = await peakRssKiB(pid);
    assert.ok(peak - idle > 40 * 1024, `the flood raised RSS (idle ${idle} KiB, peak ${peak} KiB)`);
    // Half of what the flood added must be given back; in practice all of it is.
    const goal = idle + (peak - idle) / 2;
    let now = await currentRssKiB(pid);
    for (let i = 0; i < 40 && now > goal; i++) {
      await new Promise((r) => setTimeout(r, 250));
      now = await currentRssKiB(pid);
    }
    assert.ok(
      now <= goal,
      `RSS came back to ${now} KiB (idle ${idle} KiB, peak ${peak} KiB, goal ${Math.round(goal)})`,
    );
  },
});
