/**
 * Test harness: runs the CLI and the daemon as real processes, exactly as users do: through
 * `deno run` with the compile task's permission set, or the compiled binary when
 * `CRYSTALMATH_BIN` names one.
 *
 * @module
 */
import { join } from "node:path";
import { selfCommand } from "../client/auto_start.ts";
import { SocketClient } from "../client/socket_client.ts";

/** The command line that runs the CLI with `args`. */
export function cliCommand(args: string[]): { command: string; args: string[] } {
  const binary = Deno.env.get("CRYSTALMATH_BIN");
  return binary ? { command: binary, args } : selfCommand(args);
}

/** A private directory with a socket path, db path and log path in it. */
export interface Sandbox extends AsyncDisposable {
  dir: string;
  socket: string;
  db: string;
  log: string;
  /** Environment for child processes: HOME and XDG dirs inside the sandbox. */
  env: SandboxEnv;
}

/** The sandbox's environment: HOME and every XDG base directory. */
export type SandboxEnv = Record<string, string> & {
  HOME: string;
  XDG_RUNTIME_DIR: string;
  XDG_DATA_HOME: string;
  XDG_STATE_HOME: string;
  XDG_CACHE_HOME: string;
  XDG_CONFIG_HOME: string;
};

/** Makes a sandbox; disposing it removes the directory. */
export async function makeSandbox(): Promise<Sandbox> {
  // Short prefix: socket paths are limited to about 100 bytes.
  const dir = await Deno.makeTempDir({ prefix: "cm" });
  const env = {
    HOME: dir,
    XDG_RUNTIME_DIR: join(dir, "run"),
    XDG_DATA_HOME: join(dir, "data"),
    XDG_STATE_HOME: join(dir, "state"),
    XDG_CACHE_HOME: join(dir, "cache"),
    XDG_CONFIG_HOME: join(dir, "config"),
    NO_COLOR: "1",
  };
  await Deno.mkdir(env.XDG_RUNTIME_DIR, { mode: 0o700 });
  return {
    dir,
    socket: join(dir, "d.sock"),
    db: join(dir, "d.db"),
    log: join(dir, "d.log"),
    env,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Writes the sandbox's config.toml, where the daemon it starts will read it. */
export async function writeConfig(box: Sandbox, lines: string[]): Promise<void> {
  const dir = join(box.env.XDG_CONFIG_HOME, "crystalmath");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "config.toml"), [...lines, ""].join("\n"));
}

/** The outcome of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string>; clearEnv?: boolean } = {},
): Promise<CliResult> {
  const { command, args: full } = cliCommand(args);
  const out = await new Deno.Command(command, {
    args: full,
    env: options.env ?? {},
    clearEnv: options.clearEnv ?? false,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** A daemon started as a child process. */
export interface DaemonProcess extends AsyncDisposable {
  child: Deno.ChildProcess;
  socket: string;
  /** Resolves with the exit code. */
  status: Promise<Deno.CommandStatus>;
}

/** Polls until `socket` answers `system.ping`, or throws after `ms`. */
export async function waitForPing(socket: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      await using client = new SocketClient(socket, { timeoutMs: 1000 });
      await client.request("system.ping", {});
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50)); // Not up yet.
    }
  }
  throw new Error(`No daemon answered on ${socket} within ${ms} ms`);
}

/**
 * Polls until `socket` answers `system.status`, which a daemon answers once its services (the
 * database among them) are up: a ping is answered before.
 */
export async function waitForServices(socket: string, ms = 20_000): Promise<void> {
  await waitForPing(socket, ms);
  await using client = new SocketClient(socket, { timeoutMs: ms });
  await client.request("system.status", {});
}

/**
 * Starts `serve` in the sandbox and waits until its services are up. Disposing kills it if still
 * alive.
 */
export async function startDaemon(
  box: Sandbox,
  extraArgs: string[] = [],
  options: { stderr?: "piped" | "null"; env?: Record<string, string> } = {},
): Promise<DaemonProcess> {
  const { command, args } = cliCommand([
    "serve",
    "--socket",
    box.socket,
    "--db",
    box.db,
    "--log-file",
    box.log,
    ...extraArgs,
  ]);
  const child = new Deno.Command(command, {
    args,
    env: { ...box.env, ...options.env },
    stdin: "null",
    stdout: "null",
    stderr: options.stderr ?? "null",
  }).spawn();
  const status = child.status;
  await waitForServices(box.socket);
  return {
    child,
    socket: box.socket,
    status,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await status;
      if (options.stderr === "piped") await child.stderr.cancel().catch(() => {});
    },
  };
}
