/**
 * A reader for VASP 5 POSCAR and CONTCAR files: title, scale, three lattice vectors, the element
 * symbols, the counts, optional `Selective dynamics`, `Direct` or `Cartesian`, then one position
 * per atom. What follows the positions (velocities, predictor-corrector data) is ignored. Pure: no
 * I/O.
 *
 * @module
 */
import { elementFromSymbol } from "./elements.ts";
import type { Lattice, Site, Structure, Vec3 } from "./structure.ts";
import { fractionalFromCartesian, latticeDeterminant, wrapFractional } from "./structure.ts";

/**
 * Reads a VASP 5 POSCAR or CONTCAR. The scale is one positive factor, one negative number (the
 * cell volume in Å³ that the lattice is scaled to), or three positive factors for x, y and z; it
 * applies to Cartesian positions as well as to the lattice.
 *
 * @throws {SyntaxError} naming the line, when the text is not such a file; VASP 4 files (no
 * element line) are refused with a message saying to add one.
 */
export function parsePoscar(text: string): Structure {
  const lines = text.split(/\r\n|\r|\n/);
  while (lines.length > 1 && lines.at(-1)!.trim() === "") lines.pop();
  const fail = (index: number, message: string): never => {
    throw new SyntaxError(`POSCAR line ${index + 1}: ${message}`);
  };
  const words = (index: number, what: string) => {
    const line = lines[index] ?? fail(index, `expected ${what}, found the end of the file`);
    return line.trim().split(/\s+/).filter((word) => word !== "");
  };
  const numbers = (index: number, what: string) => {
    const values = words(index, what).slice(0, 3).map(Number);
    if (values.length < 3 || !values.every(Number.isFinite)) fail(index, `expected ${what}`);
    return values as Vec3;
  };

  const scale = readScale(words(1, "the scale factor"), (message) => fail(1, message));
  const raw = [2, 3, 4].map((i, k) => numbers(i, `three numbers for lattice vector ${"abc"[k]}`));
  const [rawA, rawB, rawC] = raw as [Vec3, Vec3, Vec3];
  const rawDeterminant = latticeDeterminant([rawA, rawB, rawC]);
  if (!(Math.abs(rawDeterminant) > 1e-8)) fail(2, "expected lattice vectors that span a volume");
  // A negative scale is the target volume: the factor that gives it, on all three axes.
  const factors: Vec3 = scale.length === 3 ? scale : Array(3).fill(
    scale[0] > 0 ? scale[0] : Math.cbrt(-scale[0] / Math.abs(rawDeterminant)),
  ) as Vec3;
  const scaled = (v: Vec3): Vec3 => [v[0] * factors[0], v[1] * factors[1], v[2] * factors[2]];
  const lattice: Lattice = [scaled(rawA), scaled(rawB), scaled(rawC)];

  const symbols = words(5, "the element symbols");
  if (symbols.length === 0 || symbols.every((word) => /^\d+$/.test(word))) {
    fail(
      5,
      "expected the element symbols (VASP 5): this looks like a VASP 4 file, add a line " +
        'with the element symbols (such as "Mg O") between the lattice vectors and the counts',
    );
  }
  const elements = symbols.map((symbol) =>
    elementFromSymbol(symbol) ?? fail(5, `expected an element symbol, found "${symbol}"`)
  );
  const counts = words(6, "the number of atoms of each element").map(Number);
  if (counts.length !== elements.length || !counts.every((n) => Number.isInteger(n) && n > 0)) {
    fail(6, `expected ${elements.length} positive whole numbers of atoms, one per element symbol`);
  }

  let index = 7;
  const isSelective = /^s/i.test(words(index, "the coordinate mode")[0] ?? "");
  if (isSelective) index++;
  const mode = words(index, "Direct or Cartesian")[0] ?? "";
  const isCartesian = /^[ck]/i.test(mode);
  if (!isCartesian && !/^d/i.test(mode)) {
    fail(index, `expected Direct or Cartesian, found "${mode}"`);
  }
  index++;

  const sites: Site[] = [];
  let fixed = 0;
  elements.forEach((element, e) => {
    for (let n = 0; n < counts[e]!; n++, index++) {
      const what = `the position of ${element} atom ${n + 1}`;
      const position = numbers(index, what);
      if (isSelective) {
        const flags = words(index, what).slice(3, 6);
        if (flags.length < 3 || !flags.every((f) => /^[TF]$/i.test(f))) {
          fail(index, "expected three T or F selective dynamics flags after the position");
        }
        if (flags.some((f) => /^f$/i.test(f))) fixed++;
      }
      const frac = isCartesian ? fractionalFromCartesian(lattice, scaled(position)) : position;
      sites.push({ element, frac: wrapFractional(frac), occupancy: 1 });
    }
  });

  const warnings = fixed === 0 ? [] : [
    `Selective dynamics flags are not kept: ${fixed} of ${sites.length} atoms had fixed coordinates`,
  ];
  const title = lines[0]!.trim();
  const structure: Structure = { lattice, sites, source: "poscar", problems: [], warnings };
  if (title !== "") structure.title = title;
  return structure;
}

/** The scale line: one number, not zero, or three positive ones. */
function readScale(words: string[], fail: (message: string) => never): [number] | Vec3 {
  const leading = words.slice(0, 3).map(Number);
  const count = leading.findIndex((value) => !Number.isFinite(value));
  const values = count === -1 ? leading : leading.slice(0, count);
  if (values.length === 3) {
    if (values.every((value) => value > 0)) return values as Vec3;
    fail("expected three scale factors to be positive (a volume is one negative number)");
  }
  if (values.length !== 1 || values[0] === 0) {
    fail("expected one scale factor, three, or a negative cell volume");
  }
  return [values[0]!];
}
