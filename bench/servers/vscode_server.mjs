#!/usr/bin/env node
// Competitor: a JSON-RPC server on a Unix socket built on npm vscode-jsonrpc.
//
// Usage: node bench/servers/vscode_server.mjs --socket PATH [--modules DIR]
//
// DIR is a node_modules folder holding vscode-jsonrpc. ESM `import` ignores
// NODE_PATH, so the package is loaded with a CommonJS require made by
// createRequire: from DIR when --modules is given, otherwise from this file's
// location (where CommonJS resolution does honour NODE_PATH).
// Prints "ready" on stdout once listening; SIGTERM/SIGINT close it cleanly.

import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import process from "node:process";
import { createRequire } from "node:module";

function usage(message) {
  process.stderr.write(
    `vscode_server: ${message}\nusage: node bench/servers/vscode_server.mjs --socket PATH [--modules DIR]\n`,
  );
  process.exit(64);
}

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let name;
    let value;
    if (arg.startsWith("--") && arg.includes("=")) {
      name = arg.slice(2, arg.indexOf("="));
      value = arg.slice(arg.indexOf("=") + 1);
    } else if (arg.startsWith("--")) {
      name = arg.slice(2);
      value = argv[++i];
    } else {
      usage(`unexpected argument: ${arg}`);
    }
    if (name !== "socket" && name !== "modules") usage(`unknown option: ${arg}`);
    if (value === undefined) usage(`option --${name} needs a value`);
    opts[name] = value;
  }
  if (!opts.socket) usage("--socket is required");
  return opts;
}

function loadJsonrpc(modules) {
  // A require whose base file sits inside DIR resolves packages in DIR itself
  // (Node does not append another node_modules to a folder so named).
  const base = modules ? path.join(path.resolve(modules), "__bench_require__.js") : import.meta.url;
  const require = createRequire(base);
  try {
    return require("vscode-jsonrpc/node");
  } catch (err) {
    const where = modules ? `in ${modules}` : "(no --modules given; tried NODE_PATH)";
    process.stderr.write(
      `vscode_server: cannot load vscode-jsonrpc/node ${where}: ${err.message}\n`,
    );
    process.exit(69);
  }
}

const opts = parseArgs(process.argv.slice(2));
const { createMessageConnection, StreamMessageReader, StreamMessageWriter } = loadJsonrpc(
  opts.modules,
);

// A stale socket file from an earlier run would make listen() fail.
try {
  if (fs.lstatSync(opts.socket).isSocket()) fs.unlinkSync(opts.socket);
} catch (err) {
  if (err.code !== "ENOENT") throw err;
}

const connections = new Set();

const server = net.createServer((socket) => {
  const connection = createMessageConnection(
    new StreamMessageReader(socket),
    new StreamMessageWriter(socket),
  );
  connections.add(connection);
  connection.onRequest("system.ping", (_params) => ({
    pong: true,
    timestamp: new Date().toISOString(),
  }));
  const drop = () => {
    if (connections.delete(connection)) connection.dispose();
  };
  connection.onClose(drop);
  connection.onError(() => socket.destroy());
  socket.on("error", () => socket.destroy());
  socket.on("close", drop);
  connection.listen();
});

server.on("error", (err) => {
  process.stderr.write(`vscode_server: ${err.message}\n`);
  process.exit(1);
});

server.listen(opts.socket, () => {
  process.stdout.write("ready\n");
});

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  for (const c of connections) c.dispose();
  // close() unlinks the socket file; do not wait for idle clients.
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
