/**
 * Test helper: a fort.34 taken back to the conventional cell it stands for, to compare with the
 * standardized cell.
 */
import assert from "node:assert/strict";
import { type Centring, PRIMITIVE } from "../../../server/structures/d12_writer.ts";
import { expandFort34, type Fort34 } from "../../../server/structures/fort34.ts";
import { fractionalFromCartesian, periodicDistance } from "../../../server/structures/structure.ts";
import type { SymmetryResult } from "../../../server/structures/symmetry.ts";

type Vec = [number, number, number];

/**
 * The fort.34's atoms expanded by its operators, taken back to the conventional cell (all
 * centring copies) in fractional coordinates.
 */
export function backToConventional(file: Fort34, centring: Centring): { z: number; frac: Vec }[] {
  const out: { z: number; frac: Vec }[] = [];
  const p = PRIMITIVE[centring];
  for (const atom of expandFort34(file)) {
    const fp = fractionalFromCartesian(file.lattice, atom.position);
    // Every primitive-lattice translate that lands in a different point of the conventional cell.
    for (const i of [-1, 0, 1, 2]) {
      for (const j of [-1, 0, 1, 2]) {
        for (const k of [-1, 0, 1, 2]) {
          const f = [fp[0] + i, fp[1] + j, fp[2] + k];
          const fc = [0, 1, 2].map((c) => f[0]! * p[0]![c]! + f[1]! * p[1]![c]! + f[2]! * p[2]![c]!)
            .map((x) => x - Math.floor(x + 1e-9)) as Vec;
          if (!out.some((o) => o.z === atom.atomic_number && same(o.frac, fc))) {
            out.push({ z: atom.atomic_number, frac: fc });
          }
        }
      }
    }
  }
  return out;
}

const same = (p: readonly number[], q: readonly number[]) =>
  p.every((x, k) => Math.abs(((x - q[k]! + 0.5) % 1 + 1) % 1 - 0.5) < 1e-6);

/** Checks that the fort.34 rebuilds the standardized conventional cell, site for site. */
export function assertRebuilds(sym: SymmetryResult, file: Fort34): void {
  const rebuilt = backToConventional(file, sym.symbol[0] as Centring);
  const cell = sym.conventional;
  assert.equal(rebuilt.length, cell.sites.length, "site count");
  for (const site of cell.sites) {
    assert.ok(
      rebuilt.some((r) =>
        r.z === site.atomic_number && periodicDistance(cell.lattice, r.frac, site.frac) < 1e-6
      ),
      `no rebuilt atom at ${site.element} ${site.frac}`,
    );
  }
}
