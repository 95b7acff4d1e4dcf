/**
 * The explicit basis set of a `.d12` deck (block 2 up to `99 0`): atoms, pseudopotentials, shells
 * and primitives, read and written back. Private to `server/crystal/`.
 *
 * @module
 */
import {
  type Cursor,
  failExpected,
  formatReal,
  integersOf,
  keywordOf,
  realsOf,
  takeLine,
  tokensOf,
  toNumber,
} from "./_deck_lines.ts";
import type { BasisAtom, BasisShell } from "./deck.ts";

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
