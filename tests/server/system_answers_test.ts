/**
 * The early `system.*` answers (server/methods/system/answers.ts) against the declarations they
 * stand in for: params an early answer accepts pass the declared schema unchanged, so that a
 * reply before the registry is loaded is the reply after it.
 */
import assert from "node:assert/strict";
import type { z } from "zod";
import { EARLY_SYSTEM_METHODS } from "../../server/methods/system/answers.ts";
import { SYSTEM_METHODS } from "../../server/methods/system/mod.ts";

const SAMPLES: unknown[] = [
  undefined,
  null,
  {},
  [],
  [5],
  { delay_ms: 0 },
  { delay_ms: 250 },
  { delay_ms: 600_000 },
  { delay_ms: 600_001 },
  { delay_ms: -1 },
  { delay_ms: 1.5 },
  { delay_ms: -0 },
  { delay_ms: "5" },
  { delay_ms: null },
  { delay_ms: undefined },
  { delay_ms: Number.NaN },
  { delay_ms: Number.MAX_SAFE_INTEGER + 2 },
  { payload: "" },
  { payload: "x".repeat(1000) },
  { payload: 3 },
  { delay_ms: 1, payload: "p" },
  { extra: true },
  { delay_ms: 1, extra: true },
  "text",
  7,
];

Deno.test("each early system answer has its declared method, and accepts only what that schema passes", () => {
  for (const early of EARLY_SYSTEM_METHODS) {
    const declared = SYSTEM_METHODS.find((def) => def.name === early.name);
    assert.ok(declared, `${early.name} is declared`);
    for (const params of SAMPLES) {
      if (!early.accepts(params)) continue;
      const named = params ?? {};
      const schema: z.ZodType = declared.params;
      const parsed = schema.safeParse(named);
      assert.ok(parsed.success, `${early.name} ${JSON.stringify(params)} passes the schema`);
      assert.deepEqual(parsed.data, named, `${early.name} ${JSON.stringify(params)} unchanged`);
    }
  }
});

Deno.test("the early answers accept what clients send at start-up", () => {
  const byName = new Map(EARLY_SYSTEM_METHODS.map((method) => [method.name, method]));
  for (const params of [undefined, null, {}]) {
    for (const name of ["system.ping", "system.version", "system.shutdown"]) {
      assert.equal(byName.get(name)?.accepts(params), true, `${name} ${JSON.stringify(params)}`);
    }
  }
  assert.equal(byName.get("system.ping")?.accepts({ delay_ms: 250, payload: "abc" }), true);
  assert.equal(byName.get("system.ping")?.accepts({ delay_ms: -1 }), false);
  assert.equal(byName.get("system.version")?.accepts({ verbose: true }), false);
});
