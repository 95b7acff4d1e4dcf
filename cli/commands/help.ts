/**
 * `help`, and each command's `--help`: text derived from the command table.
 *
 * @module
 */
import { type CommandInfo, type CommandModule, FLAGS, type FlagSpec } from "../command.ts";
import { COMMANDS, findCommand } from "../command_table.ts";
import { EXIT_CODES } from "../exit_codes.ts";
import { printText } from "../output.ts";

/** The general help: usage and every command with its summary. */
export function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "crystalmath-server: the CrystalMath daemon (JSON-RPC 2.0 on a Unix socket) and its CLI",
    "",
    "Usage: crystalmath-server <command> [flags]",
    "       crystalmath-server [--socket PATH] [--db PATH] [--timeout S] [-v]   (same as serve)",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    'Run "crystalmath-server help COMMAND" for a command\'s flags.',
  ].join("\n");
}

/** One command's help: its usage, summary and flags. */
export function commandHelp(command: CommandInfo): string {
  const lines = [`Usage: crystalmath-server ${command.usage}`, "", command.summary];
  if (command.flags.length) lines.push("", "Flags:");
  const label = (name: keyof typeof FLAGS) => {
    const spec: FlagSpec = FLAGS[name];
    return `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.value ? ` ${spec.value}` : ""}`;
  };
  const width = Math.max(0, ...command.flags.map((f) => label(f).length));
  for (const name of command.flags) {
    lines.push(`  ${label(name).padEnd(width)}  ${FLAGS[name].help}`);
  }
  return lines.join("\n");
}

/** `help [COMMAND]`. */
export const helpCommand: CommandModule = {
  run({ args }) {
    const [name] = args;
    printText(name === undefined ? generalHelp() : commandHelp(findCommand(name)));
    return Promise.resolve(EXIT_CODES.ok);
  },
};
