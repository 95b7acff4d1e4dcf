import assert from "node:assert/strict";
import { EXIT_CODES } from "../cli/exit_codes.ts";
import { ERROR_KINDS } from "../common/error_codes.ts";
import { METHODS } from "../server/methods/mod.ts";
import {
  readSection,
  regenerate,
  renderErrorTable,
  renderExitCodeTable,
  renderMethodTable,
  replaceSection,
  SECTIONS,
} from "../tools/gen_docs.ts";

const README = new URL("../README.md", import.meta.url);

for (const [name, render] of Object.entries(SECTIONS)) {
  Deno.test(`README.md's "${name}" section matches its generator`, async () => {
    const text = await Deno.readTextFile(README);
    const found = readSection(text, name);
    try {
      assert.equal(found, render());
    } catch (error) {
      throw new Error(`README.md section "${name}" is stale: run "deno task docs"`, {
        cause: error,
      });
    }
  });
}

Deno.test("renderMethodTable() lists every method, marking optional params with ?", () => {
  const table = renderMethodTable();
  for (const def of METHODS) assert.match(table, new RegExp(`\\| \`${def.name}\` +\\|`));
  const ping = table.split("\n").find((line) => line.includes("`system.ping`"));
  assert.match(ping ?? "", /`delay_ms\?`, `payload\?`/);
  assert.match(ping ?? "", /`cancelled` \(-32009\)/);
});

Deno.test("renderErrorTable() lists every error kind with its code", () => {
  const table = renderErrorTable();
  for (const [kind, { code }] of Object.entries(ERROR_KINDS)) {
    assert.match(table, new RegExp(`\\| ${code} +\\| \`${kind}\` +\\|`));
  }
});

Deno.test("renderExitCodeTable() lists every exit code once", () => {
  const rows = renderExitCodeTable().split("\n").slice(2);
  assert.deepEqual(
    rows.map((row) => Number(row.split("|")[1])),
    Object.values(EXIT_CODES),
  );
});

Deno.test("replaceSection() rewrites only the text between the markers", () => {
  const text = "intro\n<!-- t:start -->\nold\n<!-- t:end -->\noutro\n";
  const replaced = replaceSection(text, { name: "t", body: "new" });
  assert.equal(replaced, "intro\n<!-- t:start -->\n\nnew\n\n<!-- t:end -->\noutro\n");
  assert.equal(readSection(replaced, "t"), "new");
});

Deno.test("readSection() refuses a document without the markers", () => {
  assert.throws(() => readSection("no markers here", "methods"), SyntaxError);
  assert.throws(() => readSection("<!-- methods:end --> <!-- methods:start -->", "methods"));
});

Deno.test("regenerate() is a no-op on its own output", () => {
  const empty = Object.keys(SECTIONS)
    .map((name) => `<!-- ${name}:start -->\n<!-- ${name}:end -->`).join("\n\n");
  const first = regenerate(empty);
  assert.deepEqual(first.changed, Object.keys(SECTIONS));
  const second = regenerate(first.text);
  assert.equal(second.text, first.text);
  assert.deepEqual(second.changed, []);
});
