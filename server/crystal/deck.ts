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
  basisLines,
  type Cursor,
  DeckSyntaxError,
  fail,
  failExpected,
  formatReal,
  GEOMETRY_RULES,
  HAMILTONIAN_RULES,
  integersOf,
  isDataLine,
  isTerminator,
  keywordLines,
  keywordOf,
  openCursor,
  peekLine,
  quote,
  readBasisAtoms,
  readSection,
  readTextArgument,
  realsOf,
  type SourceLine,
  takeDataLines,
  takeLine,
  toInteger,
  tokensOf,
  toNumber,
} from "./_deck_blocks.ts";

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
type LatticeName = keyof Lattice;
const LATTICE_ORDER: readonly LatticeName[] = ["a", "b", "c", "alpha", "beta", "gamma"];

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

const KINDS_TEXT = "CRYSTAL, SLAB, POLYMER, MOLECULE, EXTERNAL or DLVINPUT";
/** Space groups with an R lattice, given in the rhombohedral cell when IFHR is 1. */
const RHOMBOHEDRAL_GROUPS = new Set([146, 148, 155, 160, 161, 166, 167]);

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

function readGeometry(cursor: Cursor): Geometry {
  const line = takeLine(cursor);
  const kind = line === undefined ? "" : keywordOf(line);
  if (line === undefined || kind === "") {
    failExpected(line ?? cursor.endLine, `a geometry keyword (${KINDS_TEXT})`);
  }
  switch (kind) {
    case "CRYSTAL":
      return readCrystal(cursor);
    case "SLAB": {
      const group = readGroup(cursor, "layer group", 80);
      const lattice = readLattice(cursor, layerLattice(group), `layer group ${group}`);
      return { kind, layer_group: group, lattice, atoms: readAtoms(cursor) };
    }
    case "POLYMER": {
      const group = readGroup(cursor, "rod group", 75);
      const lattice = readLattice(cursor, ["a"], `rod group ${group}`);
      return { kind, rod_group: group, lattice, atoms: readAtoms(cursor) };
    }
    case "MOLECULE": {
      const group = readGroup(cursor, "point group", null);
      return { kind, point_group: group, atoms: readAtoms(cursor) };
    }
    case "EXTERNAL":
    case "DLVINPUT":
      return { kind };
  }
  return fail(line.number, `unknown geometry keyword ${quote(line)}: expected ${KINDS_TEXT}`);
}

function readCrystal(cursor: Cursor): CrystalGeometry {
  const flagLine = takeLine(cursor);
  const flags = integersOf(flagLine?.text, 3);
  if (flags === null) {
    failExpected(flagLine ?? cursor.endLine, "the symmetry flags IFLAG IFHR IFSO");
  }
  const [iflag = 0, ifhr = 0, ifso = 0] = flags;
  let originShift: number[] | null = null;
  if (ifso > 1) {
    const shiftLine = takeLine(cursor);
    originShift = integersOf(shiftLine?.text, 3);
    if (originShift === null) {
      failExpected(shiftLine ?? cursor.endLine, "the origin shift (IFSO > 1)");
    }
  }
  let spaceGroup: number | string;
  let names: LatticeName[];
  if (iflag === 1) {
    const symbolLine = takeLine(cursor);
    if (symbolLine === undefined) failExpected(cursor.endLine, "a space group symbol");
    spaceGroup = symbolLine.text;
    names = symbolLattice(symbolLine, ifhr);
  } else {
    spaceGroup = readGroup(cursor, "space group", 230);
    names = spaceGroupLattice(spaceGroup, ifhr);
  }
  const lattice = readLattice(cursor, names, `space group ${spaceGroup}`);
  return {
    kind: "CRYSTAL",
    flags: { iflag, ifhr, ifso },
    origin_shift: originShift,
    space_group: spaceGroup,
    lattice,
    atoms: readAtoms(cursor),
  };
}

function readGroup(cursor: Cursor, what: string, max: number | null): number {
  const line = takeLine(cursor);
  const tokens = line === undefined ? [] : tokensOf(line.text);
  const group = tokens.length === 1 ? toInteger(tokens[0]) : null;
  if (group === null) failExpected(line ?? cursor.endLine, `a ${what} number`);
  const range = max === null ? `a positive ${what} number` : `a ${what} number from 1 to ${max}`;
  if (group < 1 || (max !== null && group > max)) failExpected(line ?? cursor.endLine, range);
  return group;
}

function spaceGroupLattice(group: number, ifhr: number): LatticeName[] {
  if (group <= 2) return ["a", "b", "c", "alpha", "beta", "gamma"];
  if (group <= 15) return ["a", "b", "c", "beta"];
  if (group <= 74) return ["a", "b", "c"];
  if (RHOMBOHEDRAL_GROUPS.has(group) && ifhr === 1) return ["a", "alpha"];
  return group <= 194 ? ["a", "c"] : ["a"];
}

/** The crystal system of a Hermann-Mauguin symbol written with spaces (`P 21/C`, `F M -3 M`). */
function symbolLattice(line: SourceLine, ifhr: number): LatticeName[] {
  const [centring = "", ...axes] = tokensOf(line.text.toUpperCase());
  const [first = "", second = ""] = axes;
  if (axes.length === 0) {
    fail(
      line.number,
      `expected a space group symbol with spaces (as "P 21/C"), got ${quote(line)}`,
    );
  }
  if (/^-?3$/.test(second)) return ["a"];
  if (/^-?[36]/.test(first)) return centring === "R" && ifhr === 1 ? ["a", "alpha"] : ["a", "c"];
  if (/^-?4/.test(first)) return ["a", "c"];
  if (axes.every((axis) => /^-?1$/.test(axis))) return ["a", "b", "c", "alpha", "beta", "gamma"];
  if (axes.length === 1) return ["a", "b", "c", "beta"];
  const unique = axes.findIndex((axis) => axis !== "1");
  if (axes.length === 3 && axes.filter((axis) => axis === "1").length === 2) {
    return ["a", "b", "c", (["alpha", "beta", "gamma"] as const)[unique] ?? "beta"];
  }
  return ["a", "b", "c"];
}

function layerLattice(group: number): LatticeName[] {
  if (group <= 7) return ["a", "b", "gamma"];
  if (group <= 48) return ["a", "b"];
  return ["a"];
}

function readLattice(cursor: Cursor, names: LatticeName[], context: string): Lattice {
  const line = takeLine(cursor);
  const plural = names.length === 1 ? "" : "s";
  const want = `${names.length} lattice parameter${plural} (${names.join(" ")}) for ${context}`;
  if (line === undefined) failExpected(cursor.endLine, want);
  const tokens = tokensOf(line.text);
  const lattice: Lattice = { a: 0 };
  for (const [i, name] of names.entries()) {
    const token = tokens[i];
    if (token === undefined) failExpected(line, want);
    const value = toNumber(token);
    if (value === null) {
      fail(line.number, `expected lattice parameter ${name} as a number, got "${token}"`);
    }
    lattice[name] = value;
  }
  // Fortran would ignore extra values, but they usually mean a wrong crystal system.
  if (toNumber(tokens[names.length]) !== null) failExpected(line, want);
  return lattice;
}

function readAtoms(cursor: Cursor): Atom[] {
  const countLine = takeLine(cursor);
  const count = countLine === undefined ? null : toInteger(tokensOf(countLine.text)[0]);
  if (count === null || count < 1) failExpected(countLine ?? cursor.endLine, "the number of atoms");
  const atoms: Atom[] = [];
  for (let i = 1; i <= count; i++) {
    const line = takeLine(cursor);
    const [nat, ...coordinates] = line === undefined ? [] : tokensOf(line.text);
    const atomicNumber = toInteger(nat);
    const xyz = realsOf(coordinates.slice(0, 3).join(" "), 3);
    if (atomicNumber === null || xyz === null) {
      failExpected(line ?? cursor.endLine, `atom ${i} of ${count} as "NAT x y z"`);
    }
    const [x = 0, y = 0, z = 0] = xyz;
    atoms.push({ atomic_number: atomicNumber, x, y, z });
  }
  return atoms;
}

function geometryLines(geometry: Geometry): string[] {
  switch (geometry.kind) {
    case "CRYSTAL": {
      const { iflag, ifhr, ifso } = geometry.flags;
      const shift = geometry.origin_shift === null ? [] : [geometry.origin_shift.join(" ")];
      const group = String(geometry.space_group);
      return ["CRYSTAL", `${iflag} ${ifhr} ${ifso}`, ...shift, group, ...cellLines(geometry)];
    }
    case "SLAB":
      return ["SLAB", String(geometry.layer_group), ...cellLines(geometry)];
    case "POLYMER":
      return ["POLYMER", String(geometry.rod_group), ...cellLines(geometry)];
    case "MOLECULE":
      return ["MOLECULE", String(geometry.point_group), ...atomLines(geometry.atoms)];
    default:
      return [geometry.kind];
  }
}

function cellLines(geometry: { lattice: Lattice; atoms: Atom[] }): string[] {
  const values = LATTICE_ORDER.flatMap((name) => {
    const value = geometry.lattice[name];
    return value === undefined ? [] : [formatReal(value)];
  });
  return [values.join(" "), ...atomLines(geometry.atoms)];
}

function atomLines(atoms: readonly Atom[]): string[] {
  return [
    String(atoms.length),
    ...atoms.map((atom) =>
      [atom.atomic_number, ...[atom.x, atom.y, atom.z].map(formatReal)].join(" ")
    ),
  ];
}

/** Keywords a `.d3` deck may use at top level (CRYSTAL properties). */
const PROPERTIES_KEYWORDS = new Set((
  "ADFT ANBD ANISOTRO ATOMIRR BAND BIDIERD BOLTZTRA BWIDTH CHARGE CLAS COMMENS CRYAPI_OUT DIEL " +
  "DOSS ECH3 ECHG EDFT EMDL EMDLDM EMDP FMWF INFOGUI ISO KINETEMD LOCALWF MAXNEIGHB NEWK " +
  "NOSYMADA PATO PBAN PDIDE PGEOMW POLI POT3 POTC POTM PPAN PROF RDFMWF RHOLINE SETINF " +
  "SPOLBP SPOLWF STOP SYMADAPT TOPO XFAC"
).split(" "));
/** Options of a 2D map (ECHG, POTM ...), closed by their own END. */
const MAP_OPTIONS = new Set("ANGSTROM BOHR COORDINA FRACTION MARGINS PRINT RECTANGU".split(" "));

/**
 * Checks a `.d3` properties deck: known keywords, BAND's title and segments, map options closed
 * by END, and the closing END (CRYSTAL ignores anything after it).
 *
 * @throws {DeckSyntaxError} when the deck is malformed.
 */
export function parsePropertiesDeck(text: string): PropertiesDeck {
  if (text.trim() === "") fail(1, "the properties deck is empty");
  const cursor = openCursor(text.split(/\r?\n/), 0);
  const keywords: string[] = [];
  for (;;) {
    const line = takeLine(cursor);
    if (line === undefined) failExpected(cursor.endLine, "END to close the properties deck");
    if (isTerminator(line)) return { keywords };
    const name = keywordOf(line);
    if (name === "") failExpected(line, "a properties keyword");
    if (!PROPERTIES_KEYWORDS.has(name)) {
      fail(line.number, `unknown properties keyword ${quote(line)}`);
    }
    if (name === "BAND") readBand(cursor);
    takeDataLines(cursor);
    const option = peekLine(cursor);
    if (option !== undefined && MAP_OPTIONS.has(keywordOf(option))) readMapOptions(cursor, line);
    keywords.push(name);
  }
}

function readBand(cursor: Cursor): void {
  const title = takeLine(cursor);
  if (title === undefined) failExpected(cursor.endLine, "a title after BAND");
  const header = takeLine(cursor);
  const values = integersOf(header?.text, 7);
  if (values === null) {
    failExpected(header ?? cursor.endLine, "NLINE ISS NSUB INZB IFNB IPLO LPR after BAND");
  }
  const [lineCount = 0, iss = 0] = values;
  for (let i = 1; i <= lineCount; i++) {
    const segment = takeLine(cursor);
    const isValid = segment !== undefined &&
      (iss > 0 ? integersOf(segment.text, 6) !== null : tokensOf(segment.text).length >= 2);
    const shape = iss > 0 ? "6 integers" : "2 point labels";
    if (!isValid) {
      failExpected(segment ?? cursor.endLine, `BAND segment ${i} of ${lineCount} as ${shape}`);
    }
  }
}

function readMapOptions(cursor: Cursor, opener: SourceLine): void {
  const what = `END to close the map options of ${keywordOf(opener)} on line ${opener.number}`;
  for (;;) {
    const line = takeLine(cursor);
    if (line !== undefined && isTerminator(line)) return;
    if (line === undefined || (!isDataLine(line) && !MAP_OPTIONS.has(keywordOf(line)))) {
      failExpected(line ?? cursor.endLine, what);
    }
  }
}
