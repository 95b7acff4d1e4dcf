/**
 * The keyword sections of a `.d12` deck: the keyword tables of blocks 1, 2 and 3, and the readers
 * (and writer) for keyword sections with their nested END blocks. Private to `server/crystal/`.
 *
 * @module
 */
import {
  type Cursor,
  fail,
  failExpected,
  integersOf,
  isTerminator,
  keywordOf,
  peekLine,
  quote,
  realsOf,
  type SourceLine,
  takeDataLines,
  takeLine,
  tokensOf,
} from "./_deck_lines.ts";
import type { DeckKeyword } from "./deck.ts";

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
  if (name === "ATOMSPIN") checkAtomSpins(cursor, values[0]!, args);
  if (name === "SHRINK" && values[0] === 0 && integersOf(second?.text, 3) === null) {
    failExpected(
      second ?? peekLine(cursor) ?? cursor.endLine,
      "IS1 IS2 IS3 after SHRINK with IS 0",
    );
  }
}

/**
 * ATOMSPIN's count, then that many `atom spin` pairs: an atom number from 1 and a spin of 1 (α),
 * −1 (β) or 0 (fixture nio_sto3g_afm_scf_maxcyc.d12: `2` / `1 1` / `2 -1`).
 */
function checkAtomSpins(cursor: Cursor, count: number, args: readonly SourceLine[]): void {
  const values = args.flatMap((arg) => tokensOf(arg.text)).slice(1);
  const where = args.at(-1) ?? peekLine(cursor) ?? cursor.endLine;
  if (count < 0 || values.length !== 2 * count) {
    failExpected(where, `${count} atom-spin pairs after ATOMSPIN ${count}`);
  }
  for (let i = 0; i < values.length; i += 2) {
    const [atom, spin] = [integersOf(values[i], 1)?.[0], integersOf(values[i + 1], 1)?.[0]];
    if (atom === undefined || atom < 1 || spin === undefined || Math.abs(spin) > 1) {
      failExpected(where, "ATOMSPIN pairs of an atom number (from 1) and a spin of 1, -1 or 0");
    }
  }
}

/** The lines of keywords and their sub-blocks, as `readSection` reads them back. */
export function keywordLines(keywords: readonly DeckKeyword[]): string[] {
  return keywords.flatMap((entry) => [
    entry.keyword,
    ...entry.args,
    ...(entry.block === undefined ? [] : [...keywordLines(entry.block.keywords), entry.block.end]),
  ]);
}
