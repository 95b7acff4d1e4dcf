import assert from "node:assert/strict";
import { TARGETS } from "../../tools/compile.ts";

const WORKFLOW = await Deno.readTextFile(
  new URL("../../.github/workflows/release.yml", import.meta.url),
);

Deno.test("the release workflow builds the compile task's targets and smoke-tests two of them", () => {
  assert.match(WORKFLOW, /^\s+- run: deno task compile --all$/m, "every target, from one list");
  const smoked = [...WORKFLOW.matchAll(/^\s+target: (\S+)$/gm)].map((m) => m[1]!);
  assert.deepEqual(smoked, ["x86_64-unknown-linux-gnu", "aarch64-apple-darwin"]);
  for (const target of smoked) assert.ok(target in TARGETS, `${target} is a compile target`);
  assert.match(WORKFLOW, /sha256sum crystalmath-server-\* > SHA256SUMS/);
  for (const step of ["version", "start", "status", "call system.ping", "stop"]) {
    assert.ok(WORKFLOW.includes(`"$BIN" ${step}`), `the smoke test runs ${step}`);
  }
});

Deno.test("the release workflow pins every action to a version", () => {
  const uses = [...WORKFLOW.matchAll(/uses: (\S+)/g)].map((m) => m[1]!);
  assert.ok(uses.length >= 5);
  for (const action of uses) assert.match(action, /@v\d+\.\d+\.\d+$/, action);
});
