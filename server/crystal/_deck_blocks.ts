/**
 * The machinery behind `deck.ts`: the line cursor, number and keyword recognition, the keyword
 * tables, and the readers for keyword sections (with their nested END blocks) and explicit basis
 * sets. Private to `server/crystal/`.
 *
 * @module
 */
import type { BasisAtom, BasisShell, DeckKeyword } from "./deck.ts";

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

/** How the keywords of one section are read: its sub-blocks and the keywords that cannot occur. */
export type SectionRules = {
  /** Names the section in messages: "geometry block", "OPTGEOM block". */
  readonly name: string;
  /** Keywords that open a sub-block closed by its own END, with that sub-block's rules. */
  readonly blocks: Readonly<Record<string, SectionRules>>;
  /** Keywords that belong to an outer section: meeting one means this section was not closed. */
  readonly foreign: ReadonlySet<string>;
  /** Whether BASISSET ends the section in place of END (the geometry block only). */
  readonly isEndedByBasisSet: boolean;
};

/** Keywords of the Hamiltonian (block 3), which cannot occur in the geometry or its sub-blocks. */
const SCF_KEYWORDS = (
  "ANDERSON ATOMSPIN BASISSET BIPOSIZE BROYDEN DFT DFTD3 DIIS EXCHSIZE FMIXING GCP GUESSP " +
  "HISTDIIS LEVSHIFT NODIIS PPAN RHF ROHF SCFDIR SHRINK SMEAR SPINLOCK TOLINTEG UHF"
).split(" ");
/** Geometry-block keywords that open a calculation driver sub-block; at most one is used. */
const DRIVERS = ["ANHARM", "CPHF", "CPKS", "ELASTCON", "EOS", "FREQCALC", "OPTGEOM"];
const FREQCALC_SUBBLOCKS = ["INTCPHF", "IRSPEC", "PREOPTGEOM", "RAMSPEC"];

function block(name: string, foreign: string[], blocks: Record<string, SectionRules> = {}) {
  return { name: `${name} block`, blocks, foreign: new Set(foreign), isEndedByBasisSet: false };
}

const DRIVER_FOREIGN = [...SCF_KEYWORDS, ...DRIVERS];
const SUB_FOREIGN = [...DRIVER_FOREIGN, ...FREQCALC_SUBBLOCKS];
const PREOPTGEOM = { PREOPTGEOM: block("PREOPTGEOM", SUB_FOREIGN) };
const FREQCALC_BLOCKS = Object.fromEntries(
  FREQCALC_SUBBLOCKS.map((name) => [name, block(name, SUB_FOREIGN)]),
);
const DRIVER_BLOCKS = Object.fromEntries(DRIVERS.map((name) => [
  name,
  block(name, DRIVER_FOREIGN, name === "FREQCALC" ? FREQCALC_BLOCKS : PREOPTGEOM),
]));

/** Block 1 after the atoms: geometry editing keywords and drivers, up to END or BASISSET. */
export const GEOMETRY_RULES: SectionRules = {
  ...block("geometry", SCF_KEYWORDS.filter((name) => name !== "BASISSET"), DRIVER_BLOCKS),
  isEndedByBasisSet: true,
};
/** Block 2 after `99 0`: basis-set keywords (GHOSTS ...), up to END. */
export const BASIS_RULES: SectionRules = block("basis set", SCF_KEYWORDS);
const DFT_FOREIGN = [...SCF_KEYWORDS, "MAXCYCLE", "TOLDEE", ...DRIVERS];
/** Block 3: the Hamiltonian and SCF keywords, with DFT ... END and other sub-blocks, up to END. */
export const HAMILTONIAN_RULES: SectionRules = block(
  "Hamiltonian",
  [],
  Object.fromEntries(
    ["DFT", "DFTD3", "GCP", "TWOCOMPON"].map((name) => [name, block(name, DFT_FOREIGN)]),
  ),
);

/** Keywords whose next line(s) are text (a name), not numbers. */
const TEXT_ARGUMENTS: Readonly<Record<string, string>> = {
  BASISSET: "a basis set name",
  CORRELAT: "a correlation functional name",
  EXCHANGE: "an exchange functional name",
};

type ValueRule = { count: number; isInteger: boolean; what: string };
const INTEGER: ValueRule = { count: 1, isInteger: true, what: "an integer" };
const REAL: ValueRule = { count: 1, isInteger: false, what: "a number" };
/** What the first argument line of common keywords must hold. Others take any numeric lines. */
const VALUE_RULES: Readonly<Record<string, ValueRule>> = {
  ...ruleFor(
    "ATOMSPIN BIPOSIZE EXCHSIZE FINALRUN FMIXING HISTDIIS MAXCYCLE NUMDERIV TOLDEE",
    INTEGER,
  ),
  ...ruleFor("SMEAR TOLDEG TOLDEX", REAL),
  LEVSHIFT: { count: 2, isInteger: true, what: "2 integers" },
  SHRINK: { count: 2, isInteger: true, what: "2 integers (IS ISP)" },
  SPINLOCK: { count: 2, isInteger: true, what: "2 integers" },
  TOLINTEG: { count: 5, isInteger: true, what: "5 integers" },
};

function ruleFor(names: string, rule: ValueRule): Record<string, ValueRule> {
  return Object.fromEntries(names.split(" ").map((name) => [name, rule]));
}

/** A section's keywords and the line that ended it (END..., or BASISSET in the geometry block). */
export type Section = { keywords: DeckKeyword[]; end: SourceLine };

/** Reads the keywords of a top-level section up to the line that closes it. */
export function readSection(cursor: Cursor, section: SectionRules): Section {
  return readBlock(cursor, section, null);
}

/** Reads keywords up to the line that closes the block; `opener` is the line that opened it. */
function readBlock(cursor: Cursor, section: SectionRules, opener: SourceLine | null): Section {
  const closer = section.isEndedByBasisSet ? "END or BASISSET" : "END";
  const opened = opener === null ? "" : ` opened on line ${opener.number}`;
  const expected = `${closer} to close the ${section.name}${opened}`;
  const keywords: DeckKeyword[] = [];
  for (;;) {
    const line = takeLine(cursor);
    if (line === undefined) failExpected(cursor.endLine, expected);
    if (isTerminator(line)) return { keywords, end: line };
    const name = keywordOf(line);
    if (name === "") {
      const last = keywords.at(-1);
      const hint = last?.block === undefined ? "" : `: the ${last.keyword} block needs its own END`;
      const where = `${section.name}${opened}`;
      fail(line.number, `expected a keyword or END in the ${where}, got ${quote(line)}${hint}`);
    }
    if (name === "BASISSET" && section.isEndedByBasisSet) return { keywords, end: line };
    if (section.foreign.has(name)) failExpected(line, expected);
    keywords.push(readKeyword(cursor, line, section));
  }
}

function readKeyword(cursor: Cursor, line: SourceLine, section: SectionRules): DeckKeyword {
  const name = keywordOf(line);
  const keyword = tokensOf(line.text)[0] ?? name;
  const args: SourceLine[] = [];
  if (TEXT_ARGUMENTS[name] !== undefined) {
    args.push(readTextArgument(cursor, name));
  } else {
    args.push(...takeDataLines(cursor));
  }
  checkValues(cursor, name, args);
  const entry: DeckKeyword = { keyword, args: args.map((arg) => arg.text) };
  const sub = section.blocks[name];
  if (sub === undefined) return entry;
  const { keywords, end } = readBlock(cursor, sub, line);
  return { ...entry, block: { keywords, end: end.text } };
}

/** Reads the name after BASISSET, EXCHANGE ...; END or a Hamiltonian keyword means it is missing. */
export function readTextArgument(cursor: Cursor, name: string): SourceLine {
  const what = TEXT_ARGUMENTS[name] ?? "a name";
  const next = takeLine(cursor);
  if (next === undefined || isTerminator(next) || SCF_KEYWORDS.includes(keywordOf(next))) {
    failExpected(next ?? cursor.endLine, `${what} after ${name}`);
  }
  return next;
}

function checkValues(cursor: Cursor, name: string, args: readonly SourceLine[]): void {
  const rule = VALUE_RULES[name];
  if (rule === undefined) return;
  const [first, second] = args;
  const got = first ?? peekLine(cursor);
  const values = rule.isInteger
    ? integersOf(first?.text, rule.count)
    : realsOf(first?.text, rule.count);
  if (values === null) failExpected(got ?? cursor.endLine, `${rule.what} after ${name}`);
  if (name === "SHRINK" && values[0] === 0 && integersOf(second?.text, 3) === null) {
    failExpected(
      second ?? peekLine(cursor) ?? cursor.endLine,
      "IS1 IS2 IS3 after SHRINK with IS 0",
    );
  }
}

const ECP_KEYWORDS = ["INPUT", "HAYWLC", "HAYWSC", "BARTHE", "DURAND"];

/** Reads the explicit basis-set list of block 2, up to and including its `99 0` line. */
export function readBasisAtoms(cursor: Cursor): BasisAtom[] {
  const atoms: BasisAtom[] = [];
  for (;;) {
    const line = takeLine(cursor);
    const header = integersOf(line?.text, 2);
    if (header === null) {
      failExpected(line ?? cursor.endLine, 'a basis set line "NAT NSHELL" or "99 0"');
    }
    const [nat = 0, shellCount = 0] = header;
    if (nat === 99 && shellCount === 0) return atoms;
    const ecp = nat > 200 && nat < 1000 ? readEcp(cursor, nat) : null;
    const shells: BasisShell[] = [];
    for (let k = 1; k <= shellCount; k++) {
      shells.push(readShell(cursor, nat, `${k} of ${shellCount}`));
    }
    atoms.push({ atomic_number: nat, ecp, shells });
  }
}

function readEcp(cursor: Cursor, nat: number): string[] {
  const line = takeLine(cursor);
  if (line === undefined || !ECP_KEYWORDS.includes(keywordOf(line))) {
    failExpected(
      line ?? cursor.endLine,
      `a pseudopotential keyword (${ECP_KEYWORDS.join(", ")}) for atom ${nat}`,
    );
  }
  if (keywordOf(line) !== "INPUT") return [line.text];
  // ZNUC is the effective core charge (a real); the M counts of each term type follow.
  const counts = takeLine(cursor);
  const [charge, ...terms] = counts === undefined ? [] : tokensOf(counts.text);
  const sizes = integersOf(terms.join(" "), terms.length);
  if (counts === undefined || toNumber(charge) === null || sizes === null || sizes.length < 6) {
    failExpected(counts ?? cursor.endLine, `"ZNUC M M0 M1 M2 M3 M4" after INPUT for atom ${nat}`);
  }
  const termCount = sizes.reduce((sum, n) => sum + n, 0);
  return [line.text, counts.text, ...readDataLines(cursor, termCount, 3, "pseudopotential term")];
}

function readShell(cursor: Cursor, nat: number, which: string): BasisShell {
  const line = takeLine(cursor);
  const ints = integersOf(line?.text, 3);
  const reals = realsOf(line?.text, 5);
  if (ints === null || reals === null) {
    failExpected(line ?? cursor.endLine, `shell ${which} of atom ${nat} as "ITYB LAT NG CHE SCAL"`);
  }
  const [basisType = 0, shellType = 0, count = 0] = ints;
  const [, , , charge = 0, scale = 0] = reals;
  const width = shellType === 1 ? 3 : 2;
  const primitives = basisType === 0
    ? readDataLines(cursor, count, width, `primitive of shell ${which} of atom ${nat}`)
    : [];
  return {
    basis_type: basisType,
    shell_type: shellType,
    primitive_count: count,
    charge,
    scale,
    primitives,
  };
}

function readDataLines(cursor: Cursor, count: number, width: number, what: string): string[] {
  const lines: string[] = [];
  for (let i = 1; i <= count; i++) {
    const line = takeLine(cursor);
    if (line === undefined || realsOf(line.text, width) === null) {
      failExpected(line ?? cursor.endLine, `${what} (${i} of ${count}) as ${width} numbers`);
    }
    lines.push(line.text);
  }
  return lines;
}

/** The lines of keywords and their sub-blocks, as `readSection` reads them back. */
export function keywordLines(keywords: readonly DeckKeyword[]): string[] {
  return keywords.flatMap((entry) => [
    entry.keyword,
    ...entry.args,
    ...(entry.block === undefined ? [] : [...keywordLines(entry.block.keywords), entry.block.end]),
  ]);
}

/** The lines of an explicit basis-set list, without the closing `99 0`. */
export function basisLines(atoms: readonly BasisAtom[]): string[] {
  return atoms.flatMap((atom) => [
    `${atom.atomic_number} ${atom.shells.length}`,
    ...(atom.ecp ?? []),
    ...atom.shells.flatMap((shell) => [
      [shell.basis_type, shell.shell_type, shell.primitive_count].join(" ") +
      ` ${formatReal(shell.charge)} ${formatReal(shell.scale)}`,
      ...shell.primitives,
    ]),
  ]);
}

/** A real as CRYSTAL input: integers keep a decimal point (`2.0`), others print exactly. */
export function formatReal(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? value.toFixed(1) : String(value);
}
