/**
 * The lowest layer of the deck reader: the line cursor, Fortran-style tokens and numbers, keyword
 * recognition, and `DeckSyntaxError` with the helpers that throw it. Private to `server/crystal/`.
 *
 * @module
 */

/** A deck that cannot be read: `line` is 1-based and `reason` says what is wrong. */
export class DeckSyntaxError extends SyntaxError {
  override name = "DeckSyntaxError";
  /** The 1-based line the problem was found on. */
  readonly line: number;
  /** What is wrong, without the line prefix. */
  readonly reason: string;

  constructor(line: number, reason: string) {
    super(`Line ${line}: ${reason}`);
    this.line = line;
    this.reason = reason;
  }
}

/** One non-blank line of a deck, trimmed, with its 1-based number. */
export type SourceLine = { readonly number: number; readonly text: string };

/** A read position over the content lines of a deck. `endLine` is where the input ends. */
export type Cursor = {
  readonly lines: readonly SourceLine[];
  index: number;
  readonly endLine: number;
};

/** Makes a cursor over the lines from index `from` of `raw`, skipping blank and `#` comment lines. */
export function openCursor(raw: readonly string[], from: number): Cursor {
  const lines: SourceLine[] = [];
  for (let i = from; i < raw.length; i++) {
    const text = (raw[i] ?? "").trim();
    if (text !== "" && !text.startsWith("#")) lines.push({ number: i + 1, text });
  }
  return { lines, index: 0, endLine: (lines.at(-1)?.number ?? from) + 1 };
}

/** The next line, left in place. */
export function peekLine(cursor: Cursor): SourceLine | undefined {
  return cursor.lines[cursor.index];
}

/** The next line, consumed. */
export function takeLine(cursor: Cursor): SourceLine | undefined {
  const line = cursor.lines[cursor.index];
  if (line !== undefined) cursor.index++;
  return line;
}

/** Takes the run of data lines (lines starting with a number) at the cursor. */
export function takeDataLines(cursor: Cursor): SourceLine[] {
  const lines: SourceLine[] = [];
  for (
    let next = peekLine(cursor);
    next !== undefined && isDataLine(next);
    next = peekLine(cursor)
  ) {
    lines.push(next);
    cursor.index++;
  }
  return lines;
}

/** Throws the DeckSyntaxError for `line`. */
export function fail(line: number, reason: string): never {
  throw new DeckSyntaxError(line, reason);
}

/** Fails with "expected <what>, got <line>"; a line number stands for the end of the input. */
export function failExpected(at: SourceLine | number, what: string): never {
  return typeof at === "number"
    ? fail(at, `expected ${what}, got the end of the input`)
    : fail(at.number, `expected ${what}, got ${quote(at)}`);
}

/** A line quoted for a message, or "the end of the input". */
export function quote(line: SourceLine | undefined): string {
  return line === undefined ? "the end of the input" : `"${line.text}"`;
}

/** The whitespace- or comma-separated values of a line, as Fortran list-directed input reads them. */
export function tokensOf(text: string): string[] {
  return text.split(/[\s,]+/).filter((token) => token !== "");
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[EeDd][+-]?\d+)?$/;
const INTEGER_RE = /^[+-]?\d+$/;

/** A Fortran real (`4.217`, `0.`, `1.0D-5`) as a number, or null. Negative zero reads as 0. */
export function toNumber(token: string | undefined): number | null {
  if (token === undefined || !NUMBER_RE.test(token)) return null;
  const value = Number(token.replace(/[Dd]/, "e"));
  return value === 0 ? 0 : value;
}

/** A Fortran integer as a number, or null. */
export function toInteger(token: string | undefined): number | null {
  return token !== undefined && INTEGER_RE.test(token) ? Number(token) : null;
}

/** The first `count` values of a line as integers, or null if there are fewer or one is not. */
export function integersOf(text: string | undefined, count: number): number[] | null {
  return valuesOf(text, count, toInteger);
}

/** The first `count` values of a line as reals, or null if there are fewer or one is not. */
export function realsOf(text: string | undefined, count: number): number[] | null {
  return valuesOf(text, count, toNumber);
}

function valuesOf(
  text: string | undefined,
  count: number,
  read: (token: string) => number | null,
): number[] | null {
  const values: number[] = [];
  for (const token of tokensOf(text ?? "").slice(0, count)) {
    const value = read(token);
    if (value === null) return null;
    values.push(value);
  }
  return values.length === count ? values : null;
}

/** Whether a line starts with a number, so is data rather than a keyword. */
export function isDataLine(line: SourceLine): boolean {
  return toNumber(tokensOf(line.text)[0]) !== null;
}

/** A line's keyword: its first word, upper-cased; "" when it does not start with a letter. */
export function keywordOf(line: SourceLine): string {
  return /^[A-Za-z]/.test(line.text) ? (tokensOf(line.text)[0] ?? "").toUpperCase() : "";
}

/** Whether a line closes a block. CRYSTAL compares only the first three letters with END. */
export function isTerminator(line: SourceLine): boolean {
  return keywordOf(line).startsWith("END");
}

/** A real as CRYSTAL input: integers keep a decimal point (`2.0`), others print exactly. */
export function formatReal(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? value.toFixed(1) : String(value);
}
