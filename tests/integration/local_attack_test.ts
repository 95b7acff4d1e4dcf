/**
 * What another local user could try through the files beside the daemon: a pid file or a log
 * that is a symlink to one of your files, a socket folder others can write to. The daemon refuses
 * them and leaves your files as they were.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pidFilePath } from "../../common/paths.ts";
import { cliCommand, makeSandbox, runCli, type Sandbox, waitForPing } from "../_harness.ts";

const VICTIM_TEXT = "precious data\n";

Deno.test("serve refuses a pid file that is a symlink and leaves its target alone", async () => {
  await using box = await makeSandbox();
  const victim = join(box.dir, "victim.txt");
  await Deno.writeTextFile(victim, VICTIM_TEXT);
  await Deno.symlink(victim, pidFilePath(box.socket));
  const result = await runCli(
    ["serve", "--socket", box.socket, "--db", box.db, "--log-file", box.log],
    { env: box.env },
  );
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /Refusing the lock file ".*": it is a symbolic link/);
  assert.equal(await Deno.readTextFile(victim), VICTIM_TEXT);
});

Deno.test("serve refuses a log file that is a symlink and leaves its target alone", async () => {
  await using box = await makeSandbox();
  const victim = join(box.dir, "victim.txt");
  await Deno.writeTextFile(victim, VICTIM_TEXT);
  const log = join(box.dir, "logs", "d.log");
  await Deno.mkdir(join(box.dir, "logs"), { mode: 0o700 });
  await Deno.symlink(victim, log);
  const result = await runCli(
    ["serve", "--socket", box.socket, "--db", box.db, "--log-file", log],
    { env: box.env },
  );
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /Refusing the log file ".*": it is a symbolic link/);
  assert.equal(await Deno.readTextFile(victim), VICTIM_TEXT);
});

/** Runs `serve` on `socket` (under `umask` if given) until disposed. */
function serveOn(box: Sandbox, socket: string, umask = "077") {
  const { command, args } = cliCommand([
    "serve",
    "--socket",
    socket,
    "--db",
    box.db,
    "--log-file",
    box.log,
  ]);
  const child = new Deno.Command("sh", {
    args: ["-c", `umask ${umask}; exec "$@"`, "sh", command, ...args],
    env: box.env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    ready: () => waitForPing(socket),
    async [Symbol.asyncDispose]() {
      child.kill("SIGKILL");
      await child.status;
    },
  };
}

Deno.test("serve refuses a socket folder that other users can write to, unless it is sticky", async () => {
  await using box = await makeSandbox();
  const open = join(box.dir, "open");
  await Deno.mkdir(open);
  await Deno.chmod(open, 0o777);
  const socket = join(open, "d.sock");
  const result = await runCli(
    ["serve", "--socket", socket, "--db", box.db, "--log-file", box.log],
    { env: box.env },
  );
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /Refusing the [a-z ]+ folder ".*open": other users can write to it/);
  // A sticky folder (like /tmp) is fine: others cannot rename or remove what is yours there.
  await Deno.chmod(open, 0o1777);
  await using daemon = serveOn(box, socket);
  await daemon.ready();
});

Deno.test("the socket is 0600 from the start even under umask 000", async () => {
  await using box = await makeSandbox();
  await using daemon = serveOn(box, box.socket, "000");
  await daemon.ready();
  assert.equal((await Deno.stat(box.socket)).mode! & 0o777, 0o600);
});

Deno.test("stop never signals a pid from a pid file when that process is not a crystalmath-server", async () => {
  await using box = await makeSandbox();
  // A "daemon" that takes connections and never answers, and a pid file naming another process.
  const listener = Deno.listen({ transport: "unix", path: box.socket });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  const bystander = new Deno.Command("sleep", { args: ["60"], stdout: "null", stderr: "null" })
    .spawn();
  try {
    await Deno.writeTextFile(pidFilePath(box.socket), `${bystander.pid}\n`);
    const result = await runCli(["stop", "--socket", box.socket], { env: box.env });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, new RegExp(`pid ${bystander.pid} is not a crystalmath-server`));
    const alive = await new Deno.Command("kill", { args: ["-0", String(bystander.pid)] }).output();
    assert.ok(alive.success, "the bystander is alive");
  } finally {
    bystander.kill("SIGKILL");
    await bystander.status;
    listener.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});
