import { join, resolveSocketPath } from "../../common/paths.ts";
import { selfCommand } from "../../client/mod.ts";
import { type Command, type CommandContext, stringFlag } from "../command.ts";
import { EXIT_CODES, UsageError } from "../exit_codes.ts";
import { printNotice, printText } from "../output.ts";

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

/** The unit (Linux) or agent (macOS) file: its path, its text and how to activate it. */
export function serviceFile(
  ctx: CommandContext,
): { path: string; text: string; activate: string[][] } {
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
    return { path, text, activate: [["launchctl", "bootstrap", `gui/${uid}`, path]] };
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
    activate: [["systemctl", "--user", "daemon-reload"], [
      "systemctl",
      "--user",
      "enable",
      "--now",
      UNIT_NAME,
    ]],
  };
}

/** `service install|uninstall`: a systemd user unit on Linux, a launchd agent on macOS. */
export const serviceCommand: Command = {
  name: "service",
  summary: "Install or remove the systemd user unit (Linux) or launchd agent (macOS)",
  usage: "service install [--socket PATH] [--db PATH] [--dry-run]\n  service uninstall",
  flags: ["socket", "db", "db-path", "dry-run"],
  async run(ctx) {
    const [action] = ctx.args;
    if (action !== "install" && action !== "uninstall") {
      throw new UsageError(
        `Unknown service action "${action ?? ""}": expected install or uninstall`,
      );
    }
    const file = serviceFile(ctx);
    const shown = file.activate.map((argv) => argv.join(" ")).join(" && ");
    if (action === "uninstall") {
      try {
        await Deno.remove(file.path);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      printText(`Removed ${file.path}. Stop a running agent with "crystalmath-server stop".`);
      return EXIT_CODES.ok;
    }
    if (ctx.flags["dry-run"]) {
      printText(`# ${file.path}\n${file.text}`);
      return EXIT_CODES.ok;
    }
    await Deno.mkdir(file.path.slice(0, file.path.lastIndexOf("/")), { recursive: true });
    const temp = `${file.path}.tmp`;
    await Deno.writeTextFile(temp, file.text, { mode: 0o644 });
    await Deno.rename(temp, file.path);
    printText(`Wrote ${file.path}`);
    for (const argv of file.activate) {
      const [cmd, ...rest] = argv;
      let ok = false;
      try {
        ok = (await new Deno.Command(cmd!, { args: rest, stdout: "null", stderr: "null" }).output())
          .success;
      } catch {
        ok = false; // The service manager is not installed or not reachable; say how to finish.
      }
      if (!ok) {
        printNotice(`Could not run "${argv.join(" ")}": activate it yourself with: ${shown}`);
        return EXIT_CODES.ok;
      }
    }
    printText(`Activated: ${shown}`);
    return EXIT_CODES.ok;
  },
};
