/**
 * Competitor servers and the load generator, driven from Deno for the
 * benchmark runner.
 *
 * - `installVscodeJsonrpc` installs npm vscode-jsonrpc into a folder.
 * - `startVscodeServer` / `startNaiveServer` spawn the comparison servers in
 *   `./servers/` and wait until they print `ready`.
 * - `runLoad` runs `./load.mjs` under Node and parses its JSON line.
 *
 * Needs --allow-run (node, npm, deno), --allow-read and --allow-write (the
 * script files, /proc, the socket folder).
 *
 * @module
 */

/** A spawned competitor server; stop it (or `await using` it) when done. */
export interface RunningServer {
  /** Process id of the server. */
  readonly pid: number;
  /** Stop the server (SIGTERM, then SIGKILL after a grace period); idempotent. */
  stop(): Promise<void>;
  /** Same as `stop()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const VSCODE_JSONRPC_SPEC = "vscode-jsonrpc@10.0.0";
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_CHARS = 16_384;

/** Absolute file path of a file beside this module. */
function localPath(relative: string): string {
  const url = new URL(relative, import.meta.url);
  if (url.protocol !== "file:") {
    throw new Error(`bench scripts must be local files, got ${url.href}`);
  }
  return decodeURIComponent(url.pathname);
}

/** Resolve after `ms`, or never if the returned cancel function is called first. */
function delay(ms: number): { promise: Promise<"timeout">; cancel: () => void } {
  let id: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<"timeout">((resolve) => {
    id = setTimeout(() => resolve("timeout"), ms);
  });
  return {
    promise,
    cancel: () => {
      if (id !== undefined) clearTimeout(id);
    },
  };
}

/** Read a stream to its end, keeping only the last `limit` characters. */
async function collectTail(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  sink: { text: string },
) {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    sink.text = (sink.text + decoder.decode(chunk, { stream: true })).slice(-limit);
  }
  sink.text = (sink.text + decoder.decode()).slice(-limit);
}

/** Read stdout to its end, calling `onReady` once a line reads `ready`. */
async function watchStdout(stream: ReadableStream<Uint8Array>, onReady: () => void): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  let ready = false;
  for await (const chunk of stream) {
    if (ready) continue; // keep draining so the child never blocks on a full pipe
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    if (lines.some((line) => line.trim() === "ready")) {
      ready = true;
      onReady();
    }
    if (pending.length > 65_536) pending = pending.slice(-65_536);
  }
}

async function removeSocketFile(path: string): Promise<void> {
  try {
    const info = await Deno.lstat(path);
    if (info.isSocket) await Deno.remove(path);
  } catch {
    // Not there, or not ours to remove: nothing to do.
  }
}

/** Spawn a server process and wait until it prints `ready` on stdout. */
async function spawnServer(
  name: string,
  command: string,
  args: string[],
  socket: string,
  env?: Record<string, string>,
): Promise<RunningServer> {
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(env === undefined ? {} : { env }),
  }).spawn();

  const stderr = { text: "" };
  const stderrDone = collectTail(child.stderr, STDERR_TAIL_CHARS, stderr).catch(() => {});
  let signalReady: () => void = () => {};
  const ready = new Promise<"ready">((resolve) => {
    signalReady = () => resolve("ready");
  });
  const stdoutDone = watchStdout(child.stdout, signalReady).catch(() => {});
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited) {
        try {
          child.kill("SIGTERM");
        } catch {
          // exited meanwhile
        }
        const grace = delay(STOP_GRACE_MS);
        const outcome = await Promise.race([status.then(() => "exited" as const), grace.promise]);
        grace.cancel();
        if (outcome === "timeout") {
          try {
            child.kill("SIGKILL");
          } catch {
            // exited meanwhile
          }
        }
      }
      await status;
      await Promise.all([stdoutDone, stderrDone]);
      await removeSocketFile(socket);
    })();
    return stopping;
  };

  const timeout = delay(READY_TIMEOUT_MS);
  const outcome = await Promise.race([
    ready,
    status.then((s) => ({ exited: s.code })),
    timeout.promise,
  ]);
  timeout.cancel();
  if (outcome !== "ready") {
    await stop();
    const why = outcome === "timeout"
      ? `did not print "ready" within ${READY_TIMEOUT_MS} ms`
      : `exited with code ${outcome.exited} before printing "ready"`;
    const tail = stderr.text.trim();
    throw new Error(`${name} ${why}${tail ? `; stderr:\n${tail}` : ""}`);
  }

  return {
    pid: child.pid,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Install npm vscode-jsonrpc@10.0.0 into `dir` and return its `node_modules` path. */
export async function installVscodeJsonrpc(dir: string): Promise<string> {
  const out = await new Deno.Command("npm", {
    args: ["install", "--prefix", dir, "--no-audit", "--no-fund", VSCODE_JSONRPC_SPEC],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const modules = `${dir.replace(/\/+$/, "")}/node_modules`;
  if (!out.success) {
    const stderr = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`npm install ${VSCODE_JSONRPC_SPEC} failed (code ${out.code}):\n${stderr}`);
  }
  try {
    await Deno.stat(`${modules}/vscode-jsonrpc/package.json`);
  } catch {
    throw new Error(`npm install ${VSCODE_JSONRPC_SPEC} left no ${modules}/vscode-jsonrpc`);
  }
  return modules;
}

/** Start the vscode-jsonrpc (Node) server on `socket`, loading the package from `modules`. */
export function startVscodeServer(
  options: { socket: string; modules: string },
): Promise<RunningServer> {
  return spawnServer(
    "vscode-jsonrpc server",
    "node",
    [
      localPath("./servers/vscode_server.mjs"),
      "--socket",
      options.socket,
      "--modules",
      options.modules,
    ],
    options.socket,
  );
}

/** Start the naive Deno server on `socket`. */
export function startNaiveServer(options: { socket: string }): Promise<RunningServer> {
  return spawnServer(
    "naive Deno server",
    Deno.execPath(),
    [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-net",
      "--no-prompt",
      localPath("./servers/naive_server.ts"),
      "--socket",
      options.socket,
    ],
    options.socket,
    { NO_COLOR: "1" },
  );
}

/** Run `node bench/load.mjs` against `socket` in `mode` and return its parsed JSON result. */
export async function runLoad(
  options: { socket: string; mode: "latency" | "throughput" | "big"; args?: string[] },
): Promise<Record<string, unknown>> {
  const args = [
    localPath("./load.mjs"),
    "--socket",
    options.socket,
    "--mode",
    options.mode,
    ...(options.args ?? []),
  ];
  const out = await new Deno.Command("node", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (!out.success) {
    throw new Error(
      `load.mjs --mode ${options.mode} failed (code ${out.code}): ${stderr || stdout.trim()}`,
    );
  }
  const line = stdout.trim().split("\n").pop() ?? "";
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(
      `load.mjs --mode ${options.mode} printed no JSON line: ${
        JSON.stringify(stdout.slice(0, 500))
      }`,
    );
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(
      `load.mjs --mode ${options.mode} printed JSON that is not an object: ${line.slice(0, 500)}`,
    );
  }
  return parsed as Record<string, unknown>;
}
