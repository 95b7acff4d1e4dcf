/**
 * The CLI's own failures, as a user meets them: JSON with --json, the real reason an auto-start
 * failed, and one "started" among racing starts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, runCli } from "../_harness.ts";

Deno.test("CLI errors are JSON with --json, even when the daemon is not running", async () => {
  await using box = await makeSandbox();
  const result = await runCli(
    ["call", "system.ping", "--json", "--no-start", "--socket", box.socket],
    { env: box.env },
  );
  assert.equal(result.code, 3);
  const error = JSON.parse(result.stderr.trim()).error;
  assert.equal(error.data.kind, "not_running");
  assert.match(error.message, /is not running/);
  const usage = await runCli(["call", "--json", "--bogus"], { env: box.env });
  assert.equal(usage.code, 2);
  assert.equal(JSON.parse(usage.stderr.trim()).error.data.kind, "usage");
});

Deno.test("an auto-start that fails says why at once: here, a bad config file", async () => {
  await using box = await makeSandbox();
  const config = join(box.dir, "config.toml");
  await Deno.writeTextFile(config, "[local]\nmax_concurrent = 0\n");
  const result = await runCli(["call", "system.ping", "--socket", box.socket], {
    env: { ...box.env, CRYSTALMATH_CONFIG: config },
  });
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /Cannot start crystalmath-server .*max_concurrent/);
  // It reports the daemon's own start-up error, not the budget running out.
  assert.ok(!/no answer within/.test(result.stderr), result.stderr);
});

Deno.test("of two racing starts, exactly one says it started the daemon", async () => {
  await using box = await makeSandbox();
  const start = () => runCli(["start", "--json", "--socket", box.socket], { env: box.env });
  try {
    const results = await Promise.all([start(), start()]);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const outputs = results.map((r) => JSON.parse(r.stdout));
    assert.equal(outputs.filter((o) => o.started).length, 1, JSON.stringify(outputs));
    assert.equal(outputs[0].pid, outputs[1].pid, "both name the one daemon");
  } finally {
    await runCli(["stop", "--socket", box.socket], { env: box.env });
  }
});
