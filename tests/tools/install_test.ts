import assert from "node:assert/strict";
import { join } from "node:path";
import { installArgs, permissionFlags } from "../../tools/install.ts";
import { makeSandbox } from "../_harness.ts";

Deno.test("permissionFlags() spells a deno.json permission set as --allow flags", () => {
  assert.deepEqual(permissionFlags({ read: true, net: ["127.0.0.1"], ffi: false, env: true }), [
    "--allow-read",
    "--allow-net=127.0.0.1",
    "--allow-env",
  ]);
});

Deno.test("deno task install puts a working crystalmath-server on PATH, and uninstall removes it", async () => {
  await using box = await makeSandbox();
  const root = join(box.dir, "install");
  const run = async (args: string[]) =>
    await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" }).output();
  const installed = await run(await installArgs("install", root));
  assert.ok(installed.success, new TextDecoder().decode(installed.stderr));
  const command = join(root, "bin", "crystalmath-server");
  const shim = await Deno.readTextFile(command);
  assert.match(shim, /--v8-flags=--expose-gc/);
  assert.match(shim, /--unstable-lazy-dynamic-imports/);
  assert.match(shim, /--allow-run/);
  const status = await new Deno.Command(command, {
    args: ["status", "--socket", box.socket],
    env: box.env,
    stdout: "piped",
  }).output();
  assert.equal(status.code, 3, "status works from the installed command (and says not running)");
  assert.match(new TextDecoder().decode(status.stdout), /is not running/);
  const removed = await run(await installArgs("uninstall", root));
  assert.ok(removed.success);
  assert.ok(!(await Deno.lstat(command).then(() => true, () => false)), "uninstalled");
});
