/**
 * From a structure file to a deck the daemon's parser accepts, through symmetry: the chain
 * materials.generate_d12 will stand on.
 */
import assert from "node:assert/strict";
import { parseDeck } from "../../../server/crystal/deck.ts";
import { parseCif } from "../../../server/structures/cif.ts";
import { shrinkFor, writeD12 } from "../../../server/structures/d12_writer.ts";
import { parsePoscar } from "../../../server/structures/poscar.ts";
import { analyzeSymmetry } from "../../../server/structures/symmetry.ts";
import type { Structure } from "../../../server/structures/structure.ts";
import { fixtureTest, readCrystalFixture } from "../../_fixtures.ts";

async function deckOf(structure: Structure, title: string): Promise<string> {
  const symmetry = await analyzeSymmetry(structure);
  return writeD12({
    title,
    geometry: {
      space_group: symmetry.number,
      crystal_system: symmetry.crystal_system,
      lattice: symmetry.lattice,
      atoms: symmetry.asymmetric_unit.map((s) => ({
        atomic_number: s.atomic_number,
        frac: s.frac,
      })),
    },
    basis: "POB-TZVP-REV2",
    functional: "PBE",
    shrink: shrinkFor(symmetry.lattice),
    toldee: 8,
  });
}

fixtureTest("pyrite.cif becomes a Pa-3 deck with Fe on 4a and S on 8c, a = 5.38", async () => {
  const deck = await deckOf(parseCif(readCrystalFixture("pyrite.cif")), "FeS2 pyrite");
  const parsed = parseDeck(deck);
  assert.equal(parsed.geometry.kind, "CRYSTAL");
  if (parsed.geometry.kind !== "CRYSTAL") return;
  assert.equal(parsed.geometry.space_group, 205);
  assert.deepEqual(parsed.geometry.lattice, { a: 5.38 });
  assert.deepEqual(parsed.geometry.atoms.map((a) => a.atomic_number).sort(), [16, 26]);
});

Deno.test("a rock-salt POSCAR becomes a one-parameter Fm-3m deck with two atoms", async () => {
  const poscar = [
    "MgO",
    "1.0",
    "4.21 0 0",
    "0 4.21 0",
    "0 0 4.21",
    "Mg O",
    "4 4",
    "Direct",
    "0 0 0",
    "0 0.5 0.5",
    "0.5 0 0.5",
    "0.5 0.5 0",
    "0.5 0.5 0.5",
    "0.5 0 0",
    "0 0.5 0",
    "0 0 0.5",
  ].join("\n");
  const deck = await deckOf(parsePoscar(poscar), "MgO");
  assert.match(deck, /^MgO\nCRYSTAL\n0 0 0\n225\n4\.21\n2\n/);
  const parsed = parseDeck(deck);
  if (parsed.geometry.kind !== "CRYSTAL") throw new Error("not a CRYSTAL geometry");
  const [mg, o] = [12, 8].map((z) =>
    parsed.geometry.kind === "CRYSTAL" && parsed.geometry.atoms.find((a) => a.atomic_number === z)
  );
  // Any representative of each orbit will do: Mg on 4a, O on 4b (or the other way round).
  const orbit4a = ["0 0 0", "0 0.5 0.5", "0.5 0 0.5", "0.5 0.5 0"];
  const orbit4b = ["0.5 0.5 0.5", "0.5 0 0", "0 0.5 0", "0 0 0.5"];
  const at = (a: { x: number; y: number; z: number }) => `${a.x} ${a.y} ${a.z}`;
  assert.ok(mg && o, "one Mg and one O");
  const sites = [at(mg), at(o)];
  assert.ok(
    orbit4a.includes(sites[0]!) && orbit4b.includes(sites[1]!) ||
      orbit4b.includes(sites[0]!) && orbit4a.includes(sites[1]!),
    `Mg and O on the two distinct orbits: ${sites.join(" / ")}`,
  );
  assert.match(deck, /\nSHRINK\n8 16\n/);
});
