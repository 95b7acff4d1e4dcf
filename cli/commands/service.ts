import { join, resolveSocketPath } from "../../common/paths.ts";
import { selfCommand } from "../../client/auto_start.ts";
import { type CommandContext, type CommandModule, stringFlag } from "../command.ts";
import { EXIT_CODES, UsageError } from "../exit_codes.ts";
import { printJson, printNotice, printText } from "../output.ts";

const UNIT_NAME = "crystalmath-server.service";
const AGENT_LABEL = "org.crystalmath.server";

/**
 * Quotes one argument for a systemd ExecStart line: `%` is a specifier and `$` a variable to
 * systemd, so both are doubled; anything but plain characters goes in double quotes.
 */
export function systemdQuote(arg: string): string {
  const escaped = arg.replaceAll("%", "%%").replaceAll("$", "$$$$");
  return /^[\w@%+=:,./-]+$/.test(arg)
    ? escaped
    : `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * Refuses an argument neither format can hold: a line break ends a systemd line, and XML 1.0
 * (the plist) has no way to write most control characters.
 */
function checkArgument(arg: string): string {
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(arg)) {
    throw new UsageError(
      `Cannot install a service: ${JSON.stringify(arg)} holds a control character`,
    );
  }
  return arg;
}

/** Escapes text for an XML element. */
export function xmlEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** The unit (Linux) or agent (macOS) file, its text, and the commands that manage it. */
export interface ServiceFile {
  path: string;
  text: string;
  /** Starts it now and at every login. */
  activate: string[][];
  /** Stops it and keeps it from starting again. */
  deactivate: string[][];
  /** Exits 0 while it runs. */
  status: string[];
}

/** The unit (Linux) or agent (macOS) file: its path, its text and how to manage it. */
export function serviceFile(ctx: CommandContext): ServiceFile {
  const { facts, flags } = ctx;
  const home = facts.env.HOME;
  if (!home) throw new UsageError("Cannot install a service: HOME is not set");
  const socket = resolveSocketPath(facts, stringFlag(flags, "socket"));
  const db = stringFlag(flags, "db") ?? stringFlag(flags, "db-path");
  const { command, args } = selfCommand([
    "serve",
    "--socket",
    socket,
    "--no-timeout",
    ...(db ? ["--db", db] : []),
  ]);
  const argv = [command, ...args].map(checkArgument);
  if (facts.os === "darwin") {
    const path = join(home, "Library", "LaunchAgents", `${AGENT_LABEL}.plist`);
    const text = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key><string>${AGENT_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${argv.map((a) => `    <string>${xmlEscape(a)}</string>`).join("\n")}
  </array>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
</dict>
</plist>
`;
    const uid = String(Deno.uid() ?? "");
    return {
      path,
      text,
      activate: [["launchctl", "bootstrap", `gui/${uid}`, path]],
      deactivate: [["launchctl", "bootout", `gui/${uid}/${AGENT_LABEL}`]],
      status: ["launchctl", "print", `gui/${uid}/${AGENT_LABEL}`],
    };
  }
  const configHome = facts.env.XDG_CONFIG_HOME?.startsWith("/")
    ? facts.env.XDG_CONFIG_HOME
    : join(home, ".config");
  const path = join(configHome, "systemd", "user", UNIT_NAME);
  const text = `[Unit]
Description=CrystalMath backend daemon (crystalmath-server)

[Service]
ExecStart=${argv.map(systemdQuote).join(" ")}
Restart=on-failure

[Install]
WantedBy=default.target
`;
  return {
    path,
    text,
    activate: [
      ["systemctl", "--user", "daemon-reload"],
      ["systemctl", "--user", "enable", "--now", UNIT_NAME],
    ],
    deactivate: [["systemctl", "--user", "disable", "--now", UNIT_NAME]],
    status: ["systemctl", "--user", "is-active", "--quiet", UNIT_NAME],
  };
}

/** Runs a service manager command; false when it fails or is not there. */
async function manage(argv: readonly string[]): Promise<boolean> {
  const [cmd, ...rest] = argv;
  try {
    return (await new Deno.Command(cmd!, { args: rest, stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false; // The service manager is not installed or not reachable.
  }
}

/** Runs each command in turn; returns the first that failed, or undefined. */
async function manageAll(steps: readonly string[][]): Promise<string[] | undefined> {
  for (const argv of steps) if (!(await manage(argv))) return [...argv];
  return undefined;
}

/** `service install|uninstall|status`: a systemd user unit on Linux, a launchd agent on macOS. */
export const serviceCommand: CommandModule = {
  async run(ctx) {
    const [action] = ctx.args;
    if (action !== "install" && action !== "uninstall" && action !== "status") {
      throw new UsageError(
        `Unknown service action "${action ?? ""}": expected install, uninstall or status`,
      );
    }
    const file = serviceFile(ctx);
    const shown = (steps: readonly string[][]) => steps.map((argv) => argv.join(" ")).join(" && ");
    const isInstalled = await Deno.readTextFile(file.path).then((t) => t, () => undefined);
    if (action === "status") {
      const isActive = isInstalled !== undefined && await manage(file.status);
      const isCurrent = isInstalled === file.text;
      if (ctx.flags.json) {
        printJson({
          installed: isInstalled !== undefined,
          current: isCurrent,
          active: isActive,
          path: file.path,
        }, {
          compact: true,
        });
      } else {
        printText(
          isInstalled === undefined
            ? `Not installed (${file.path}): run "crystalmath-server service install"`
            : `Installed at ${file.path}${
              isCurrent ? "" : " (differs from what install would write now)"
            }; ` +
              (isActive ? "running" : `not running: ${shown(file.activate)}`),
        );
      }
      return isInstalled !== undefined && isActive ? EXIT_CODES.ok : EXIT_CODES.unreachable;
    }
    if (action === "uninstall") {
      if (ctx.flags["dry-run"]) {
        printText(`Would run: ${shown(file.deactivate)}, then remove ${file.path}`);
        return EXIT_CODES.ok;
      }
      if (isInstalled !== undefined) await manageAll(file.deactivate);
      try {
        await Deno.remove(file.path);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      printText(`Removed ${file.path}`);
      return EXIT_CODES.ok;
    }
    if (ctx.flags["dry-run"]) {
      printText(`# ${file.path}\n${file.text}`);
      return EXIT_CODES.ok;
    }
    if (isInstalled !== file.text) {
      // Idempotent: an unchanged file is left as it is.
      await Deno.mkdir(file.path.slice(0, file.path.lastIndexOf("/")), { recursive: true });
      const temp = `${file.path}.tmp`;
      await Deno.writeTextFile(temp, file.text, { mode: 0o644 });
      await Deno.rename(temp, file.path);
      printText(`Wrote ${file.path}`);
    } else printText(`${file.path} is already current`);
    const failed = await manageAll(file.activate);
    if (failed) {
      printNotice(
        `Could not run "${failed.join(" ")}": activate it yourself with: ${shown(file.activate)}`,
      );
    } else printText(`Activated: ${shown(file.activate)}`);
    return EXIT_CODES.ok;
  },
};
