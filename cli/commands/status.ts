import { resolveSocketPath } from "../../common/paths.ts";
import { ClientError } from "../../client/errors.ts";
import { SocketClient } from "../../client/socket_client.ts";
import { type CommandModule, numberFlag } from "../command.ts";
import { EXIT_CODES } from "../exit_codes.ts";
import { printJson, printText } from "../output.ts";

interface Status {
  pid: number;
  version: string;
  uptime_s: number;
  socket: string;
  db_path: string;
  connections: number;
  requests_served: number;
  inactivity_timeout_s: number;
}

function formatUptime(seconds: number): string {
  const s = Math.floor(seconds);
  const parts = [[Math.floor(s / 86400), "d"], [Math.floor(s / 3600) % 24, "h"], [
    Math.floor(s / 60) % 60,
    "m",
  ]]
    .filter(([n]) => n !== 0).map(([n, unit]) => `${n}${unit}`);
  return [...parts, `${s % 60}s`].join(" ");
}

/** `status`: is the daemon running, and how is it doing. Exit 3 when it is not running. */
export const statusCommand: CommandModule = {
  async run({ flags, facts }) {
    const socket = resolveSocketPath(facts, flags.socket as string | undefined);
    const seconds = numberFlag(flags, "timeout");
    await using client = new SocketClient(
      socket,
      seconds === undefined ? {} : { timeoutMs: seconds * 1000 },
    );
    let status: Status;
    try {
      status = await client.request("system.status", {}) as Status;
    } catch (error) {
      if (!(error instanceof ClientError) || error.kind === "aborted") throw error;
      if (flags.json) {
        printJson({ running: false, socket, reason: error.message }, { compact: true });
      } else printText(`crystalmath-server is not running (socket ${socket}): ${error.message}`);
      return EXIT_CODES.unreachable;
    }
    if (flags.json) printJson({ running: true, ...status }, { compact: true });
    else {
      const timeout = status.inactivity_timeout_s > 0 ? `${status.inactivity_timeout_s}s` : "never";
      printText([
        "crystalmath-server is running",
        `  pid          ${status.pid}`,
        `  version      ${status.version}`,
        `  uptime       ${formatUptime(status.uptime_s)}`,
        `  socket       ${status.socket}`,
        `  database     ${status.db_path}`,
        `  connections  ${status.connections}`,
        `  requests     ${status.requests_served}`,
        `  idle exit    ${timeout}`,
      ].join("\n"));
    }
    return EXIT_CODES.ok;
  },
};
