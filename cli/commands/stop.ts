import { pidFilePath, resolveSocketPath } from "../../common/paths.ts";
import { readPidFile } from "../../common/pid_file.ts";
import { ClientError } from "../../client/errors.ts";
import { SocketClient } from "../../client/socket_client.ts";
import type { CommandModule } from "../command.ts";
import { EXIT_CODES } from "../exit_codes.ts";
import { printError, printJson, printText } from "../output.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false; // Gone (or unreadable, which for our own files means gone).
  }
}

/**
 * Why `pid`, read from the pid file of `socket`, must not be signalled, or null when it may: the
 * pid file is ours, and the process is ours and is a crystalmath-server daemon. Another user's
 * pid file must never make us kill what it names.
 */
async function whyNotSignal(pid: number, socket: string): Promise<string | null> {
  const uid = Deno.uid();
  const file = await Deno.lstat(pidFilePath(socket)).catch(() => undefined);
  if (file === undefined) return "its pid file is gone";
  if (file.isSymlink) return "its pid file is a symbolic link";
  if (uid !== null && file.uid !== uid) return `its pid file belongs to uid ${file.uid}`;
  const out = await new Deno.Command("ps", {
    args: ["-ww", "-o", "uid=", "-o", "args=", "-p", String(pid)],
    stdout: "piped",
    stderr: "null",
  }).output();
  const [owner, ...args] = new TextDecoder().decode(out.stdout).trim().split(/\s+/);
  if (!out.success || owner === undefined || owner === "") return `no process has pid ${pid}`;
  if (uid !== null && Number(owner) !== uid) return `pid ${pid} belongs to uid ${owner}`;
  const isDaemon = args.some((a) => /crystalmath-server$|(^|\/)main\.ts$/.test(a)) &&
    (args.includes("serve") || args.includes("--socket") || args.length <= 2);
  return isDaemon ? null : `pid ${pid} is not a crystalmath-server daemon`;
}

/** Waits until the daemon has removed its socket and pid file. */
async function waitGone(socket: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await exists(socket)) && !(await exists(pidFilePath(socket)))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** `stop`: graceful shutdown over the socket; SIGTERM through the pid file if that fails. */
export const stopCommand: CommandModule = {
  async run({ flags, facts }) {
    const socket = resolveSocketPath(facts, flags.socket as string | undefined);
    const report = (stopped: boolean, pid: number | null) => {
      if (flags.json) printJson({ stopped, was_running: stopped, pid, socket }, { compact: true });
      else {printText(
          stopped
            ? `crystalmath-server stopped (pid ${pid})`
            : `crystalmath-server is not running (socket ${socket})`,
        );}
    };
    let pid: number | undefined;
    let hasAnswered = true;
    {
      await using client = new SocketClient(socket, { timeoutMs: 5000 });
      try {
        pid = (await client.request("system.status", {}) as { pid: number }).pid;
        await client.request("system.shutdown", {});
      } catch (error) {
        if (error instanceof ClientError && error.kind === "not_running") {
          report(false, null);
          return EXIT_CODES.ok;
        }
        // A hung daemon that does not answer: fall back to the pid file and SIGTERM below.
        if (!(error instanceof ClientError)) throw error;
        hasAnswered = false;
        pid ??= readPidFile(pidFilePath(socket));
        printError(`The daemon did not answer (${error.message}): using its pid file`);
      }
    }
    if (pid === undefined) {
      printError(
        `Cannot stop the daemon on "${socket}": it does not answer and its pid file is missing`,
      );
      return EXIT_CODES.unreachable;
    }
    if (hasAnswered && await waitGone(socket, 15_000)) {
      report(true, pid);
      return EXIT_CODES.ok;
    }
    const refusal = await whyNotSignal(pid, socket);
    if (refusal !== null) {
      printError(`Cannot stop the daemon on "${socket}": it does not answer, and ${refusal}`);
      return EXIT_CODES.unreachable;
    }
    printError(`Daemon pid ${pid} did not stop after system.shutdown: sending SIGTERM`);
    try {
      Deno.kill(pid, "SIGTERM");
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (await waitGone(socket, 10_000)) {
      report(true, pid);
      return EXIT_CODES.ok;
    }
    printError(`Cannot stop daemon pid ${pid}: it is still running after SIGTERM`);
    return EXIT_CODES.internal;
  },
};
