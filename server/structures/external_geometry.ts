/**
 * Route B of docs/materials-workflows.md §2.2: the geometry as a `fort.34` for `EXTERNAL`, built
 * from the standardized conventional cell and its space group, written the way CRYSTAL 17 writes
 * one itself (EXTPRT): the primitive cell, one operator per distinct rotation (the group modulo
 * the primitive lattice), in Cartesian form, every atom of the primitive cell, and the group on the
 * last line. The symmetry is kept: CRYSTAL reads the operators instead of deriving them from a
 * space-group setting, so no origin choice or cell setting can be misread. Pure: no I/O.
 *
 * Conventions, and where each comes from:
 * - the cell is idealized to its crystal family, as Route A's minimal parameters make CRYSTAL do;
 * - orientation: b along y, a in the xy plane (CRYSTAL's own files: hexagonal troilite has
 *   a = (a·√3/2, −a/2, 0), b = (0, a, 0); for every other family this is a along x as well);
 * - primitive vectors per centring: d12_writer's PRIMITIVE (F and C measured on CRYSTAL's files);
 * - codes: centring 1 P (also for R and hexagonal), 2 A, 3 B, 4 C, 5 F, 6 I; crystal type as in
 *   CRYSTAL_TYPE. P, C, F and every crystal type appear in files CRYSTAL wrote; I is
 *   aiida-crystal17's reading; A, B and R are not measured: check them with TESTGEOM.
 * - atoms grouped by orbit, in the order the orbits first appear in the conventional cell, so
 *   that CRYSTAL's numbering of the atoms (irreducible atom by irreducible atom) is this order.
 *
 * @module
 */
import type { CellParameters } from "../model/cell.ts";
import { type Centring, PRIMITIVE } from "./d12_writer.ts";
import { type CartesianOperation, CRYSTAL_TYPE, type Fort34, type Matrix3 } from "./fort34.ts";
import type { Lattice, Vec3 } from "./structure.ts";
import type { CrystalSystem, SymmetryOperation } from "./symmetry.ts";

/** CRYSTAL's centring codes. */
const CENTRING_CODE: Record<Centring, number> = { P: 1, A: 2, B: 3, C: 4, F: 5, I: 6, R: 1 };

/** What Route B needs of a symmetry analysis. */
export interface ExternalSource {
  number: number;
  crystal_system: CrystalSystem;
  centring: Centring;
  /** The conventional cell's parameters (idealized here to the family). */
  lattice: CellParameters;
  /** The conventional cell's sites; `kind` tells apart sites of one element (spins). */
  sites: readonly { atomic_number: number; frac: readonly number[]; kind?: number }[];
}

/** A fort.34 and, for each atom written, the index of the conventional site it is. */
export interface ExternalGeometry {
  fort34: Fort34;
  /** `sites[i]` of the source for the i-th atom written. */
  site_of_atom: number[];
  /** The atoms written per orbit, in order (their sum is the atom count). */
  orbit_sizes: number[];
}

/** The cell parameters of a family: what Route A's minimal parameters tell CRYSTAL. */
export function idealCell(system: CrystalSystem, c: CellParameters): CellParameters {
  const right = { alpha: 90, beta: 90, gamma: 90 };
  switch (system) {
    case "cubic":
      return { a: c.a, b: c.a, c: c.a, ...right };
    case "tetragonal":
      return { a: c.a, b: c.a, c: c.c, ...right };
    case "trigonal":
    case "hexagonal":
      return { a: c.a, b: c.a, c: c.c, ...right, gamma: 120 };
    case "orthorhombic":
      return { a: c.a, b: c.b, c: c.c, ...right };
    case "monoclinic":
      return { a: c.a, b: c.b, c: c.c, ...right, beta: c.beta };
    case "triclinic":
      return { ...c };
  }
}

/** Cartesian rows a, b, c: b along y, a in the xy plane, right-handed. */
export function orientedCell(cell: CellParameters): Lattice {
  const rad = Math.PI / 180;
  const [ca, cb, cg] = [cell.alpha, cell.beta, cell.gamma].map((d) => Math.cos(d * rad));
  const sg = Math.sin(cell.gamma * rad);
  const cy = cell.c * ca!;
  const cx = (cell.c * cb! - cy * cg!) / sg;
  const cz = Math.sqrt(Math.max(0, cell.c * cell.c - cx * cx - cy * cy));
  return clean([[cell.a * sg, cell.a * cg!, 0], [0, cell.b, 0], [cx, cy, cz]]) as Lattice;
}

/**
 * The fort.34 of a structure in its group, or why it cannot be one: the operators must map the
 * primitive cell's atoms onto themselves within `tolerance` Å.
 */
export function externalGeometry(
  source: ExternalSource,
  operations: readonly SymmetryOperation[],
  tolerance: number,
): ExternalGeometry | { problem: string } {
  const conventional = orientedCell(idealCell(source.crystal_system, source.lattice));
  const primitive = clean(multiply(PRIMITIVE[source.centring], conventional)) as Lattice;
  const toPrimitive = invert(PRIMITIVE[source.centring]);
  // The primitive cell's sites: each conventional site, in primitive coordinates, once.
  const unique: { index: number; frac: number[] }[] = [];
  source.sites.forEach((site, index) => {
    const frac = wrap(rowTimes(site.frac, toPrimitive));
    const isCopy = unique.some((u) =>
      sameKind(source.sites[u.index]!, site) && distance(primitive, u.frac, frac) < tolerance
    );
    if (!isCopy) unique.push({ index, frac });
  });
  const cartesian = coset(operations, conventional, primitive);
  const fromCartesian = invert(primitive);
  const image = (op: CartesianOperation, frac: readonly number[]) => {
    const x = rowTimes(frac, primitive);
    const moved = op.rotation.map((r, i) =>
      r[0] * x[0]! + r[1] * x[1]! + r[2] * x[2]! + op.translation[i]!
    );
    return wrap(rowTimes(moved, fromCartesian));
  };
  const order: number[] = [];
  const sizes: number[] = [];
  const placed = new Set<number>();
  for (let u = 0; u < unique.length; u++) {
    if (placed.has(u)) continue;
    const orbit = new Set<number>([u]);
    for (const op of cartesian) {
      const moved = image(op, unique[u]!.frac);
      const hit = unique.findIndex((v) =>
        sameKind(source.sites[v.index]!, source.sites[unique[u]!.index]!) &&
        distance(primitive, v.frac, moved) < tolerance
      );
      if (hit < 0) {
        const site = source.sites[unique[u]!.index]!;
        return {
          problem:
            `an operator of group ${source.number} moves the atom (Z ${site.atomic_number}) ` +
            `at (${site.frac.map((x) => x.toFixed(4)).join(", ")}) onto no atom`,
        };
      }
      orbit.add(hit);
    }
    for (const member of [...orbit].sort((a, b) => a - b)) {
      if (placed.has(member)) {
        return { problem: `two orbits of group ${source.number} share an atom` };
      }
      placed.add(member);
      order.push(member);
    }
    sizes.push(orbit.size);
  }
  return {
    fort34: {
      dimensionality: 3,
      centring: CENTRING_CODE[source.centring],
      crystal_type: CRYSTAL_TYPE[source.crystal_system],
      note: "",
      lattice: primitive,
      operations: cartesian,
      atoms: order.map((u) => ({
        atomic_number: source.sites[unique[u]!.index]!.atomic_number,
        position: clean([rowTimes(unique[u]!.frac, primitive)])[0] as Vec3,
      })),
      space_group: { number: source.number, operations: cartesian.length },
    },
    site_of_atom: order.map((u) => unique[u]!.index),
    orbit_sizes: sizes,
  };
}

/**
 * The group modulo the primitive lattice, in Cartesian form: one operator per distinct rotation,
 * with the shortest translation among its lattice-equivalent ones (CRYSTAL's own files list the
 * identity first and, for greigite, (a/4, a/4, 0) rather than a longer equivalent).
 */
function coset(
  operations: readonly SymmetryOperation[],
  conventional: Lattice,
  primitive: Lattice,
): CartesianOperation[] {
  const lt = transpose(conventional);
  const ltInverse = invert(lt);
  const toPrimitive = invert(primitive);
  const kept = new Map<string, CartesianOperation>();
  for (const { rotation, translation } of operations) {
    const r = clean(multiply(multiply(lt, rotation), ltInverse)) as Matrix3;
    const f = rowTimes(rowTimes(translation, conventional), toPrimitive).map((x) =>
      x - Math.round(x)
    );
    const t = shortest(f, primitive);
    const key = r.flat().map((x) => x.toFixed(6)).join(",");
    const seen = kept.get(key);
    if (seen === undefined || length(t) < length(seen.translation) - 1e-9) {
      kept.set(key, { rotation: r, translation: t });
    }
  }
  return [...kept.values()];
}

/** The shortest Cartesian vector lattice-equivalent to primitive fractional `f`. */
function shortest(f: readonly number[], primitive: Lattice): Vec3 {
  let best: Vec3 = [Infinity, 0, 0];
  for (const i of [-1, 0, 1]) {
    for (const j of [-1, 0, 1]) {
      for (const k of [-1, 0, 1]) {
        const v = rowTimes([f[0]! + i, f[1]! + j, f[2]! + k], primitive);
        if (length(v) < length(best) - 1e-9) best = v as Vec3;
      }
    }
  }
  return clean([best])[0] as Vec3;
}

function sameKind(
  a: { atomic_number: number; kind?: number },
  b: { atomic_number: number; kind?: number },
): boolean {
  return a.atomic_number === b.atomic_number && (a.kind ?? 0) === (b.kind ?? 0);
}

function distance(lattice: Lattice, p: readonly number[], q: readonly number[]): number {
  return length(shortest(p.map((x, k) => x - q[k]!), lattice));
}

const length = (v: readonly number[]) => Math.hypot(v[0]!, v[1]!, v[2]!);

/** Wraps into [0, 1), a rounding error below 1 becoming 0. */
function wrap(f: readonly number[]): number[] {
  return f.map((x) => {
    const w = x - Math.floor(x);
    return w > 1 - 1e-10 ? 0 : w;
  });
}

/** Round-off below 1e-12 set to 0 and next to ±1 set to ±1, row by row. */
function clean(rows: readonly (readonly number[])[]): number[][] {
  return rows.map((row) =>
    row.map((x) => {
      if (Math.abs(x) < 1e-12) return 0;
      if (Math.abs(Math.abs(x) - 1) < 1e-12) return Math.sign(x);
      return x;
    })
  );
}

/** The row vector v times the matrix m. */
function rowTimes(v: readonly number[], m: readonly (readonly number[])[]): number[] {
  return [0, 1, 2].map((k) => v[0]! * m[0]![k]! + v[1]! * m[1]![k]! + v[2]! * m[2]![k]!);
}

function multiply(
  a: readonly (readonly number[])[],
  b: readonly (readonly number[])[],
): number[][] {
  return a.map((row) => rowTimes(row, b));
}

function transpose(m: readonly (readonly number[])[]): number[][] {
  return [0, 1, 2].map((i) => [m[0]![i]!, m[1]![i]!, m[2]![i]!]);
}

function invert(m: readonly (readonly number[])[]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m as number[][] as [number[], number[], number[]];
  const det = a! * (e! * i! - f! * h!) - b! * (d! * i! - f! * g!) + c! * (d! * h! - e! * g!);
  return [
    [(e! * i! - f! * h!) / det, (c! * h! - b! * i!) / det, (b! * f! - c! * e!) / det],
    [(f! * g! - d! * i!) / det, (a! * i! - c! * g!) / det, (c! * d! - a! * f!) / det],
    [(d! * h! - e! * g!) / det, (b! * g! - a! * h!) / det, (a! * e! - b! * d!) / det],
  ];
}
