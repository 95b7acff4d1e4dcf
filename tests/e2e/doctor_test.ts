/** `crystalmath-server doctor` as a user runs it: every check, each problem with a fix. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, runCli, startDaemon } from "../_harness.ts";

const FAKE = new URL("../fixtures/fake_crystal/", import.meta.url).pathname;

interface Report {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string; fix?: string }[];
}

Deno.test("doctor passes a healthy set-up with its daemon running", async () => {
  await using box = await makeSandbox();
  const env = {
    ...box.env,
    CRYSTALMATH_CRYSTAL_EXECUTABLE: join(FAKE, "crystal"),
    CRYSTALMATH_PROPERTIES_EXECUTABLE: join(FAKE, "properties"),
  };
  await using _daemon = await startDaemon(box, [], { env });
  const result = await runCli(["doctor", "--json", "--socket", box.socket, "--db", box.db], {
    env,
  });
  const report = JSON.parse(result.stdout) as Report;
  assert.equal(result.code, 0, JSON.stringify(report.checks.filter((c) => !c.ok)));
  const names = report.checks.map((c) => c.name);
  for (const name of ["socket folder", "database", "daemon on the database", "program crystal"]) {
    assert.ok(names.includes(name), name);
  }
  const daemon = report.checks.find((c) => c.name === "daemon on the database")!;
  assert.match(daemon.detail, new RegExp(`on socket ${box.socket}`));
});

Deno.test("doctor reports a damaged database and an open socket folder, with fixes, and exits 1", async () => {
  await using box = await makeSandbox();
  await Deno.writeTextFile(box.db, "SQLite format 3\0" + "garbage".repeat(1000));
  const open = join(box.dir, "open");
  await Deno.mkdir(open);
  await Deno.chmod(open, 0o777);
  const result = await runCli(
    ["doctor", "--json", "--socket", join(open, "d.sock"), "--db", box.db],
    { env: { ...box.env, CRYSTALMATH_CRYSTAL_EXECUTABLE: "/nowhere/crystal" } },
  );
  assert.equal(result.code, 1);
  const report = JSON.parse(result.stdout) as Report;
  const failed = new Map(report.checks.filter((c) => !c.ok).map((c) => [c.name, c]));
  assert.match(failed.get("socket folder")!.detail, /other users can write to it/);
  assert.match(failed.get("socket folder")!.fix!, /chmod 700/);
  assert.ok(failed.get("database")?.fix?.includes("backup"), JSON.stringify(report));
  assert.match(failed.get("program crystal")!.detail, /\/nowhere\/crystal is not found/);
  const human = await runCli(["doctor", "--socket", join(open, "d.sock"), "--db", box.db], {
    env: box.env,
  });
  assert.match(human.stdout, /^FAIL +socket folder/m);
  assert.match(human.stdout, /fix: chmod 700/);
});
