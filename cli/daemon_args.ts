import { type FlagName, type FlagValues, stringFlag } from "./command.ts";

/** The `serve` flags that `start` and `call` pass on when they start a daemon. */
const PASSED_ON: readonly FlagName[] = [
  "db",
  "db-path",
  "timeout",
  "no-timeout",
  "verbose",
  "log-file",
];

/** Rebuilds the `serve` arguments from the flags a user gave to another command. */
export function serveArgsFrom(flags: FlagValues): string[] {
  const args: string[] = [];
  for (const name of PASSED_ON) {
    const value = flags[name];
    if (value === true) args.push(`--${name}`);
    else if (typeof value === "string") args.push(`--${name}`, stringFlag(flags, name)!);
  }
  return args;
}
