/**
 * Reads and writes CRYSTAL `.d12` decks (title, geometry block, basis set, Hamiltonian) as plain
 * JSON-able objects, and checks `.d3` properties decks, following
 * `../shared/docs/crystal-domain.md` §2 and §3. It is pure: no I/O.
 *
 * A deck that cannot be read throws a `DeckSyntaxError` naming the 1-based line and what is wrong.
 * `writeDeck` reproduces every keyword, argument line and block terminator that `parseDeck` keeps,
 * so `parseDeck(writeDeck(deck))` deep-equals `deck`.
 *
 * @module
 */
import {
  BASIS_RULES,
  GEOMETRY_RULES,
  HAMILTONIAN_RULES,
  keywordLines,
  readSection,
  readTextArgument,
} from "./_deck_blocks.ts";
import { basisLines, readBasisAtoms } from "./_deck_basis.ts";
import { geometryLines, readGeometry } from "./_deck_geometry.ts";
import {
  DeckSyntaxError,
  fail,
  isTerminator,
  keywordOf,
  openCursor,
  peekLine,
  quote,
  takeLine,
  toInteger,
  tokensOf,
} from "./_deck_lines.ts";
import { readPropertiesKeywords } from "./_deck_properties.ts";

export { DeckSyntaxError };

/** CRYSTAL's SCF cycle limit without MAXCYCLE (printed as `MAX NUMBER OF SCF CYCLES 50`). */
export const DEFAULT_MAX_SCF_CYCLES = 50;
/** CRYSTAL's OPTGEOM step limit without MAXCYCLE in the OPTGEOM block (manual default). */
export const DEFAULT_MAX_OPT_CYCLES = 100;

/** A keyword line, the argument lines after it (trimmed, as written) and the sub-block it opens. */
export type DeckKeyword = { keyword: string; args: string[]; block?: DeckBlock };
/** The keywords inside OPTGEOM, FREQCALC, DFT ... and the line that closes them (END, ENDOPT ...). */
export type DeckBlock = { keywords: DeckKeyword[]; end: string };

/** An atom record: the conventional atomic number NAT as written (Z = NAT % 100) and x y z. */
export type Atom = { atomic_number: number; x: number; y: number; z: number };
/** Lattice parameters as given: only those the crystal system needs (Angstrom, degrees). */
export type Lattice = {
  a: number;
  b?: number;
  c?: number;
  alpha?: number;
  beta?: number;
  gamma?: number;
};

/** `CRYSTAL` (3D): the IFLAG IFHR IFSO line, space group (number, or symbol when IFLAG is 1). */
export type CrystalGeometry = {
  kind: "CRYSTAL";
  flags: { iflag: number; ifhr: number; ifso: number };
  /** The origin shift line (in 24ths) that follows when IFSO > 1. */
  origin_shift: number[] | null;
  space_group: number | string;
  lattice: Lattice;
  atoms: Atom[];
};
/** `SLAB` (2D): layer group 1-80; x, y fractional and z in Angstrom. */
export type SlabGeometry = { kind: "SLAB"; layer_group: number; lattice: Lattice; atoms: Atom[] };
/** `POLYMER` (1D): rod group 1-75 and a; x fractional, y and z in Angstrom. */
export type PolymerGeometry = {
  kind: "POLYMER";
  rod_group: number;
  lattice: Lattice;
  atoms: Atom[];
};
/** `MOLECULE` (0D): point group and atoms in Angstrom. */
export type MoleculeGeometry = { kind: "MOLECULE"; point_group: number; atoms: Atom[] };
/** `EXTERNAL` (from fort.34) or `DLVINPUT`: the geometry is read from a file. */
export type ExternalGeometry = { kind: "EXTERNAL" | "DLVINPUT" };
/** The geometry record that follows the title. */
export type Geometry =
  | CrystalGeometry
  | SlabGeometry
  | PolymerGeometry
  | MoleculeGeometry
  | ExternalGeometry;

/** One shell `ITYB LAT NG CHE SCAL`, with its NG primitive lines when ITYB is 0. */
export type BasisShell = {
  /** ITYB: 0 primitives follow, 1 STO-nG, 2 3(6)-21G. */
  basis_type: number;
  /** LAT: 0 s, 1 sp, 2 p, 3 d, 4 f. */
  shell_type: number;
  /** NG: the number of primitives. */
  primitive_count: number;
  /** CHE: the electrons assigned to the shell. */
  charge: number;
  /** SCAL: the scale factor. */
  scale: number;
  /** `exponent coefficient [p coefficient]` lines as written, when basis_type is 0. */
  primitives: string[];
};
/** The basis of one atom type `NAT NSHELL`; `ecp` holds the pseudopotential lines when NAT > 200. */
export type BasisAtom = { atomic_number: number; ecp: string[] | null; shells: BasisShell[] };
/** `BASISSET` with a library name, or the explicit list ending `99 0` and its block's keywords. */
export type Basis =
  | { kind: "builtin"; name: string }
  | { kind: "explicit"; atoms: BasisAtom[]; keywords: DeckKeyword[] };

/** A parsed `.d12` deck. Keys are snake_case; it is plain JSON. */
export type Deck = {
  title: string;
  geometry: Geometry;
  /** Keywords after the atoms in block 1 (SUPERCEL, OPTGEOM ... END, FREQCALC ... END ...). */
  geometry_keywords: DeckKeyword[];
  basis: Basis;
  /** Block 3 in order: DFT ... END, SHRINK, TOLINTEG, TOLDEE, MAXCYCLE, FMIXING, UHF ... */
  hamiltonian: DeckKeyword[];
  /** The lines closing blocks 1, 2 and 3 as written; null where the deck has none (BASISSET). */
  terminators: { geometry: string | null; basis: string | null; hamiltonian: string };
  /** MAXCYCLE of the SCF, or null for DEFAULT_MAX_SCF_CYCLES. */
  max_scf_cycles: number | null;
  /** The OPTGEOM block with its MAXCYCLE (null for DEFAULT_MAX_OPT_CYCLES), or null without one. */
  optgeom: { max_cycles: number | null } | null;
  freqcalc: boolean;
};

/** The outcome of `validateDeck`: the deck, or where and why it cannot be read. */
export type DeckValidation =
  | { ok: true; deck: Deck }
  | { ok: false; line: number; reason: string; message: string };

/** A checked `.d3` deck: its top-level keywords, upper case, up to the closing END. */
export type PropertiesDeck = { keywords: string[] };

/**
 * Parses a `.d12` deck.
 *
 * @throws {DeckSyntaxError} when the deck is malformed, naming the line and what is wrong.
 */
export function parseDeck(text: string): Deck {
  const raw = text.split(/\r?\n/);
  if (text.trim() === "") fail(1, "the deck is empty");
  const cursor = openCursor(raw, 1);
  const geometry = readGeometry(cursor);
  const block1 = readSection(cursor, GEOMETRY_RULES);
  // BASISSET either takes the place of the geometry END or follows it; no block 2 comes after.
  const isBasisSetForEnd = keywordOf(block1.end) === "BASISSET";
  const next = peekLine(cursor);
  const geometryEnd = isBasisSetForEnd ? null : block1.end.text;
  let basis: Basis;
  let basisEnd: string | null = null;
  if (isBasisSetForEnd || (next !== undefined && keywordOf(next) === "BASISSET")) {
    if (!isBasisSetForEnd) takeLine(cursor);
    basis = {
      kind: "builtin",
      name: readTextArgument(cursor, "BASISSET").text,
    };
  } else {
    const atoms = readBasisAtoms(cursor);
    const block2 = readSection(cursor, BASIS_RULES);
    basis = { kind: "explicit", atoms, keywords: block2.keywords };
    basisEnd = block2.end.text;
  }
  const block3 = readSection(cursor, HAMILTONIAN_RULES);
  // CRYSTAL stops reading at the final END. Spare END lines are harmless; anything else is
  // probably a block closed too early, so it is refused rather than silently ignored.
  const extra = cursor.lines.slice(cursor.index).find((line) => !isTerminator(line));
  if (extra !== undefined) {
    fail(extra.number, `unexpected text after the final END: ${quote(extra)}`);
  }
  const optgeom = findKeyword(block1.keywords, "OPTGEOM");
  return {
    title: (raw[0] ?? "").trim(),
    geometry,
    geometry_keywords: block1.keywords,
    basis,
    hamiltonian: block3.keywords,
    terminators: { geometry: geometryEnd, basis: basisEnd, hamiltonian: block3.end.text },
    max_scf_cycles: firstInteger(findKeyword(block3.keywords, "MAXCYCLE")),
    optgeom: optgeom === undefined ? null : {
      max_cycles: firstInteger(findKeyword(optgeom.block?.keywords ?? [], "MAXCYCLE")),
    },
    freqcalc: findKeyword(block1.keywords, "FREQCALC") !== undefined,
  };
}

/** Writes a deck as `.d12` text that `parseDeck` reads back to the same deck. */
export function writeDeck(deck: Deck): string {
  const { terminators } = deck;
  const lines = [
    deck.title,
    ...geometryLines(deck.geometry),
    ...keywordLines(deck.geometry_keywords),
  ];
  if (deck.basis.kind === "builtin") {
    if (terminators.geometry !== null) lines.push(terminators.geometry);
    lines.push("BASISSET", deck.basis.name);
  } else {
    lines.push(terminators.geometry ?? "END", ...basisLines(deck.basis.atoms), "99 0");
    lines.push(...keywordLines(deck.basis.keywords), terminators.basis ?? "END");
  }
  lines.push(...keywordLines(deck.hamiltonian), terminators.hamiltonian);
  return lines.join("\n") + "\n";
}

/** Parses a deck for `jobs.submit`: the deck, or the line and reason it cannot be read. */
export function validateDeck(text: string): DeckValidation {
  try {
    return { ok: true, deck: parseDeck(text) };
  } catch (error) {
    if (!(error instanceof DeckSyntaxError)) throw error;
    return { ok: false, line: error.line, reason: error.reason, message: error.message };
  }
}

/** The last occurrence of a keyword (the one CRYSTAL applies), compared case-insensitively. */
export function findKeyword(
  keywords: readonly DeckKeyword[],
  name: string,
): DeckKeyword | undefined {
  return keywords.findLast((entry) => entry.keyword.toUpperCase() === name.toUpperCase());
}

function firstInteger(entry: DeckKeyword | undefined): number | null {
  return toInteger(tokensOf(entry?.args[0] ?? "")[0]);
}

/**
 * Checks a `.d3` properties deck: known keywords, BAND's title and segments, map options closed
 * by END, and the closing END (CRYSTAL ignores anything after it).
 *
 * @throws {DeckSyntaxError} when the deck is malformed.
 */
export function parsePropertiesDeck(text: string): PropertiesDeck {
  if (text.trim() === "") fail(1, "the properties deck is empty");
  const cursor = openCursor(text.split(/\r?\n/), 0);
  return { keywords: readPropertiesKeywords(cursor) };
}
