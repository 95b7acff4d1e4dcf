// Competitor: a deliberately naive JSON-RPC server on a Unix socket, in Deno.
//
// Usage: deno run --allow-read --allow-write --allow-net bench/servers/naive_server.ts --socket PATH
//
// (Deno 2.9 asks for net permission for Unix sockets too, hence --allow-net.)
//
// Naive on purpose, correct all the same: every chunk read is concatenated
// onto one growing Uint8Array, the whole buffer is decoded to a string with
// TextDecoder to look for the header, the body is JSON.parse'd, and each
// response is written with conn.write. Handles pipelined requests and several
// frames in one chunk. Prints "ready" on stdout once listening.

const HEADER_END = "\r\n\r\n";
const READ_SIZE = 64 * 1024;

type Id = string | number | null;

interface RpcRequest {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

function usage(message: string): never {
  writeLine(
    Deno.stderr,
    `naive_server: ${message}\nusage: deno run --allow-read --allow-write --allow-net bench/servers/naive_server.ts --socket PATH`,
  );
  Deno.exit(64);
}

function parseSocketArg(args: string[]): string {
  let socket: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--socket") {
      socket = args[++i];
      if (socket === undefined) usage("option --socket needs a value");
    } else if (arg !== undefined && arg.startsWith("--socket=")) {
      socket = arg.slice("--socket=".length);
    } else {
      usage(`unexpected argument: ${arg}`);
    }
  }
  if (!socket) usage("--socket is required");
  return socket;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function writeLine(stream: typeof Deno.stdout | typeof Deno.stderr, line: string): void {
  const data = encoder.encode(line + "\n");
  let written = 0;
  while (written < data.length) written += stream.writeSync(data.subarray(written));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function frame(message: unknown): Uint8Array {
  const body = encoder.encode(JSON.stringify(message));
  const header = encoder.encode(`Content-Length: ${body.length}\r\n\r\n`);
  return concat(header, body);
}

function errorResponse(id: Id, code: number, message: string): unknown {
  return { jsonrpc: "2.0", id, error: { code, message } };
}

function validId(id: unknown): id is Id {
  return typeof id === "string" || typeof id === "number" || id === null;
}

/** Answer one parsed message; undefined means no response (notification). */
function handle(message: unknown): unknown {
  if (message === null || typeof message !== "object" || Array.isArray(message)) {
    return errorResponse(null, -32600, "Invalid Request");
  }
  const req = message as RpcRequest;
  const hasId = "id" in req;
  const id: Id = hasId && validId(req.id) ? req.id : null;
  if (req.jsonrpc !== "2.0" || typeof req.method !== "string" || (hasId && !validId(req.id))) {
    return errorResponse(id, -32600, "Invalid Request");
  }
  if (!hasId) return undefined;
  if (req.method === "system.ping") {
    return { jsonrpc: "2.0", id, result: { pong: true, timestamp: new Date().toISOString() } };
  }
  return errorResponse(id, -32601, `Method not found: ${req.method}`);
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) {
    written += await conn.write(data.subarray(written));
  }
}

async function serve(conn: Deno.Conn): Promise<void> {
  let buffer: Uint8Array = new Uint8Array(0);
  const chunk = new Uint8Array(READ_SIZE);
  try {
    for (;;) {
      const n = await conn.read(chunk);
      if (n === null) return;
      buffer = concat(buffer, chunk.subarray(0, n));
      // Take every complete frame out of the buffer.
      for (;;) {
        const text = decoder.decode(buffer);
        const headerEnd = text.indexOf(HEADER_END);
        if (headerEnd < 0) break;
        // The header is ASCII, so its string length is its byte length.
        const header = text.slice(0, headerEnd);
        const match = /^content-length:\s*(\d+)\s*$/im.exec(header);
        if (!match || match[1] === undefined) {
          await writeAll(conn, frame(errorResponse(null, -32700, "Missing Content-Length")));
          return;
        }
        const length = Number(match[1]);
        const bodyStart = headerEnd + HEADER_END.length;
        if (buffer.length < bodyStart + length) break;
        const body = decoder.decode(buffer.subarray(bodyStart, bodyStart + length));
        buffer = buffer.slice(bodyStart + length);
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          await writeAll(conn, frame(errorResponse(null, -32700, "Parse error")));
          continue;
        }
        const response = handle(parsed);
        if (response !== undefined) await writeAll(conn, frame(response));
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.BadResource || err instanceof Deno.errors.ConnectionReset)) {
      writeLine(
        Deno.stderr,
        `naive_server: connection error: ${err instanceof Error ? err.message : err}`,
      );
    }
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  try {
    const info = await Deno.lstat(path);
    if (info.isSocket) await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

async function main(): Promise<void> {
  const path = parseSocketArg(Deno.args);
  await removeStaleSocket(path);
  const listener = Deno.listen({ transport: "unix", path });
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    listener.close();
    try {
      Deno.removeSync(path);
    } catch {
      // gone already
    }
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", shutdown);
  Deno.addSignalListener("SIGINT", shutdown);
  writeLine(Deno.stdout, "ready");
  try {
    for await (const conn of listener) {
      serve(conn);
    }
  } catch (err) {
    if (!stopping) throw err;
  }
}

await main();
