/**
 * The geometry record of a `.d12` deck (CRYSTAL, SLAB, POLYMER, MOLECULE, EXTERNAL, DLVINPUT):
 * symmetry groups, the lattice parameters each crystal system needs, and the atoms, read and
 * written back. Private to `server/crystal/`.
 *
 * @module
 */
import {
  type Cursor,
  fail,
  failExpected,
  formatReal,
  integersOf,
  keywordOf,
  quote,
  realsOf,
  type SourceLine,
  takeLine,
  toInteger,
  tokensOf,
  toNumber,
} from "./_deck_lines.ts";
import type { Atom, CrystalGeometry, Geometry, Lattice } from "./deck.ts";

type LatticeName = keyof Lattice;
const LATTICE_ORDER: readonly LatticeName[] = ["a", "b", "c", "alpha", "beta", "gamma"];

const KINDS_TEXT = "CRYSTAL, SLAB, POLYMER, MOLECULE, EXTERNAL or DLVINPUT";
/** Space groups with an R lattice, given in the rhombohedral cell when IFHR is 1. */
export const RHOMBOHEDRAL_GROUPS = new Set([146, 148, 155, 160, 161, 166, 167]);

/** Reads the geometry keyword after the title and the records it takes. */
export function readGeometry(cursor: Cursor): Geometry {
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

/** The lines of a geometry record, as `readGeometry` reads them back. */
export function geometryLines(geometry: Geometry): string[] {
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
