#!/usr/bin/env node
// Standalone JSON-RPC 2.0 load generator for LSP-framed Unix socket servers.
//
// Usage: node bench/load.mjs --socket PATH --mode latency|throughput|big [options]
//
// Independent of the daemon's code and dependency-free (Node built-ins only).
// Prints exactly one line of JSON with the results on stdout; on a connection
// error, a malformed response or a timeout it prints a message on stderr and
// exits non-zero.

import net from "node:net";
import process from "node:process";

const USAGE = `usage: node bench/load.mjs --socket PATH --mode MODE [options]

modes:
  latency     one connection, one request in flight, sequential system.ping
  throughput  C connections, each keeping D requests in flight
  big         one request whose JSON body is about --size bytes, repeated

options:
  --socket PATH        Unix socket of the server (required)
  --mode MODE          latency | throughput | big (required)
  --requests N         measured requests (latency 5000, throughput 100000)
  --warmup N           warm-up requests (latency 500, throughput 1000)
  --connections C      throughput: connections (default 16)
  --depth D            throughput: requests in flight per connection (default 32)
  --size S             big: JSON body size in bytes (default 1048576)
  --repeat R           big: repetitions (default 3)
  --timeout-ms MS      give up after MS milliseconds in total (default 600000)
  --help               show this help
`;

const MAX_HEADER_BYTES = 8192;
const MAX_BODY_BYTES = 1 << 30;

class BenchError extends Error {}

function fail(message) {
  throw new BenchError(message);
}

// ---------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const opts = {};
  const known = new Set([
    "socket",
    "mode",
    "requests",
    "warmup",
    "connections",
    "depth",
    "size",
    "repeat",
    "timeout-ms",
  ]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    if (!arg.startsWith("--")) fail(`unexpected argument: ${arg}\n${USAGE}`);
    let name = arg.slice(2);
    let value;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    } else {
      value = argv[++i];
    }
    if (!known.has(name)) fail(`unknown option: --${name}\n${USAGE}`);
    if (value === undefined) fail(`option --${name} needs a value`);
    opts[name] = value;
  }
  if (!opts.socket) fail(`--socket is required\n${USAGE}`);
  if (!["latency", "throughput", "big"].includes(opts.mode)) {
    fail(`--mode must be latency, throughput or big\n${USAGE}`);
  }
  return opts;
}

function intOpt(opts, name, dflt, min) {
  const raw = opts[name];
  if (raw === undefined) return dflt;
  if (!/^\d+$/.test(raw)) fail(`--${name} must be a non-negative integer`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) {
    fail(`--${name} must be an integer >= ${min}`);
  }
  return n;
}

// ---------------------------------------------------------------------------
// Framing: LSP-style "Content-Length: N\r\n\r\n" + N bytes of UTF-8 JSON.
//
// Incoming chunks are kept in a queue (never concatenated into one growing
// buffer). A body that spans chunks is copied once into a preallocated buffer
// of exactly Content-Length bytes.

class FrameDecoder {
  constructor(onMessage) {
    this.onMessage = onMessage;
    this.chunks = [];
    this.head = 0; // read offset into chunks[0]
    this.buffered = 0; // unread bytes across all chunks
    this.bodyLength = -1; // -1 while reading a header
    this.body = null; // preallocated body being filled
    this.bodyFilled = 0;
  }

  push(chunk) {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.bodyLength < 0) {
        if (!this.readHeader()) return;
      } else if (!this.readBody()) {
        return;
      }
    }
  }

  /** Whether a partial message is buffered (used to report truncation). */
  get partial() {
    return this.buffered > 0 || this.bodyLength >= 0;
  }

  readHeader() {
    // Find "\r\n\r\n" scanning across chunks; headers are short.
    let state = 0; // number of terminator bytes matched so far
    let scanned = 0;
    let end = -1;
    outer: for (let c = 0; c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      for (let i = c === 0 ? this.head : 0; i < chunk.length; i++) {
        const b = chunk[i];
        scanned++;
        if (b === 13 && (state === 0 || state === 2)) state++;
        else if (b === 10 && (state === 1 || state === 3)) state++;
        else state = b === 13 ? 1 : 0;
        if (state === 4) {
          end = scanned;
          break outer;
        }
      }
      if (scanned > MAX_HEADER_BYTES) break;
    }
    if (end < 0) {
      if (scanned > MAX_HEADER_BYTES) {
        fail(`malformed response: no header terminator in ${scanned} bytes`);
      }
      return false;
    }
    const header = this.take(end).toString("latin1");
    let length = -1;
    for (const line of header.slice(0, -4).split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon <= 0) {
        fail(`malformed response header line: ${JSON.stringify(line)}`);
      }
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name === "content-length") {
        const value = line.slice(colon + 1).trim();
        if (!/^\d+$/.test(value)) {
          fail(`malformed response: bad Content-Length ${JSON.stringify(value)}`);
        }
        length = Number(value);
      }
    }
    if (length < 0) {
      fail(`malformed response: header without Content-Length: ${JSON.stringify(header)}`);
    }
    if (length > MAX_BODY_BYTES) {
      fail(`malformed response: Content-Length ${length} too large`);
    }
    this.bodyLength = length;
    this.body = null;
    this.bodyFilled = 0;
    return true;
  }

  readBody() {
    const need = this.bodyLength - this.bodyFilled;
    if (this.body === null) {
      if (this.buffered < need) {
        // Not all there yet: start a preallocated body buffer.
        this.body = Buffer.allocUnsafe(this.bodyLength);
      } else {
        this.finish(this.take(need));
        return true;
      }
    }
    const n = Math.min(need, this.buffered);
    this.copyInto(this.body, this.bodyFilled, n);
    this.bodyFilled += n;
    if (this.bodyFilled < this.bodyLength) return false;
    const body = this.body;
    this.body = null;
    this.finish(body);
    return true;
  }

  finish(body) {
    this.bodyLength = -1;
    this.bodyFilled = 0;
    let msg;
    try {
      msg = JSON.parse(body.toString("utf8"));
    } catch (err) {
      const preview = body.subarray(0, 200).toString("utf8");
      fail(`malformed response: invalid JSON (${err.message}): ${preview}`);
    }
    this.onMessage(msg);
  }

  /** Remove n buffered bytes; zero-copy when they lie in one chunk. */
  take(n) {
    const first = this.chunks[0];
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    this.copyInto(out, 0, n);
    return out;
  }

  copyInto(target, offset, n) {
    let copied = 0;
    while (copied < n) {
      const first = this.chunks[0];
      const avail = first.length - this.head;
      const m = Math.min(avail, n - copied);
      first.copy(target, offset + copied, this.head, this.head + m);
      copied += m;
      this.advance(m);
    }
  }

  advance(n) {
    this.buffered -= n;
    this.head += n;
    while (this.chunks.length > 0 && this.head >= this.chunks[0].length) {
      this.head -= this.chunks[0].length;
      this.chunks.shift();
    }
  }
}

function frame(body) {
  return Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, "latin1");
}

// ---------------------------------------------------------------------------
// Connection

class Client {
  constructor(socketPath, label) {
    this.socketPath = socketPath;
    this.label = label;
    this.pending = new Map(); // id -> {resolve, start}
    this.nextId = 1;
    this.closed = false;
    this.onFatal = null;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({ path: this.socketPath });
      this.sock = sock;
      sock.setNoDelay?.(true);
      const decoder = new FrameDecoder((msg) => this.dispatch(msg));
      this.decoder = decoder;
      let connected = false;
      sock.on("connect", () => {
        connected = true;
        resolve(this);
      });
      sock.on("data", (chunk) => {
        try {
          decoder.push(chunk);
        } catch (err) {
          this.fatal(err);
        }
      });
      sock.on("error", (err) => {
        const msg = `${this.label}: connection error on ${this.socketPath}: ${err.message}`;
        if (!connected) reject(new BenchError(msg));
        else this.fatal(new BenchError(msg));
      });
      sock.on("close", () => {
        this.closed = true;
        if (!connected) return;
        if (this.pending.size > 0 || decoder.partial) {
          this.fatal(
            new BenchError(
              `${this.label}: server closed the connection with ${this.pending.size} request(s) unanswered` +
                (decoder.partial ? " and a truncated response" : ""),
            ),
          );
        }
      });
    });
  }

  fatal(err) {
    if (this.onFatal) {
      this.onFatal(err);
      return;
    }
    process.stderr.write(`load.mjs: error: ${err.message}\n`);
    process.exit(1);
  }

  dispatch(msg) {
    if (msg === null || typeof msg !== "object" || Array.isArray(msg)) {
      fail(
        `${this.label}: malformed response: not a JSON object: ${
          JSON.stringify(msg).slice(0, 200)
        }`,
      );
    }
    if (msg.jsonrpc !== "2.0") {
      fail(
        `${this.label}: malformed response: jsonrpc is not "2.0": ${
          JSON.stringify(msg).slice(0, 200)
        }`,
      );
    }
    if (!("id" in msg)) {
      // A notification from the server; not an answer to anything.
      if (typeof msg.method === "string") return;
      fail(`${this.label}: malformed response: no id: ${JSON.stringify(msg).slice(0, 200)}`);
    }
    const entry = this.pending.get(msg.id);
    if (!entry) {
      fail(
        `${this.label}: malformed response: unknown id ${JSON.stringify(msg.id)}: ${
          JSON.stringify(msg).slice(0, 200)
        }`,
      );
    }
    const hasResult = "result" in msg;
    const hasError = "error" in msg;
    if (hasResult === hasError) {
      fail(
        `${this.label}: malformed response: needs exactly one of result/error: ${
          JSON.stringify(msg).slice(0, 200)
        }`,
      );
    }
    this.pending.delete(msg.id);
    entry(msg);
  }

  /** Send one request body (Buffer) with the given id; resolve on response. */
  sendRaw(id, body) {
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      if (body.length < 65536) {
        this.sock.write(Buffer.concat([frame(body), body]));
      } else {
        this.sock.write(frame(body));
        this.sock.write(body);
      }
    });
  }

  ping(payload) {
    const id = this.nextId++;
    const params = payload === undefined ? {} : { payload };
    const body = Buffer.from(
      JSON.stringify({ jsonrpc: "2.0", id, method: "system.ping", params }),
      "utf8",
    );
    return this.sendRaw(id, body);
  }

  close() {
    if (!this.closed) this.sock.end();
    this.sock?.destroy();
  }
}

function expectPong(msg, label) {
  if ("error" in msg) {
    fail(`${label}: system.ping returned an error: ${JSON.stringify(msg.error).slice(0, 300)}`);
  }
  const r = msg.result;
  if (r === null || typeof r !== "object" || r.pong !== true) {
    fail(
      `${label}: malformed response: system.ping result is not {pong: true, ...}: ${
        JSON.stringify(r).slice(0, 200)
      }`,
    );
  }
}

/** Run `body(onFatal)`, rejecting on the first fatal error reported. */
function guarded(clients, body) {
  return new Promise((resolve, reject) => {
    for (const c of clients) c.onFatal = reject;
    Promise.resolve().then(body).then(resolve, reject);
  });
}

// ---------------------------------------------------------------------------
// Modes

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function latency(opts) {
  const requests = intOpt(opts, "requests", 5000, 1);
  const warmup = intOpt(opts, "warmup", 500, 0);
  const client = await new Client(opts.socket, "latency").connect();
  try {
    return await guarded([client], async () => {
      for (let i = 0; i < warmup; i++) expectPong(await client.ping(), "latency");
      const samples = new Float64Array(requests);
      for (let i = 0; i < requests; i++) {
        const t0 = process.hrtime.bigint();
        const msg = await client.ping();
        samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
        expectPong(msg, "latency");
      }
      samples.sort();
      let sum = 0;
      for (const s of samples) sum += s;
      return {
        mode: "latency",
        requests,
        p50_us: round(percentile(samples, 50), 1),
        p99_us: round(percentile(samples, 99), 1),
        mean_us: round(sum / requests, 1),
      };
    });
  } finally {
    client.close();
  }
}

/** Keep `depth` requests in flight on every client until `total` answered. */
function pump(clients, depth, total) {
  return new Promise((resolve, reject) => {
    if (total === 0) return resolve();
    let sent = 0;
    let done = 0;
    const one = (client) => {
      sent++;
      client.ping().then((msg) => {
        try {
          expectPong(msg, client.label);
        } catch (err) {
          reject(err);
          return;
        }
        done++;
        if (done === total) resolve();
        else if (sent < total) one(client);
      });
    };
    for (let d = 0; d < depth; d++) {
      for (const c of clients) {
        if (sent < total) one(c);
      }
    }
  });
}

async function throughput(opts) {
  const requests = intOpt(opts, "requests", 100000, 1);
  const warmup = intOpt(opts, "warmup", 1000, 0);
  const connections = intOpt(opts, "connections", 16, 1);
  const depth = intOpt(opts, "depth", 32, 1);
  const clients = [];
  try {
    for (let i = 0; i < connections; i++) {
      clients.push(await new Client(opts.socket, `throughput conn ${i}`).connect());
    }
    return await guarded(clients, async () => {
      await pump(clients, depth, warmup);
      const t0 = process.hrtime.bigint();
      await pump(clients, depth, requests);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      return {
        mode: "throughput",
        requests,
        connections,
        depth,
        seconds: round(seconds, 4),
        req_per_s: round(requests / seconds, 1),
      };
    });
  } finally {
    for (const c of clients) c.close();
  }
}

/** A system.ping request whose JSON body is exactly `size` bytes. */
function bigBody(id, size) {
  const prefix = `{"jsonrpc":"2.0","id":${id},"method":"system.ping","params":{"payload":"`;
  const suffix = `"}}`;
  const fill = size - prefix.length - suffix.length;
  if (fill < 0) {
    fail(
      `--size ${size} is too small; the smallest body is ${prefix.length + suffix.length} bytes`,
    );
  }
  const body = Buffer.allocUnsafe(size);
  body.write(prefix, 0, "latin1");
  body.fill(0x78, /* x */ prefix.length, prefix.length + fill);
  body.write(suffix, prefix.length + fill, "latin1");
  return body;
}

async function big(opts) {
  const size = intOpt(opts, "size", 1048576, 1);
  const repeat = intOpt(opts, "repeat", 3, 1);
  bigBody(repeat, size); // validates --size before connecting
  const client = await new Client(opts.socket, "big").connect();
  try {
    return await guarded([client], async () => {
      const rtts = [];
      const outcomes = [];
      for (let i = 0; i < repeat; i++) {
        const id = client.nextId++;
        const body = bigBody(id, size);
        const t0 = process.hrtime.bigint();
        const msg = await client.sendRaw(id, body);
        rtts.push(round(Number(process.hrtime.bigint() - t0) / 1e6, 3));
        // Any answer (result or error) ends the round trip.
        outcomes.push("error" in msg ? `error ${msg.error?.code}` : "result");
      }
      const sorted = [...rtts].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
      return {
        mode: "big",
        size,
        rtt_ms_median: round(median, 3),
        rtt_ms: rtts,
        outcomes,
      };
    });
  } finally {
    client.close();
  }
}

// ---------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const timeoutMs = intOpt(opts, "timeout-ms", 600000, 1);
  const timer = setTimeout(() => {
    process.stderr.write(`load.mjs: timed out after ${timeoutMs} ms (mode ${opts.mode})\n`);
    process.exit(3);
  }, timeoutMs);
  timer.unref();
  const run = { latency, throughput, big }[opts.mode];
  const result = await run(opts);
  process.stdout.write(JSON.stringify(result) + "\n");
}

main().then(
  () => process.exit(0),
  (err) => {
    const msg = err instanceof BenchError ? err.message : err?.stack ?? String(err);
    process.stderr.write(`load.mjs: error: ${msg}\n`);
    process.exit(err instanceof BenchError ? 1 : 2);
  },
);
