import assert from "node:assert/strict";
import { discoveryDocument, METHODS } from "../../server/methods/mod.ts";
import type { z } from "zod";

const GOLDEN = new URL("../fixtures/openrpc/discover.golden.json", import.meta.url);

const document = discoveryDocument;

Deno.test("registry: method names are unique and read namespace.verb", () => {
  const names = METHODS.map((m) => m.name);
  assert.equal(new Set(names).size, names.length);
  for (const name of names) assert.match(name, /^[a-z]+\.[a-z][a-z0-9_]*$/, name);
});

Deno.test("registry: every method has a summary, a description and described params", () => {
  for (const def of METHODS) {
    assert.ok(def.summary.length > 0 && !def.summary.endsWith("."), `${def.name}: summary`);
    assert.ok(def.description.length > 0, `${def.name}: description`);
    for (const [key, schema] of Object.entries(def.params.shape as Record<string, z.ZodType>)) {
      assert.ok(schema.description, `${def.name}: param "${key}" has no description`);
    }
  }
});

Deno.test("registry: every example's params and result match the method's schemas", () => {
  for (const def of METHODS) {
    assert.ok(def.examples.length > 0, `${def.name}: no example`);
    for (const example of def.examples) {
      assert.ok(def.params.safeParse(example.params).success, `${def.name}: example params`);
      assert.ok(def.result.safeParse(example.result).success, `${def.name}: example result`);
    }
  }
});

Deno.test("rpc.discover document matches the golden copy (UPDATE_GOLDEN=1 rewrites it)", async () => {
  const current = JSON.stringify(document(), null, 2) + "\n";
  if (Deno.env.get("UPDATE_GOLDEN") === "1") await Deno.writeTextFile(GOLDEN, current);
  const golden = await Deno.readTextFile(GOLDEN);
  assert.equal(
    current,
    golden,
    "The OpenRPC document changed: review it, then run UPDATE_GOLDEN=1 deno task test",
  );
});

Deno.test("rpc.discover document is OpenRPC 1.3 with params, result, errors and examples", () => {
  const doc = document();
  assert.match(doc.openrpc, /^1\.3\./);
  const ping = doc.methods.find((m) => m.name === "system.ping") as Record<string, unknown>;
  assert.equal(ping.paramStructure, "either");
  assert.deepEqual(
    (ping.params as { name: string; required: boolean }[]).map((p) => [p.name, p.required]),
    [
      ["delay_ms", false],
      ["payload", false],
    ],
  );
  assert.deepEqual((ping.errors as { code: number }[]).map((e) => e.code), [-32009]);
  assert.equal((ping.result as { schema: { type: string } }).schema.type, "object");
  assert.ok((ping.examples as unknown[]).length > 0);
});
