import assert from "node:assert/strict";
import { join } from "node:path";
import { tailLines } from "../../../server/jobs/tail.ts";

Deno.test("tailLines() returns the last lines across block boundaries and says when it truncated", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "out");
    const lines = Array.from({ length: 30_000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)}`);
    await Deno.writeTextFile(path, lines.join("\n") + "\n");
    const tail = await tailLines(path, 3);
    assert.deepEqual(tail.lines, lines.slice(-3));
    assert.equal(tail.truncated, true);
    assert.equal(tail.size_bytes, (await Deno.stat(path)).size);
    assert.deepEqual((await tailLines(path, 5000)).lines, lines.slice(-5000));
    await Deno.writeTextFile(path, "a\nb");
    assert.deepEqual(await tailLines(path, 10), {
      lines: ["a", "b"],
      size_bytes: 3,
      truncated: false,
    });
    await Deno.writeTextFile(path, "");
    assert.deepEqual(await tailLines(path, 10), { lines: [], size_bytes: 0, truncated: false });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
