/**
 * A real third-party client against a real daemon: Microsoft's `vscode-jsonrpc` (the library
 * under every VS Code language client) over `node:net`, with LSP framing and `$/cancelRequest`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createConnection } from "node:net";
import {
  CancellationTokenSource,
  createMessageConnection,
  type Logger,
  type Message,
  type MessageConnection,
  type MessageReader,
  type MessageWriter,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-jsonrpc/node";
import { makeSandbox, startDaemon } from "../_harness.ts";

/** The daemon's code for a cancelled request, from the README's error table. */
const CANCELLED = -32009;

/** A vscode-jsonrpc connection plus everything that crossed the wire and everything it logged. */
interface Client extends AsyncDisposable {
  connection: MessageConnection;
  /** Every message read from the daemon, in order. */
  received: Message[];
  /** Every message written to the daemon, in order. */
  sent: Message[];
  /** What vscode-jsonrpc logged, its errors and warnings included, as `level: text`. */
  logged: string[];
  /** Notifications from the daemon that no handler took. */
  unhandled: unknown[];
}

async function connectClient(socketPath: string): Promise<Client> {
  const socket = createConnection(socketPath);
  await once(socket, "connect");
  const received: Message[] = [];
  const sent: Message[] = [];
  const logged: string[] = [];
  const unhandled: unknown[] = [];
  const rawReader = new StreamMessageReader(socket);
  const rawWriter = new StreamMessageWriter(socket);
  // Pass-through reader and writer, so the test sees raw traffic, stray responses included.
  const reader: MessageReader = {
    onError: rawReader.onError,
    onClose: rawReader.onClose,
    onPartialMessage: rawReader.onPartialMessage,
    listen: (callback) =>
      rawReader.listen((message) => {
        received.push(message);
        callback(message);
      }),
    dispose: () => rawReader.dispose(),
  };
  const writer: MessageWriter = {
    onError: rawWriter.onError,
    onClose: rawWriter.onClose,
    write: (message) => {
      sent.push(message);
      return rawWriter.write(message);
    },
    end: () => rawWriter.end(),
    dispose: () => rawWriter.dispose(),
  };
  const logger: Logger = {
    error: (text) => logged.push(`error: ${text}`),
    warn: (text) => logged.push(`warn: ${text}`),
    info: (text) => logged.push(`info: ${text}`),
    log: (text) => logged.push(`log: ${text}`),
  };
  const connection = createMessageConnection(reader, writer, logger);
  connection.onError(([error]) => logged.push(`onError: ${error.message}`));
  connection.onUnhandledNotification((message) => unhandled.push(message));
  connection.listen();
  return {
    connection,
    received,
    sent,
    logged,
    unhandled,
    async [Symbol.asyncDispose]() {
      connection.dispose();
      const closed = once(socket, "close");
      socket.destroy();
      await closed;
    },
  };
}

function isErrorWithCode(code: number): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ResponseError, `expected a ResponseError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

Deno.test("vscode-jsonrpc gets a pong from system.ping", async () => {
  await using box = await makeSandbox();
  await using daemon = await startDaemon(box);
  await using client = await connectClient(daemon.socket);
  const result = await client.connection.sendRequest<Record<string, unknown>>("system.ping", {});
  assert.equal(result.pong, true);
  assert.ok(!Number.isNaN(Date.parse(String(result.timestamp))), "timestamp is a date");
  assert.deepEqual(client.logged, []);
});

Deno.test("vscode-jsonrpc reads rpc.discover without params as an OpenRPC 1.3 document", async () => {
  await using box = await makeSandbox();
  await using daemon = await startDaemon(box);
  await using client = await connectClient(daemon.socket);
  const document = await client.connection.sendRequest<Record<string, unknown>>("rpc.discover");
  assert.ok(client.sent[0], "The request went through the writer");
  assert.doesNotMatch(JSON.stringify(client.sent[0]), /"params"/, "The request has no params");
  assert.match(String(document.openrpc), /^1\.3/);
  assert.ok(Array.isArray(document.methods), "methods is an array");
  const names = document.methods.map((method: { name?: unknown }) => method.name);
  for (const name of ["system.ping", "system.status", "system.shutdown", "system.version"]) {
    assert.ok(names.includes(name), `${name} is listed`);
  }
  assert.ok(names.includes("rpc.discover"), "rpc.discover lists itself");
});

Deno.test("vscode-jsonrpc notifications get no response, not even errors", async () => {
  await using box = await makeSandbox();
  await using daemon = await startDaemon(box);
  await using client = await connectClient(daemon.socket);
  await client.connection.sendNotification("system.ping", {});
  await client.connection.sendNotification("system.ping", { delay_ms: 50 });
  await client.connection.sendNotification("system.ping", { bogus: true });
  await client.connection.sendNotification("vscode.no_such_method", {});
  const result = await client.connection.sendRequest<Record<string, unknown>>("system.ping", {});
  assert.equal(result.pong, true, "The connection still works");
  // Give a wrongly sent answer (the delayed notification's included) time to arrive.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const request = client.sent.at(-1);
  assert.ok(request && "id" in request, "The last message sent is the request");
  assert.deepEqual(
    client.received.map((message) => "id" in message ? message.id : "no id"),
    [request.id],
    "Only the request was answered",
  );
  assert.deepEqual(client.unhandled, []);
  assert.deepEqual(client.logged, []);
});

Deno.test("vscode-jsonrpc cancels a slow system.ping with $/cancelRequest and gets -32009", async () => {
  await using box = await makeSandbox();
  await using daemon = await startDaemon(box);
  await using client = await connectClient(daemon.socket);
  const source = new CancellationTokenSource();
  const started = Date.now();
  const slow = client.connection.sendRequest("system.ping", { delay_ms: 10_000 }, source.token);
  const timer = setTimeout(() => source.cancel(), 200);
  try {
    await assert.rejects(slow, isErrorWithCode(CANCELLED));
  } finally {
    clearTimeout(timer);
    source.dispose();
  }
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 150 && elapsed < 5000, `rejected after ${elapsed} ms`);
  const cancel = client.sent.find((m) => "method" in m && m.method === "$/cancelRequest");
  assert.ok(cancel, "vscode-jsonrpc sent $/cancelRequest");
  const error = await slow.catch((e: unknown) => e);
  assert.ok(error instanceof ResponseError);
  assert.equal((error.data as { kind?: unknown } | undefined)?.kind, "cancelled");
  const result = await client.connection.sendRequest<Record<string, unknown>>("system.ping", {});
  assert.equal(result.pong, true, "The connection still works after a cancel");
  assert.deepEqual(client.logged, []);
});
