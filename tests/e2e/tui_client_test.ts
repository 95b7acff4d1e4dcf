/**
 * Emulates the terminal UI's Rust client, as observed, and checks the daemon works with it as is:
 * found on PATH, spawned with a bare `--socket`, stderr piped and never read, probed with empty
 * connections, spoken to one request at a time, and killed with SIGKILL.
 *
 * The framing is written here on purpose instead of using `common/framing.ts`: the point is to
 * talk to the daemon as a foreign client does.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { cliCommand, makeSandbox, type Sandbox } from "../_harness.ts";

const EXECUTABLE = "crystalmath-server";
const PROBE_INTERVAL_MS = 100;
const PROBE_BUDGET_MS = 5000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Quotes one word for /bin/sh. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Writes `<dir>/bin/crystalmath-server`, a wrapper that runs this checkout's CLI. */
async function installWrapper(box: Sandbox): Promise<string> {
  const bin = join(box.dir, "bin");
  await Deno.mkdir(bin);
  const { command, args } = cliCommand([]);
  const words = [command, ...args].map(shellQuote).join(" ");
  const path = join(bin, EXECUTABLE);
  await Deno.writeTextFile(path, `#!/bin/sh\nexec ${words} "$@"\n`, { mode: 0o755 });
  return bin;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && ((info.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false; // Missing or unreadable: not a candidate.
  }
}

/** The UI's lookup: `./.venv/bin`, then `.venv/bin` in cwd and up to four parents, then PATH. */
async function findServer(options: { cwd: string; path: string }): Promise<string | undefined> {
  const candidates = [join(options.cwd, ".venv", "bin", EXECUTABLE)];
  let dir = options.cwd;
  for (let level = 0; level <= 4; level++) {
    candidates.push(join(dir, ".venv", "bin", EXECUTABLE));
    dir = dirname(dir);
  }
  for (const entry of options.path.split(":")) {
    if (entry) candidates.push(join(entry, EXECUTABLE));
  }
  for (const candidate of candidates) {
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The environment the UI's child sees: ours, without daemon overrides, plus the sandbox. */
function childEnv(box: Sandbox, bin: string): Record<string, string> {
  const inherited = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([name]) => !name.startsWith("CRYSTALMATH_")),
  );
  return {
    ...inherited,
    ...box.env,
    PATH: `${bin}:${Deno.env.get("PATH") ?? ""}`,
    CRYSTAL_TUI_DB: box.db,
  };
}

/** A daemon the UI spawned, and the executable it found. */
interface Spawned {
  child: Deno.ChildProcess;
  executable: string;
}

/** Opens a connection and closes it without sending a byte, as the UI's probe does. */
async function probe(socket: string): Promise<void> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  conn.close();
}

/** The UI's start-up: clear a refused socket, find the executable, spawn, probe until it answers. */
async function startLikeTui(box: Sandbox, env: Record<string, string>): Promise<Spawned> {
  try {
    await probe(box.socket);
    throw new Error(`Expected no daemon on "${box.socket}" before spawning`);
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) await Deno.remove(box.socket);
    else if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const executable = await findServer({ cwd: box.dir, path: env.PATH ?? "" });
  assert.ok(executable, "crystalmath-server is found on PATH");
  const child = new Deno.Command(executable, {
    args: ["--socket", box.socket],
    cwd: box.dir,
    env,
    clearEnv: true,
    stdin: "inherit", // Rust's default for spawn(); the daemon never reads it.
    stdout: "null",
    stderr: "piped", // Never read until the end, like the UI.
  }).spawn();
  const deadline = Date.now() + PROBE_BUDGET_MS;
  for (;;) {
    try {
      await probe(box.socket);
      return { child, executable };
    } catch (error) {
      if (Date.now() >= deadline) {
        child.kill("SIGKILL");
        await child.status;
        const stderr = await new Response(child.stderr).text();
        throw new Error(`No daemon on "${box.socket}" within ${PROBE_BUDGET_MS} ms: ${stderr}`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
    }
  }
}

/** SIGKILLs and reaps the child, then returns what it wrote to stderr. */
async function killLikeTui(
  spawned: Spawned,
): Promise<{ status: Deno.CommandStatus; stderr: string }> {
  spawned.child.kill("SIGKILL");
  const status = await spawned.child.status;
  const stderr = await new Response(spawned.child.stderr).text();
  return { status, stderr };
}

/** A decoded response. */
interface RpcReply {
  jsonrpc?: unknown;
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: unknown };
}

/** A client that sends one request at a time and takes the next frame as the answer. */
interface SerialClient {
  /** Sends a request with the next id and returns the checked response. */
  call(method: string, params: unknown): Promise<RpcReply>;
  /** Sends `body` as one frame, unchecked, and returns the next response. */
  sendRaw(body: string): Promise<RpcReply>;
  close(): void;
}

function indexOfHeaderEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

async function connectSerial(socket: string): Promise<SerialClient> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  const reader = conn.readable.getReader();
  let buffered = new Uint8Array(0);
  let nextId = 1;

  async function fill(): Promise<void> {
    const { value, done } = await reader.read();
    if (done) throw new Error("The daemon closed the connection");
    const joined = new Uint8Array(buffered.length + value.length);
    joined.set(buffered);
    joined.set(value, buffered.length);
    buffered = joined;
  }

  async function readFrame(): Promise<RpcReply> {
    let end = indexOfHeaderEnd(buffered);
    while (end < 0) {
      await fill();
      end = indexOfHeaderEnd(buffered);
    }
    const header = decoder.decode(buffered.subarray(0, end));
    const match = /^content-length:\s*(\d+)\s*$/im.exec(header);
    assert.ok(match, `Response header has a Content-Length: ${JSON.stringify(header)}`);
    const start = end + 4;
    const stop = start + Number(match[1]);
    while (buffered.length < stop) await fill();
    const body = decoder.decode(buffered.subarray(start, stop));
    buffered = buffered.slice(stop);
    return JSON.parse(body) as RpcReply;
  }

  async function write(body: string): Promise<void> {
    const payload = encoder.encode(body);
    const frame = new Uint8Array([
      ...encoder.encode(`Content-Length: ${payload.length}\r\n\r\n`),
      ...payload,
    ]);
    for (let sent = 0; sent < frame.length;) sent += await conn.write(frame.subarray(sent));
  }

  async function sendRaw(body: string): Promise<RpcReply> {
    await write(body);
    const response = await readFrame();
    assert.equal(response.jsonrpc, "2.0");
    return response;
  }

  return {
    async call(method, params) {
      const id = nextId++;
      const response = await sendRaw(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
      assert.equal(response.id, id, `The answer to ${method} (id ${id}) carries its id`);
      assert.notEqual("result" in response, "error" in response, "Exactly one of result, error");
      if ("result" in response) {
        const { result } = response;
        assert.ok(typeof result === "object" && result !== null, `${method} result is an object`);
      }
      return response;
    },
    sendRaw,
    close() {
      reader.releaseLock();
      conn.close();
    },
  };
}

async function expectResult(
  client: SerialClient,
  method: string,
  params: unknown,
): Promise<Record<string, unknown>> {
  const response = await client.call(method, params);
  assert.equal(response.error, undefined, `${method} succeeds: ${JSON.stringify(response.error)}`);
  return response.result as Record<string, unknown>;
}

async function expectError(
  client: SerialClient,
  request: { method: string; params: unknown; code: number },
): Promise<void> {
  const response = await client.call(request.method, request.params);
  assert.equal(response.error?.code, request.code, JSON.stringify(response));
  assert.equal(typeof response.error?.message, "string");
}

function assertPong(result: Record<string, unknown>): void {
  assert.equal(result.pong, true);
  assert.ok(!Number.isNaN(Date.parse(String(result.timestamp))), "timestamp is a date");
}

/** Asserts the daemon is gone: killed by SIGKILL, its socket file left behind and refusing. */
async function assertKilledWithSocketLeft(
  socket: string,
  status: Deno.CommandStatus,
): Promise<void> {
  assert.equal(status.signal, "SIGKILL");
  assert.equal(status.success, false);
  assert.ok((await Deno.lstat(socket)).isSocket, "The socket file stays behind");
  await assert.rejects(probe(socket), Deno.errors.ConnectionRefused);
}

Deno.test("The terminal UI's client spawns the daemon from PATH and gets serial answers", async () => {
  await using box = await makeSandbox();
  const env = childEnv(box, await installWrapper(box));
  const spawned = await startLikeTui(box, env);
  assert.equal(spawned.executable, join(box.dir, "bin", EXECUTABLE));
  try {
    const client = await connectSerial(box.socket);
    try {
      assertPong(await expectResult(client, "system.ping", {}));
      assertPong(await expectResult(client, "system.ping", null));
      const version = await expectResult(client, "system.version", {});
      assert.equal(version.protocol, "json-rpc-2.0");
      assert.equal(version.transport, "unix-socket");
      assert.equal(typeof version.version, "string");
      assert.deepEqual(await expectResult(client, "system.version", null), version);
      const status = await expectResult(client, "system.status", {});
      // No file is at the UI's path yet: nothing is made there, the default store serves.
      const store = join(box.env.XDG_DATA_HOME, "crystalmath", "crystalmath.db");
      assert.equal(status.db_path, store);
      assert.equal((status.tui_db as { kind: string } | null)?.kind, "absent");
      assert.equal(status.socket, box.socket);
      assert.equal(status.pid, spawned.child.pid, "The wrapper execs, so the pid is the daemon's");
      assert.equal((await expectResult(client, "system.status", null)).db_path, store);
      await expectError(client, { method: "tui.no_such_method", params: {}, code: -32601 });
      await expectError(client, { method: "tui.no_such_method", params: null, code: -32601 });
      await expectError(client, { method: "system.ping", params: { delay_ms: "x" }, code: -32602 });
      await expectError(client, { method: "system.ping", params: { bogus: true }, code: -32602 });
      await expectError(client, { method: "system.status", params: { verbose: 1 }, code: -32602 });
      const echoed = await expectResult(client, "system.ping", { payload: "é".repeat(5000) });
      assert.equal(echoed.payload_length, 5000);
      const discovery = await expectResult(client, "rpc.discover", null);
      assert.match(String(discovery.openrpc), /^1\.3/);
      for (let i = 0; i < 5; i++) {
        assertPong(await expectResult(client, "system.ping", i % 2 ? {} : null));
      }
      const later = await expectResult(client, "system.status", null);
      assert.ok(Number(later.requests_served) >= 18, `requests_served: ${later.requests_served}`);
    } finally {
      client.close();
    }
  } finally {
    const { status } = await killLikeTui(spawned);
    await assertKilledWithSocketLeft(box.socket, status);
  }
});

Deno.test("The terminal UI's client replaces a killed daemon's socket file and spawns anew", async () => {
  await using box = await makeSandbox();
  const env = childEnv(box, await installWrapper(box));
  const first = await startLikeTui(box, env);
  const { status } = await killLikeTui(first);
  await assertKilledWithSocketLeft(box.socket, status);

  const second = await startLikeTui(box, env);
  try {
    assert.notEqual(second.child.pid, first.child.pid);
    const client = await connectSerial(box.socket);
    try {
      assertPong(await expectResult(client, "system.ping", null));
      assert.equal((await expectResult(client, "system.status", {})).pid, second.child.pid);
    } finally {
      client.close();
    }
  } finally {
    const { status } = await killLikeTui(second);
    await assertKilledWithSocketLeft(box.socket, status);
  }
});

/** One request of each kind the 1000-request test cycles through, with its expected answer. */
const MIXED_REQUESTS: ((client: SerialClient, i: number) => Promise<void>)[] = [
  async (client) => assertPong(await expectResult(client, "system.ping", {})),
  (client, i) => expectError(client, { method: `tui.missing_${i}`, params: null, code: -32601 }),
  (client, i) =>
    expectError(client, { method: "system.ping", params: { delay_ms: -i - 1 }, code: -32602 }),
  async (client, i) => {
    const response = await client.sendRaw(`{"jsonrpc":"2.0","id":${i},"method":`);
    assert.equal(response.id, null);
    assert.equal(response.error?.code, -32700);
  },
  async (client, i) => {
    const response = await client.sendRaw(`{"jsonrpc":"1.0","id":"r${i}","method":"x"}`);
    assert.equal(response.id, `r${i}`);
    assert.equal(response.error?.code, -32600);
  },
  async (client) => assertPong(await expectResult(client, "system.ping", null)),
];

Deno.test("A daemon spawned by the terminal UI answers 1000 requests with its stderr unread", async () => {
  await using box = await makeSandbox();
  const spawned = await startLikeTui(box, childEnv(box, await installWrapper(box)));
  let stderr: string;
  try {
    const client = await connectSerial(box.socket);
    try {
      for (let i = 0; i < 1000; i++) await MIXED_REQUESTS[i % MIXED_REQUESTS.length]!(client, i);
    } finally {
      client.close();
    }
  } finally {
    ({ stderr } = await killLikeTui(spawned));
  }
  const bytes = encoder.encode(stderr).length;
  assert.ok(bytes < 16 * 1024, `stderr holds ${bytes} bytes: ${stderr.slice(0, 500)}`);
});

Deno.test("A daemon spawned by the terminal UI logs no ERROR or WARN for empty connections", async () => {
  await using box = await makeSandbox();
  const spawned = await startLikeTui(box, childEnv(box, await installWrapper(box)));
  const stateHome = box.env.XDG_STATE_HOME;
  assert.ok(stateHome, "The sandbox sets XDG_STATE_HOME");
  const logPath = join(stateHome, "crystalmath", "crystalmath.log");
  try {
    // Every restart of the UI probes the running daemon again: many empty connections.
    for (let i = 0; i < 200; i++) {
      await probe(box.socket);
      if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const client = await connectSerial(box.socket);
    try {
      // Once only this connection is open, every probe has been fully handled and logged.
      const deadline = Date.now() + 5000;
      let status = await expectResult(client, "system.status", {});
      while (status.connections !== 1 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = await expectResult(client, "system.status", null);
      }
      assert.equal(status.connections, 1);
    } finally {
      client.close();
    }
  } finally {
    await killLikeTui(spawned);
  }
  const log = await Deno.readTextFile(logPath);
  assert.match(log, /^\S+ INFO Listening /m, "The daemon logged to its state-dir log file");
  const bad = log.split("\n").filter((line) => /^\S+ (ERROR|WARN) /.test(line));
  assert.deepEqual(bad, []);
});
