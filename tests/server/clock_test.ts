import assert from "node:assert/strict";
import { isoNow, SYSTEM_CLOCK } from "../../server/clock.ts";

Deno.test("isoNow() gives the real clock's time to the millisecond, and a fake clock's own", () => {
  const before = Date.now();
  const stamp = isoNow();
  const after = Date.now();
  assert.match(stamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const at = Date.parse(stamp);
  assert.ok(at >= before && at <= after, `${stamp} lies between ${before} and ${after}`);
  assert.equal(isoNow(SYSTEM_CLOCK).length, 24);
  const fake = { now: () => new Date("2026-01-02T03:04:05.678Z") };
  assert.equal(isoNow(fake), "2026-01-02T03:04:05.678Z");
  // One millisecond later the real clock's stamp is formatted anew, not reused.
  const first = isoNow();
  const start = Date.now();
  while (Date.now() === start) { /* wait for the next millisecond */ }
  assert.notEqual(isoNow(), first);
});
