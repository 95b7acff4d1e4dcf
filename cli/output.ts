/**
 * All terminal output: results on stdout, errors and notices on stderr. Nothing else in the
 * program writes to either.
 *
 * @module
 */

const encoder = new TextEncoder();

function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
}

/** Prints a line (or block) of text on stdout. */
export function printText(text: string): void {
  writeAll(Deno.stdout, text.endsWith("\n") ? text : text + "\n");
}

/** Prints a value as JSON on stdout: pretty by default, one line with `compact`. */
export function printJson(value: unknown, options: { compact?: boolean } = {}): void {
  printText(JSON.stringify(value, null, options.compact ? undefined : 2));
}

/** Prints an error on stderr as one line, prefixed with the program name. */
export function printError(message: string): void {
  writeAll(Deno.stderr, `crystalmath-server: ${message.split("\n")[0]}\n`);
}

/** Prints a notice or extra detail on stderr, unprefixed. */
export function printNotice(text: string): void {
  writeAll(Deno.stderr, text.endsWith("\n") ? text : text + "\n");
}

/** True when stdout is a terminal (used to choose human output). */
export function isStdoutTerminal(): boolean {
  return Deno.stdout.isTerminal();
}
