import { type CommandInfo, type CommandModule, type FlagName, FLAGS } from "../command.ts";
import { COMMANDS } from "../command_table.ts";
import { EXIT_CODES, UsageError } from "../exit_codes.ts";
import { printText } from "../output.ts";

const PROGRAM = "crystalmath-server";

/** Text inside single quotes for sh, zsh and fish. */
function quoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function bash(commands: readonly CommandInfo[]): string {
  const cases = commands.map((c) =>
    `    ${c.name}) flags=${quoted(c.flags.map((f) => `--${f}`).join(" "))} ;;`
  );
  return [
    `# bash completion for ${PROGRAM}: eval "$(${PROGRAM} completions bash)"`,
    "_crystalmath_server() {",
    '  local current="${COMP_WORDS[COMP_CWORD]}" flags=""',
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    `    COMPREPLY=($(compgen -W ${quoted(commands.map((c) => c.name).join(" "))} -- "$current"))`,
    "    return",
    "  fi",
    '  case "${COMP_WORDS[1]}" in',
    ...cases,
    "  esac",
    '  COMPREPLY=($(compgen -W "$flags" -- "$current"))',
    "}",
    `complete -o default -F _crystalmath_server ${PROGRAM}`,
  ].join("\n");
}

function zsh(commands: readonly CommandInfo[]): string {
  const flag = (name: FlagName) => {
    const spec = FLAGS[name];
    const help = spec.help.replaceAll("[", "(").replaceAll("]", ")").replaceAll(":", " -");
    return quoted(
      `--${name}[${help}]${spec.type === "string" ? `:${spec.value ?? "value"}:` : ""}`,
    );
  };
  return [
    `#compdef ${PROGRAM}`,
    `# zsh completion for ${PROGRAM}: eval "$(${PROGRAM} completions zsh)"`,
    "_crystalmath_server() {",
    "  local -a commands",
    `  commands=(${
      commands.map((c) => quoted(`${c.name}:${c.summary.replaceAll(":", " -")}`)).join(" ")
    })`,
    "  if (( CURRENT == 2 )); then",
    "    _describe 'command' commands",
    "    return",
    "  fi",
    "  case $words[2] in",
    ...commands.map((c) =>
      `    ${c.name}) _arguments ${c.flags.map(flag).join(" ")} '*:file:_files' ;;`
    ),
    "  esac",
    "}",
    `compdef _crystalmath_server ${PROGRAM}`,
  ].join("\n");
}

function fish(commands: readonly CommandInfo[]): string {
  const lines = [
    `# fish completion for ${PROGRAM}: ${PROGRAM} completions fish | source`,
    `complete -c ${PROGRAM} -f`,
  ];
  for (const c of commands) {
    lines.push(
      `complete -c ${PROGRAM} -n __fish_use_subcommand -a ${c.name} -d ${quoted(c.summary)}`,
    );
    for (const name of c.flags) {
      const spec = FLAGS[name];
      lines.push(
        `complete -c ${PROGRAM} -n ${quoted(`__fish_seen_subcommand_from ${c.name}`)} -l ${name}` +
          `${"short" in spec && spec.short ? ` -s ${spec.short}` : ""}` +
          `${spec.type === "string" ? " -r" : ""} -d ${quoted(spec.help)}`,
      );
    }
  }
  return lines.join("\n");
}

const SHELLS = { bash, zsh, fish } as const;

/** `completions SHELL`: shell completion derived from the command table. */
export const completionsCommand: CommandModule = {
  run({ args }) {
    const [shell] = args;
    const render = shell === undefined ? undefined : SHELLS[shell as keyof typeof SHELLS];
    if (render === undefined) {
      throw new UsageError(`Missing or unknown shell "${shell ?? ""}": give bash, zsh or fish`);
    }
    printText(render(COMMANDS));
    return Promise.resolve(EXIT_CODES.ok);
  },
};
