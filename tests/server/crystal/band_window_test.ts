import assert from "node:assert/strict";
import {
  BAND_TOKENS_AWK,
  bandAt,
  bandCountOf,
  bandToken,
  hasBandTokens,
  resolveBandTokens,
} from "../../../server/crystal/band_window.ts";
import { fixtureTest, listCrystalFixtures, readCrystalFixture } from "../../_fixtures.ts";

const DECK = `NEWK\n8 16\n1 0\nBAND\nx\n2 0 10 ${bandToken(-49)} ${bandToken(50)} 1 0\nG X\nX W\n` +
  `DOSS\n0 1000 ${bandToken(-9)} ${bandToken(10)} 1 14 0\nEND\n`;

/** The deck as the run script's awk writes it, from `output`; null when awk exits non-zero. */
async function viaAwk(output: string, deck = DECK): Promise<string | null> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/scf.out`, output);
    await Deno.writeTextFile(`${dir}/INPUT.d3`, deck);
    const run = await new Deno.Command("awk", {
      args: [BAND_TOKENS_AWK, `${dir}/scf.out`, `${dir}/INPUT.d3`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return run.code === 0 ? new TextDecoder().decode(run.stdout) : null;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const head = (ao: number, electrons: number) =>
  ` NUMBER OF AO          ${ao}  EXCHANGE OVERLAP TOL        (T3) 10**   -7\n` +
  ` N. OF ELECTRONS PER CELL    ${electrons}  EXCHANGE PSEUDO OVP (F(G))  (T4) 10**   -7\n`;

Deno.test("band tokens: c = ceil(N/2) for the electrons the SCF prints, within 1 and the AOs", async () => {
  assert.equal(hasBandTokens(DECK), true);
  assert.equal(hasBandTokens("BAND\nx\n1 0 10 1 26 1 0\n"), false);
  assert.equal(hasBandTokens(null), false);
  // MgO's 20 electrons: band 10 is the top valence band; 26 AOs bound the bands above.
  const mgo = { ao_count: 26, electrons_per_cell: 20 };
  assert.deepEqual([bandAt(-49, mgo), bandAt(50, mgo), bandAt(-9, mgo), bandAt(10, mgo)], [
    1,
    26,
    1,
    20,
  ]);
  // 125 electrons (an odd count): c = 63.
  const big = { ao_count: 400, electrons_per_cell: 125 };
  assert.deepEqual([bandAt(-49, big), bandAt(50, big)], [14, 113]);
  const resolved = resolveBandTokens(DECK, mgo);
  assert.match(resolved, /^2 0 10 1 26 1 0$/m);
  assert.match(resolved, /^0 1000 1 20 1 14 0$/m);
  assert.equal(await viaAwk(head(26, 20)), resolved, "awk writes what TypeScript does");
  assert.equal(await viaAwk(head(400, 125)), resolveBandTokens(DECK, big));
  assert.equal(
    await viaAwk(head(400, 125), "BAND\nx\n1 0 10 3 9 1 0\n"),
    "BAND\nx\n1 0 10 3 9 1 0\n",
  );
});

Deno.test("band tokens: an output without the counts is refused, in both", async () => {
  assert.throws(() => bandCountOf(" INSULATING STATE\n"), /prints no NUMBER OF AO/);
  assert.equal(await viaAwk(" NUMBER OF AO  26\n"), null);
});

fixtureTest(
  "band tokens: awk and TypeScript agree on every fixture output that has counts",
  async () => {
    let checked = 0;
    for (const name of listCrystalFixtures(".out")) {
      const output = readCrystalFixture(name);
      let count;
      try {
        count = bandCountOf(output);
      } catch {
        assert.equal(await viaAwk(output), null, name);
        continue;
      }
      assert.equal(await viaAwk(output), resolveBandTokens(DECK, count), name);
      checked++;
    }
    assert.ok(checked >= 3, `only ${checked} fixtures print the counts`);
  },
);
