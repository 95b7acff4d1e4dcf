/**
 * Splitting SLURM's text output into lines, fields and words, and reading the small values
 * (counts, exit pairs, "(null)") several commands share.
 *
 * @module
 */

/** The field separator of the squeue and sacct formats we pass. */
export const SEPARATOR = "|";

/** Splits a line into `count` fields; the last one keeps any further separators (a job name may hold one). */
export function splitFields(line: string, count: number): string[] | null {
  const fields: string[] = [];
  let rest = line;
  for (let i = 0; i < count - 1; i++) {
    const at = rest.indexOf(SEPARATOR);
    if (at < 0) return null;
    fields.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  fields.push(rest);
  return fields;
}

/** The non-blank lines of a command's output, without carriage returns. */
export function lines(stdout: string): string[] {
  return stdout.split("\n").map((line) => line.replace(/\r$/, "")).filter((line) =>
    line.trim() !== ""
  );
}

/** Splits a whitespace-separated word list written over several lines. */
export function words(text: string): string[] {
  return text.trim().split(/\s+/);
}

/** A whole number, or null for anything else (e.g. squeue's "N/A"). */
export function countOrNull(text: string): number | null {
  return /^\d+$/.test(text) ? Number(text) : null;
}

/** "code:signal" (ExitCode in scontrol and sacct) → numbers; a zero signal is none. */
export function exitPair(
  text: string | undefined,
): { exit_code: number | null; signal: number | null } {
  const match = /^(\d+):(\d+)$/.exec(text ?? "");
  if (match === null) return { exit_code: null, signal: null };
  const signal = Number(match[2]);
  return { exit_code: Number(match[1]), signal: signal === 0 ? null : signal };
}

/** The value, or null when it is missing, empty or "(null)". */
export function valueOrNull(text: string | undefined): string | null {
  return text === undefined || text === "" || text === "(null)" ? null : text;
}
