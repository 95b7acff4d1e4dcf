/**
 * A daemon's start in two steps (server/daemon.ts): it answers `system.*` as soon as it listens,
 * holds every other request until its services are up, and stops with their error if they cannot
 * be built. The services are a stand-in the test releases when it wants.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ServerError } from "../../client/errors.ts";
import { SocketClient } from "../../client/socket_client.ts";
import { resolveConfig } from "../../server/config.ts";
import { Daemon } from "../../server/daemon.ts";
import { DatabaseError } from "../../server/errors.ts";
import { SILENT_LOGGER } from "../../server/log.ts";
import type { Services } from "../../server/services.ts";
import { makeSandbox, type Sandbox } from "../_harness.ts";

function configFor(box: Sandbox) {
  return resolveConfig({ os: Deno.build.os, env: box.env, stderrIsTerminal: false }, {
    socket: box.socket,
    db: box.db,
    logFile: box.log,
  });
}

/** Services that are nothing but a database path, built once `gate` resolves. */
function heldServices(box: Sandbox, gate: Promise<void>): () => Promise<Services> {
  return async () => {
    await gate;
    const services = { db: { path: box.db }, engine: {}, [Symbol.asyncDispose]: async () => {} };
    return services as unknown as Services;
  };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

/** True when `promise` has not settled within `ms`. */
async function isPending(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const later = Symbol("pending");
  const timer = new Promise((resolve) => setTimeout(() => resolve(later), ms));
  return await Promise.race([promise.then(() => null, () => null), timer]) === later;
}

Deno.test("a daemon answers system.* before its services are up, and holds the rest until they are", async () => {
  await using box = await makeSandbox();
  const gate = Promise.withResolvers<void>();
  const daemon = await Daemon.start(configFor(box), {
    log: SILENT_LOGGER,
    buildServices: heldServices(box, gate.promise),
  });
  try {
    await using client = new SocketClient(box.socket, { timeoutMs: 20_000 });
    const pong = await client.request("system.ping", { payload: "abc" }) as Record<string, unknown>;
    assert.deepEqual(Object.keys(pong).sort(), ["payload_length", "pong", "timestamp"]);
    assert.equal(pong.payload_length, 3);
    const version = await client.request("system.version", {}) as { protocol: string };
    assert.equal(version.protocol, "json-rpc-2.0");
    const discovery = client.request("rpc.discover", {});
    // Params the early answer is not sure of wait for the declared schema, which words the error.
    const badPing = client.request("system.ping", { delay_ms: -1 }).catch((error) => error);
    assert.ok(await isPending(discovery, 300), "rpc.discover waits for the services");
    assert.ok(await isPending(badPing, 0), "so does a ping whose params need the schema");
    await client.request("system.ping", {}); // Still answered meanwhile.
    gate.resolve();
    const document = await discovery as { methods: { name: string }[] };
    assert.ok(document.methods.some((m) => m.name === "jobs.submit"), "then it is answered");
    const refused = await badPing;
    assert.ok(refused instanceof ServerError && refused.code === -32602, String(refused));
    assert.match(refused.message, /delay_ms/);
  } finally {
    gate.resolve();
    await daemon.shutdown("test");
  }
});

Deno.test("services that cannot be built answer the held requests with their error and stop the daemon", async () => {
  await using box = await makeSandbox();
  const gate = Promise.withResolvers<void>();
  const broken = new DatabaseError(`Cannot open database "${box.db}": file is not a database`);
  const daemon = await Daemon.start(configFor(box), {
    log: SILENT_LOGGER,
    buildServices: async () => {
      await gate.promise;
      throw broken;
    },
  });
  await using client = new SocketClient(box.socket, { timeoutMs: 20_000 });
  await client.request("system.ping", {});
  const held = client.request("jobs.list", {}).catch((error) => error);
  await client.request("system.ping", {}); // Answered once the daemon has read the request before.
  gate.resolve();
  const error = await held;
  assert.ok(error instanceof ServerError && error.code === -32001, String(error));
  assert.match(error.message, /file is not a database/);
  await assert.rejects(daemon.stopped, (e) => e === broken);
  assert.equal(await exists(box.socket), false, "the socket is removed");
  assert.equal(await exists(join(box.dir, "d.pid")), false, "so is the pid file");
  assert.equal(await exists(`${box.db}.lock`), false, "and the database lock");
});

Deno.test("a daemon that nobody asks builds its services at once all the same", async () => {
  await using box = await makeSandbox();
  const built = Promise.withResolvers<void>();
  const daemon = await Daemon.start(configFor(box), {
    log: SILENT_LOGGER,
    buildServices: () => {
      built.resolve();
      return heldServices(box, Promise.resolve())();
    },
  });
  try {
    assert.equal(await isPending(built.promise, 2000), false, "built without any request");
  } finally {
    await daemon.shutdown("test");
  }
});
