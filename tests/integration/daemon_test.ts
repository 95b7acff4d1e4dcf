import assert from "node:assert/strict";
import { join } from "node:path";
import { SocketClient } from "../../client/socket_client.ts";
import { pidFilePath } from "../../common/paths.ts";
import { makeSandbox, runCli, startDaemon, waitForPing } from "../_harness.ts";
import { rawPeer } from "./_raw.ts";

const ping = (id: number | string, params: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  id,
  method: "system.ping",
  params,
});

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("daemon answers 100 pipelined requests on one connection", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  await using peer = await rawPeer(box.socket);
  const frames = Array.from(
    { length: 100 },
    (_, i) => JSON.stringify(ping(i, i % 10 === 0 ? { delay_ms: 30 } : {})),
  );
  await peer.write(frames.map((f) => `Content-Length: ${f.length}\r\n\r\n${f}`).join(""));
  const ids = new Set<number>();
  for (let i = 0; i < 100; i++) {
    ids.add((await peer.next() as { id: number; result: { pong: boolean } }).id);
  }
  assert.equal(ids.size, 100);
});

Deno.test("daemon serves 200 concurrent connections", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  const clients = Array.from({ length: 200 }, () => new SocketClient(box.socket));
  try {
    const results = await Promise.all(
      clients.map((c) => c.request("system.status", {}) as Promise<{ connections: number }>),
    );
    assert.equal(results.length, 200);
    assert.ok(Math.max(...results.map((r) => r.connections)) > 1);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
});

Deno.test("daemon keeps serving others after a garbage client and a half-frame client", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box, ["--read-timeout", "1"]);
  await using good = await rawPeer(box.socket);
  {
    await using garbage = await rawPeer(box.socket);
    await garbage.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const reply = await garbage.next() as { id: null; error: { code: number } };
    assert.deepEqual([reply.id, reply.error.code], [null, -32600]);
    assert.equal(await garbage.next(), undefined, "the daemon closes the garbage connection");
  }
  {
    await using half = await rawPeer(box.socket);
    await half.write('Content-Length: 1000\r\n\r\n{"jsonrpc":');
  }
  {
    await using stalled = await rawPeer(box.socket);
    await stalled.write("Content-Length: 1000\r\n\r\n{");
    assert.equal(
      await stalled.next(),
      undefined,
      "a stalled client is dropped after --read-timeout",
    );
  }
  await good.send(ping(1));
  assert.equal((await good.next() as { id: number }).id, 1);
});

Deno.test("daemon takes a 10 MiB request", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket);
  const payload = "x".repeat(10 * 1024 * 1024);
  const result = await client.request("system.ping", { payload }) as { payload_length: number };
  assert.equal(result.payload_length, payload.length);
});

Deno.test("daemon finishes a slow request after SIGTERM, then exits cleanly", async () => {
  await using box = await makeSandbox();
  await using daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket);
  const slow = client.request("system.ping", { delay_ms: 700 }) as Promise<{ pong: boolean }>;
  await new Promise((r) => setTimeout(r, 150));
  daemon.child.kill("SIGTERM");
  assert.equal((await slow).pong, true);
  const status = await daemon.status;
  assert.equal(status.code, 0);
  assert.equal(await exists(box.socket), false, "socket removed");
  assert.equal(await exists(pidFilePath(box.socket)), false, "pid file removed");
});

Deno.test("daemon replaces a stale socket left by a killed daemon", async () => {
  await using box = await makeSandbox();
  {
    await using first = await startDaemon(box);
    first.child.kill("SIGKILL");
    await first.status;
  }
  assert.equal(await exists(box.socket), true, "the killed daemon left its socket");
  await using _second = await startDaemon(box);
  await waitForPing(box.socket);
});

Deno.test("a second serve on a live socket is refused and the first keeps running", async () => {
  await using box = await makeSandbox();
  await using daemon = await startDaemon(box);
  const second = await runCli(
    ["serve", "--socket", box.socket, "--db", join(box.dir, "other.db")],
    { env: box.env },
  );
  assert.equal(second.code, 5);
  assert.match(second.stderr, new RegExp(`already running.*pid ${daemon.child.pid}`));
  await waitForPing(box.socket);
});

Deno.test("a second daemon on the same database is refused, naming the first's pid and socket", async () => {
  await using box = await makeSandbox();
  await using daemon = await startDaemon(box);
  const otherSocket = join(box.dir, "other.sock");
  const second = await runCli(
    ["serve", "--socket", otherSocket, "--db", box.db, "--log-file", box.log],
    { env: box.env },
  );
  assert.equal(second.code, 5, second.stderr);
  assert.match(second.stderr, /Another daemon uses the database/);
  assert.ok(second.stderr.includes(`pid ${daemon.child.pid}`), second.stderr);
  assert.ok(second.stderr.includes(box.socket), second.stderr);
  assert.ok(!(await exists(otherSocket)), "the second never listened");
  await waitForPing(box.socket);
  // Once the first is gone (even by SIGKILL), the database is free again.
  daemon.child.kill("SIGKILL");
  await daemon.status;
  await using _again = await startDaemon(box);
});

Deno.test("daemon exits after the inactivity timeout, but not while a client is connected", async () => {
  await using box = await makeSandbox();
  await using daemon = await startDaemon(box, ["--timeout", "1"]);
  {
    await using client = new SocketClient(box.socket);
    await client.request("system.ping", {});
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(
      (await client.request("system.ping", {}) as { pong: boolean }).pong,
      true,
      "still alive",
    );
  }
  // Empty connections (the terminal UI's probes) are not activity.
  const probes = setInterval(
    () => Deno.connect({ transport: "unix", path: box.socket }).then((c) => c.close(), () => {}),
    100,
  );
  try {
    const started = Date.now();
    assert.equal((await daemon.status).code, 0);
    assert.ok(Date.now() - started < 5000);
  } finally {
    clearInterval(probes);
  }
  assert.equal(await exists(box.socket), false);
});

Deno.test("serve reports a corrupt database and leaves the file untouched", async () => {
  await using box = await makeSandbox();
  const garbage = "not a database\n".repeat(500);
  await Deno.writeTextFile(box.db, garbage);
  const out = await runCli(
    ["serve", "--socket", box.socket, "--db", box.db, "--log-file", box.log],
    { env: box.env },
  );
  assert.equal(out.code, 1);
  assert.match(out.stderr, /Cannot open database .*not a database/);
  assert.equal(await Deno.readTextFile(box.db), garbage);
  assert.equal(await exists(box.socket), false);
});

Deno.test("a second signal forces the daemon out while a request is still running", async () => {
  await using box = await makeSandbox();
  await using daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket);
  const slow = client.request("system.ping", { delay_ms: 60_000 }).catch((error) => error);
  await new Promise((r) => setTimeout(r, 150));
  const started = Date.now();
  daemon.child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 150));
  daemon.child.kill("SIGTERM");
  assert.equal((await daemon.status).code, 130);
  assert.ok(Date.now() - started < 5000, "well before the 10 s grace period");
  await slow;
});

Deno.test("system.shutdown stops serving before its acknowledgement goes out", async () => {
  await using box = await makeSandbox();
  await using daemon = await startDaemon(box);
  await using peer = await rawPeer(box.socket);
  await using other = await rawPeer(box.socket);
  const shutdown = JSON.stringify({ jsonrpc: "2.0", id: "s", method: "system.shutdown" });
  const after = JSON.stringify(ping("p"));
  // Both in one write: the ping is read in the same instant as the shutdown.
  await peer.write(
    [shutdown, after].map((f) => `Content-Length: ${f.length}\r\n\r\n${f}`).join(""),
  );
  const replies = [await peer.next(), await peer.next()] as {
    id: string;
    result?: unknown;
    error?: { code: number };
  }[];
  const byId = Object.fromEntries(replies.map((r) => [r.id, r]));
  assert.deepEqual(byId.s?.result, { acknowledged: true });
  assert.equal(byId.p?.error?.code, -32000, JSON.stringify(byId.p));
  // And on another connection, right after the acknowledgement.
  await other.send(ping("late"));
  const late = await other.next() as { error?: { code: number } } | undefined;
  assert.ok(late === undefined || late.error?.code === -32000, JSON.stringify(late));
  assert.equal((await daemon.status).code, 0);
});
