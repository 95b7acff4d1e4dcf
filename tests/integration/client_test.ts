import assert from "node:assert/strict";
import { connect, ensureServer } from "../../client/mod.ts";
import { ClientError, ServerError } from "../../client/errors.ts";
import { SocketClient } from "../../client/socket_client.ts";
import { startAndWait } from "../../client/auto_start.ts";
import { EXIT_CODES } from "../../common/exit_codes.ts";
import { pidFilePath } from "../../common/paths.ts";
import { acquirePidLock } from "../../server/pid_lock.ts";
import { makeSandbox, startDaemon } from "../_harness.ts";

function rejectsWith(kind: string, pattern: RegExp) {
  return (e: unknown) => e instanceof ClientError && e.kind === kind && pattern.test(e.message);
}

Deno.test("connect() says the daemon is not running, with a hint", async () => {
  await using box = await makeSandbox();
  await assert.rejects(
    connect({ socket: box.socket }),
    rejectsWith("not_running", /not running.*crystalmath-server start/),
  );
});

Deno.test("SocketClient refuses a path that is not a socket", async () => {
  await using box = await makeSandbox();
  await Deno.writeTextFile(box.socket, "");
  await using client = new SocketClient(box.socket);
  await assert.rejects(
    client.request("system.ping", {}),
    rejectsWith("unsafe_socket", /it is not a socket/),
  );
});

Deno.test({
  name: "SocketClient refuses a socket owned by another user",
  ignore: Deno.uid() !== 0, // Only root can make a socket owned by someone else.
  async fn() {
    await using box = await makeSandbox();
    await using _daemon = await startDaemon(box);
    await Deno.chown(box.socket, 65534, 65534);
    await using client = new SocketClient(box.socket);
    await assert.rejects(
      client.request("system.ping", {}),
      rejectsWith("unsafe_socket", /owned by uid 65534, not by you/),
    );
  },
});

Deno.test("SocketClient refuses a socket in a folder other users can write, unless sticky", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  const folder = box.socket.slice(0, box.socket.lastIndexOf("/"));
  const before = (await Deno.stat(folder)).mode! & 0o7777;
  try {
    await Deno.chmod(folder, 0o777);
    await using client = new SocketClient(box.socket);
    await assert.rejects(
      client.request("system.ping", {}),
      rejectsWith("unsafe_socket", /other users can write to its folder/),
    );
    await Deno.chmod(folder, 0o1777);
    await using sticky = new SocketClient(box.socket);
    assert.equal((await sticky.request("system.ping", {}) as { pong: boolean }).pong, true);
  } finally {
    await Deno.chmod(folder, before);
  }
});

Deno.test("Client call() shares one connection among concurrent calls and batches", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  await using client = await connect({ socket: box.socket });
  const results = await Promise.all([
    client.call("system.ping", { delay_ms: 50 }),
    client.call("system.version", {}),
    client.call("system.status", {}),
  ]);
  assert.equal(results[0].pong, true);
  assert.equal(results[1].protocol, "json-rpc-2.0");
  assert.equal(results[2].connections, 1, "one connection for all three calls");
  const batch = await client.batch([{ method: "system.ping", params: {} }, {
    method: "nope.none",
  }]);
  assert.equal(batch[0]!.ok, true);
  assert.ok(!batch[1]!.ok && batch[1]!.error.code === -32601);
  await client.notify("system.ping", {});
  await assert.rejects(
    client.call("system.ping", { delay_ms: -1 }),
    (e) => e instanceof ServerError && e.code === -32602,
  );
});

Deno.test("Client times a call out and cancels it on the daemon", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  await using client = await connect({ socket: box.socket, timeoutMs: 200 });
  await assert.rejects(
    client.call("system.ping", { delay_ms: 5000 }),
    rejectsWith("timeout", /"system.ping" timed out after 200 ms/),
  );
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(
    client.call("system.ping", { delay_ms: 5000 }, { signal: controller.signal, timeoutMs: 0 }),
    rejectsWith("aborted", /cancelled/),
  );
  assert.equal((await client.call("system.ping", {})).pong, true, "the connection is still usable");
});

Deno.test("Client rejects pending calls when the daemon dies, then reconnects", async () => {
  await using box = await makeSandbox();
  await using client = new SocketClient(box.socket);
  {
    await using daemon = await startDaemon(box);
    const pending = client.request("system.ping", { delay_ms: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    daemon.child.kill("SIGKILL");
    await assert.rejects(pending, rejectsWith("connection_lost", /Lost the connection/));
  }
  await using _again = await startDaemon(box);
  assert.equal((await client.request("system.ping", {}) as { pong: boolean }).pong, true);
});

Deno.test("ensureServer() starts one daemon even when two clients race to start it", async () => {
  await using box = await makeSandbox();
  const serveArgs = ["--db", box.db, "--log-file", box.log, "--timeout", "30"];
  const pids = await Promise.all([
    ensureServer({ socket: box.socket, serveArgs }),
    ensureServer({ socket: box.socket, serveArgs }),
  ]);
  await using a = new SocketClient(box.socket);
  await using b = new SocketClient(box.socket);
  const [sa, sb] = await Promise.all([
    a.request("system.status", {}),
    b.request("system.status", {}),
  ]) as { pid: number }[];
  assert.equal(sa!.pid, sb!.pid);
  assert.ok(pids.includes(sa!.pid), "the running daemon is one that was spawned");
  assert.equal(
    await ensureServer({ socket: box.socket, serveArgs }),
    undefined,
    "no spawn when one answers",
  );
  await a.request("system.shutdown", {});
  for (let i = 0; i < 100 && (await Deno.lstat(box.socket).then(() => true, () => false)); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const pid of pids) {
    if (pid === undefined) continue;
    // On a loaded machine the process may take a moment to go after its socket did.
    const isGone = () => {
      try {
        Deno.kill(pid, "SIGCONT");
        return false;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return true;
        throw error;
      }
    };
    for (let i = 0; i < 200 && !isGone(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(isGone(), `pid ${pid} has exited`);
  }
  assert.ok(
    await Deno.readTextFile(box.log).then((t) => t.includes("Listening")),
    "it logged to --log-file",
  );
});

Deno.test("startAndWait() whose daemon lost the lock keeps waiting for the winner to answer", async () => {
  await using box = await makeSandbox();
  // The "winner" holds the lock, and answers only well after the spawned loser has exited.
  const lock = acquirePidLock(pidFilePath(box.socket), box.socket);
  try {
    const answersFrom = Date.now() + 3000;
    const loser = await startAndWait(
      { socket: box.socket, serveArgs: ["--db", box.db, "--log-file", box.log], waitMs: 30_000 },
      () => Promise.resolve(Date.now() > answersFrom),
    );
    assert.equal(await loser.exited, EXIT_CODES.conflict, "the spawned daemon lost the lock");
    await loser.release();
  } finally {
    lock.release();
  }
});
