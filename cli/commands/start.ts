import { resolveSocketPath } from "../../common/paths.ts";
import { ensureServer } from "../../client/mod.ts";
import { SocketClient } from "../../client/socket_client.ts";
import type { CommandModule } from "../command.ts";
import { serveArgsFrom } from "../daemon_args.ts";
import { EXIT_CODES } from "../exit_codes.ts";
import { printJson, printText } from "../output.ts";

/** `start`: run the daemon in the background and return once it answers. */
export const startCommand: CommandModule = {
  async run({ flags, facts }) {
    const socket = resolveSocketPath(facts, flags.socket as string | undefined);
    const startedPid = await ensureServer({ socket, serveArgs: serveArgsFrom(flags) });
    await using client = new SocketClient(socket);
    const status = await client.request("system.status", {}) as { pid: number };
    // Two racing starts each spawn a daemon, and one wins: only the winner's start says started.
    const started = startedPid !== undefined && startedPid === status.pid;
    if (flags.json) {
      printJson({ running: true, started, pid: status.pid, socket }, { compact: true });
    } else {
      printText(
        `crystalmath-server ${
          started ? "started" : "is already running"
        }: pid ${status.pid}, socket ${socket}`,
      );
    }
    return EXIT_CODES.ok;
  },
};
