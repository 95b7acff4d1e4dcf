import assert from "node:assert/strict";
import { PERMISSION_SET, RUN_FLAGS, V8_FLAGS } from "../../client/auto_start.ts";

Deno.test("deno task serve runs the daemon with the permission set, V8 flags and run flags of every launch", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  ) as { tasks: Record<string, string> };
  const words = config.tasks["serve"]!.split(/\s+/);
  assert.ok(words.includes(`-P=${PERMISSION_SET}`), config.tasks["serve"]);
  assert.ok(words.includes(`--v8-flags=${V8_FLAGS}`), config.tasks["serve"]);
  for (const flag of RUN_FLAGS) {
    assert.ok(words.includes(flag), `${flag} in ${config.tasks["serve"]}`);
  }
});
