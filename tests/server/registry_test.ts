import assert from "node:assert/strict";
import { LEGACY_METHODS } from "../../server/methods/legacy/mod.ts";
import { discoveryDocument, METHODS } from "../../server/methods/mod.ts";
import type { z } from "zod";

const GOLDEN = new URL("../fixtures/openrpc/discover.golden.json", import.meta.url);

const document = () => discoveryDocument(LEGACY_METHODS);

Deno.test("registry: method names are unique and read namespace.verb", () => {
  const names = METHODS.map((m) => m.name);
  assert.equal(new Set(names).size, names.length);
  for (const name of names) assert.match(name, /^[a-z]+\.[a-z][a-z0-9_]*$/, name);
});

Deno.test("registry: every method has a summary, a description and described params", () => {
  for (const def of [...METHODS, ...LEGACY_METHODS]) {
    assert.ok(def.summary.length > 0 && !def.summary.endsWith("."), `${def.name}: summary`);
    assert.ok(def.description.length > 0, `${def.name}: description`);
    for (const [key, schema] of Object.entries(def.params.shape as Record<string, z.ZodType>)) {
      assert.ok(schema.description, `${def.name}: param "${key}" has no description`);
    }
  }
});

Deno.test("registry: every example's params and result match the method's schemas", () => {
  for (const def of [...METHODS, ...LEGACY_METHODS]) {
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

Deno.test("registry: legacy methods are marked x-legacy and answer names the registry has not", () => {
  const doc = document();
  const registered = new Set<string>(METHODS.map((m) => m.name));
  for (const def of LEGACY_METHODS) {
    const entries = doc.methods.filter((m) => m.name === def.name && m["x-legacy"] === true);
    assert.equal(entries.length, 1, def.name);
    const key = def.legacy?.variant_key;
    // A legacy name the registry also has must be a variant, told apart by a key of its params.
    assert.equal(registered.has(def.name), key !== undefined, def.name);
    if (key !== undefined) assert.ok(key in def.params.shape, `${def.name}: ${key}`);
  }
  assert.ok(
    doc.methods.filter((m) => registered.has(m.name)).every((m) =>
      m["x-legacy"] === undefined || LEGACY_METHODS.some((l) => l.name === m.name)
    ),
  );
});
