/**
 * The `fort.34` geometry file that CRYSTAL reads with `EXTERNAL` and writes with `EXTPRT` (and
 * after an optimisation): a reader and a writer, and the expansion of its atoms by its
 * operators. Pure: no I/O, no symmetry library.
 *
 * The layout (../shared/docs/crystal-domain.md §5, fixture nio_sto3g_afm_scf_maxcyc.gui):
 *
 * ```text
 * dim centring crystal_type [anything CRYSTAL adds after a run, such as "E … DE …"]
 * a_x a_y a_z            ← three lattice rows, Å: the primitive cell
 * b_x b_y b_z
 * c_x c_y c_z
 * n                      ← symmetry operators, then 4 rows each:
 * r11 r12 r13            ←   the rotation's rows, Cartesian: x' = R x + t
 * r21 r22 r23
 * r31 r32 r33
 * t_x t_y t_z            ←   the translation, Cartesian, Å
 * natoms
 * Z x y z                ← conventional atomic number (Z + 200 for an ECP atom), Cartesian Å
 * spacegroup n           ← optional ("0 0" from EXTPRT without symmetry)
 * ```
 *
 * That a row of the file is a row of R acting on column vectors was measured on files CRYSTAL 17
 * wrote itself (EXTPRT after TESTGEOM, published with aiida-crystal17's tests): for greigite
 * (Fd-3m) and pyrite (Pa-3), whose operators include rotations that are not symmetric matrices
 * paired with non-zero translations, `R x + t` maps the atoms onto themselves and `xR + t` does
 * not. The fixture here cannot tell the two apart: its group's rotations are all paired with a
 * zero translation.
 *
 * @module
 */
import type { Lattice, Vec3 } from "./structure.ts";

/** A 3×3 matrix, by rows. */
export type Matrix3 = [Vec3, Vec3, Vec3];

/** One operator: x' = rotation · x + translation, Cartesian, Å. */
export interface CartesianOperation {
  rotation: Matrix3;
  translation: Vec3;
}

/** The contents of a fort.34 file. */
export interface Fort34 {
  /** 3 for a crystal (2 slab, 1 polymer, 0 molecule). */
  dimensionality: number;
  /** CRYSTAL's centring code: 1 P (hexagonal and rhombohedral too), 4 C, 5 F, 6 I. */
  centring: number;
  /** CRYSTAL's crystal type: 1 triclinic … 6 cubic (see CRYSTAL_TYPE). */
  crystal_type: number;
  /** What follows the three codes on the first line, as written ("E -3.12E+03 DE …"), or "". */
  note: string;
  /** The rows a, b, c of the cell, in Å. */
  lattice: Lattice;
  operations: CartesianOperation[];
  /** The atoms, Cartesian Å; `atomic_number` is CRYSTAL's NAT (Z, or Z + 200 with an ECP). */
  atoms: { atomic_number: number; position: Vec3 }[];
  /** The last line: the space-group number and the operator count, or null when absent. */
  space_group: { number: number; operations: number } | null;
}

/** CRYSTAL's crystal-type code of each crystal system (trigonal shares the hexagonal 5). */
export const CRYSTAL_TYPE = {
  triclinic: 1,
  monoclinic: 2,
  orthorhombic: 3,
  tetragonal: 4,
  trigonal: 5,
  hexagonal: 5,
  cubic: 6,
} as const;

/** A fort.34 that cannot be read: `line` is 1-based. */
export class Fort34SyntaxError extends SyntaxError {
  override name = "Fort34SyntaxError";
  readonly line: number;
  readonly reason: string;

  constructor(line: number, reason: string) {
    super(`fort.34 line ${line}: ${reason}`);
    this.line = line;
    this.reason = reason;
  }
}

/** The most operators a 3D space group has per primitive cell. */
const MAX_OPERATIONS = 48;
/** The most atoms a file may list (far above what CRYSTAL runs). */
const MAX_ATOMS = 100_000;

/**
 * Reads a fort.34 file.
 * @throws {Fort34SyntaxError} naming the line and what is wrong
 */
export function readFort34(text: string): Fort34 {
  const lines = text.split(/\r?\n/).map((t, i) => ({ number: i + 1, text: t.trim() }))
    .filter((l) => l.text !== "");
  let at = 0;
  const next = (what: string) => {
    const line = lines[at++];
    if (line === undefined) {
      throw new Fort34SyntaxError((lines.at(-1)?.number ?? 0) + 1, `expected ${what}, got the end`);
    }
    return line;
  };
  const numbers = (what: string, count: number, isInteger: boolean) => {
    const line = next(what);
    const tokens = line.text.split(/\s+/);
    const values = tokens.slice(0, count).map(fortranNumber);
    const ok = tokens.length >= count &&
      values.every((v) => Number.isFinite(v) && (!isInteger || Number.isInteger(v)));
    if (!ok) throw new Fort34SyntaxError(line.number, `expected ${what}, got "${line.text}"`);
    return { values, rest: tokens.slice(count).join(" "), line };
  };
  const head = numbers("3 integers (dimensionality, centring, crystal type)", 3, true);
  const [dimensionality, centring, crystalType] = head.values as [number, number, number];
  if (dimensionality < 0 || dimensionality > 3) {
    throw new Fort34SyntaxError(head.line.number, `dimensionality ${dimensionality} is not 0-3`);
  }
  const vector = (what: string) => numbers(`3 numbers (${what})`, 3, false).values as Vec3;
  const lattice = [vector("a"), vector("b"), vector("c")] as Lattice;
  const count = (what: string, max: number) => {
    const { values, line } = numbers(`the number of ${what}`, 1, true);
    const n = values[0]!;
    if (n < 1 || n > max) {
      throw new Fort34SyntaxError(line.number, `${n} ${what}: expected 1 to ${max}`);
    }
    return n;
  };
  const operations: CartesianOperation[] = [];
  for (let i = count("symmetry operators", MAX_OPERATIONS); i > 0; i--) {
    const rotation = [vector("a rotation row"), vector("a rotation row"), vector("a rotation row")];
    operations.push({ rotation: rotation as Matrix3, translation: vector("a translation") });
  }
  const atoms: Fort34["atoms"] = [];
  for (let i = count("atoms", MAX_ATOMS); i > 0; i--) {
    const { values } = numbers("an atom (Z x y z)", 4, false);
    const [z, x, y, w] = values as [number, number, number, number];
    if (!Number.isInteger(z) || z < 1) {
      throw new Fort34SyntaxError(lines[at - 1]!.number, `atomic number "${z}" is not positive`);
    }
    atoms.push({ atomic_number: z, position: [x, y, w] });
  }
  let spaceGroup: Fort34["space_group"] = null;
  if (at < lines.length) {
    const [number, ops] = numbers("the space group and operator count", 2, true).values;
    spaceGroup = { number: number!, operations: ops! };
  }
  if (at < lines.length) {
    throw new Fort34SyntaxError(lines[at]!.number, `unexpected text "${lines[at]!.text}"`);
  }
  return {
    dimensionality,
    centring,
    crystal_type: crystalType,
    note: head.rest,
    lattice,
    operations,
    atoms,
    space_group: spaceGroup,
  };
}

/** Writes a fort.34 file that `readFort34` reads back to the same contents. */
export function writeFort34(file: Fort34): string {
  const row = (v: readonly number[]) => v.map(sci).join("");
  const lines = [
    [file.dimensionality, file.centring, file.crystal_type].map((n) => pad(n, 4)).join("") +
    (file.note === "" ? "" : ` ${file.note}`),
    ...file.lattice.map(row),
    pad(file.operations.length, 5),
    ...file.operations.flatMap((op) => [...op.rotation.map(row), row(op.translation)]),
    pad(file.atoms.length, 5),
    ...file.atoms.map((atom) => pad(atom.atomic_number, 5) + atom.position.map(sci).join("")),
  ];
  if (file.space_group !== null) {
    lines.push(pad(file.space_group.number, 5) + pad(file.space_group.operations, 5));
  }
  return lines.join("\n") + "\n";
}

/**
 * Every atom the operators make of the listed ones, in the file's own cell, duplicates (closer
 * than `tolerance` Å) merged: what CRYSTAL generates from a fort.34.
 */
export function expandFort34(
  file: Pick<Fort34, "lattice" | "operations" | "atoms">,
  tolerance = 1e-4,
): { atomic_number: number; position: Vec3 }[] {
  const inverse = invertRows(file.lattice);
  const frac = (x: readonly number[]) =>
    [0, 1, 2].map((k) =>
      x[0]! * inverse[0]![k]! + x[1]! * inverse[1]![k]! + x[2]! * inverse[2]![k]!
    );
  const out: { atomic_number: number; position: Vec3; frac: number[] }[] = [];
  for (const atom of file.atoms) {
    for (const { rotation: r, translation: t } of file.operations) {
      const moved = [0, 1, 2].map((i) =>
        r[i]![0]! * atom.position[0] + r[i]![1]! * atom.position[1] + r[i]![2]! * atom.position[2] +
        t[i]!
      ) as Vec3;
      const f = frac(moved).map((x) => x - Math.floor(x));
      const isKnown = out.some((o) =>
        o.atomic_number === atom.atomic_number &&
        cartesianLength(file.lattice, o.frac.map((x, k) => nearestZero(x - f[k]!))) < tolerance
      );
      if (!isKnown) out.push({ atomic_number: atom.atomic_number, position: moved, frac: f });
    }
  }
  return out.map(({ atomic_number, position }) => ({ atomic_number, position }));
}

/** A Fortran real: `1.5`, `-3.1E+03`, `2.0D-1`. */
function fortranNumber(token: string): number {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([EeDd][+-]?\d+)?$/.test(token)) return NaN;
  return Number(token.replace(/[Dd]/, "E"));
}

const pad = (n: number, width: number) => String(n).padStart(width);

/**
 * A real in E format with the fewest digits that read back to the same double
 * ("3.07336674706E+00", "-1E+00", "0E+00"): a Fortran list-directed read takes it, and a file read
 * and written again is unchanged.
 */
function sci(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`Cannot write ${value} in a fort.34`);
  const [mantissa, exponent] = (value === 0 ? 0 : value).toExponential().split("e") as [
    string,
    string,
  ];
  const e = Number(exponent);
  return `${mantissa}E${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`.padStart(24);
}

function nearestZero(x: number): number {
  return x - Math.round(x);
}

function cartesianLength(lattice: Lattice, frac: readonly number[]): number {
  const v = [0, 1, 2].map((k) =>
    frac[0]! * lattice[0][k]! + frac[1]! * lattice[1][k]! + frac[2]! * lattice[2][k]!
  );
  return Math.hypot(v[0]!, v[1]!, v[2]!);
}

/** L⁻¹ for a matrix of lattice rows, so that frac = cart · L⁻¹. */
function invertRows([[a, b, c], [d, e, f], [g, h, i]]: Lattice): number[][] {
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (!(Math.abs(det) > 1e-12)) throw new RangeError("The fort.34 lattice vectors are coplanar");
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}
