/**
 * The one quoting function for remote commands. Every command sent over SSH is built from an argv
 * array here; values are never pasted into a shell string.
 *
 * @module
 */

/** Quotes one argument for a POSIX shell (single quotes; '\'' for quotes). Empty string → ''. NUL bytes are refused (TypeError). */
export function shellQuote(arg: string): string {
  // A NUL cannot pass through execve or a shell word: refuse it instead of truncating silently.
  if (arg.includes("\0")) {
    throw new TypeError("Cannot quote a shell argument: it contains a NUL byte");
  }
  // Inside single quotes nothing is special except the closing quote itself.
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Builds a shell command line from argv: each element quoted. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError("Cannot build a command line: argv is empty");
  return argv.map(shellQuote).join(" ");
}

/** The remote command string for argv run in a login shell, so module-provided sbatch/squeue are on PATH: `bash -l -c '<commandLine(argv)>'` — quoting nested correctly. */
export function loginCommand(argv: readonly string[]): string {
  // The outer string is parsed once by the user's login shell on the server, which hands bash the
  // inner command line as one word; bash then parses that line into argv again.
  return `bash -l -c ${shellQuote(commandLine(argv))}`;
}
