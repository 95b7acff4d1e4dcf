import assert from "node:assert/strict";
import { parseDeck, parsePropertiesDeck } from "../../../server/crystal/deck.ts";
import { InvalidParamsError } from "../../../server/errors.ts";
import { readStructure } from "../../../server/structures/read.ts";
import { BUILTIN_TEMPLATES } from "../../../server/templates/builtin/mod.ts";
import { loadCatalog } from "../../../server/templates/catalog.ts";
import { renderTemplate } from "../../../server/templates/render.ts";
import { TemplateRenderer } from "../../../server/templates/renderer.ts";

const ROCK_SALT = "MgO\n1.0\n4.21 0 0\n0 4.21 0\n0 0 4.21\nMg O\n4 4\nDirect\n0 0 0\n0 0.5 0.5\n" +
  "0.5 0 0.5\n0.5 0.5 0\n0.5 0.5 0.5\n0.5 0 0\n0 0.5 0\n0 0 0.5\n";
const RUTILE =
  "TiO2\n1.0\n4.594 0 0\n0 4.594 0\n0 0 2.959\nTi O\n2 4\nDirect\n0 0 0\n0.5 0.5 0.5\n" +
  "0.3053 0.3053 0\n0.6947 0.6947 0\n0.8053 0.1947 0.5\n0.1947 0.8053 0.5\n";

async function withSet<T>(fn: (set: Awaited<ReturnType<typeof setUp>>) => Promise<T>) {
  await using renderer = new TemplateRenderer();
  const dir = await Deno.makeTempDir();
  try {
    return await fn(await setUp(renderer, dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function setUp(renderer: TemplateRenderer, dir: string) {
  return { renderer, catalog: await loadCatalog({ dir, renderer }) };
}

Deno.test("the six built-ins are listed, each renders with its defaults into a deck the parser reads", async () => {
  await withSet(async (set) => {
    assert.deepEqual(
      set.catalog.entries.map((e) => [e.name, e.source, e.problems]),
      Object.keys(BUILTIN_TEMPLATES).sort().map((name) => [name, "builtin", []]),
    );
    for (const entry of set.catalog.entries) {
      const out = await renderTemplate(set, { name: entry.name, params: {} });
      assert.deepEqual([entry.name, out.problems, out.valid], [entry.name, [], true]);
      assert.doesNotMatch(out.text, /\n\s*\n/, `${entry.name} has a blank line`);
      assert.ok(out.text.endsWith("END\n"), `${entry.name} ends with END`);
    }
  });
});

Deno.test("single_point with its defaults says exactly the MgO deck it should", async () => {
  await withSet(async (set) => {
    const out = await renderTemplate(set, { name: "single_point", params: {} });
    assert.equal(
      out.text,
      "crystalmath single point\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\n" +
        "BASISSET\nPOB-TZVP-REV2\nDFT\nPBE\nEND\nSHRINK\n8 16\nTOLDEE\n7\nMAXCYCLE\n100\nEND\n",
    );
    const hf = await renderTemplate(set, {
      name: "single_point",
      params: { functional: "HF", shrink: 6, toldee: 9, title: "A & B <c>" },
    });
    const deck = parseDeck(hf.text);
    assert.equal(deck.title, "A & B <c>");
    assert.doesNotMatch(hf.text, /DFT/);
    assert.match(hf.text, /\nSHRINK\n6 12\nTOLDEE\n9\n/);
  });
});

Deno.test("a structure fills the geometry, SHRINK from its cell and its lattice's band path", async () => {
  await withSet(async (set) => {
    const mgo = readStructure({ poscar: ROCK_SALT });
    const opt = await renderTemplate(set, {
      name: "geometry_optimisation",
      params: { opt_type: "ATOMONLY" },
      structure: mgo,
    });
    assert.deepEqual([opt.valid, opt.warnings], [true, []]);
    // One atom per orbit in F m -3 m, and SHRINK 13 for the primitive fcc cell (d12_writer).
    assert.match(
      opt.text,
      /\nCRYSTAL\n0 0 0\n225\n4\.21\n2\n12 0 0 0\n8 0 0 0\.5\nOPTGEOM\nATOMONLY\n/,
    );
    assert.match(opt.text, /\nSHRINK\n13 26\n/);
    const external = await renderTemplate(set, {
      name: "single_point",
      params: {},
      structure: mgo,
      geometry: "external",
    });
    assert.match(external.text, /^.*\nEXTERNAL\nBASISSET\n/);
    assert.ok(external.valid, external.problems.join("; "));
    assert.match(external.fort34 ?? "", /^ +3 +5 +6\n/);
    assert.match(external.warnings.join("\n"), /EXTERNAL, as asked/);
    assert.equal(opt.fort34, null);
    const bands = await renderTemplate(set, { name: "band_structure", params: {}, structure: mgo });
    assert.match(bands.text, /\n4 0 200 1 26 1 0\nG X\nX W\nW L\nL G\nEND\n$/);
    const rutile = readStructure({ poscar: RUTILE });
    const tetragonal = await renderTemplate(set, {
      name: "band_structure",
      params: { points: 100 },
      structure: rutile,
    });
    assert.deepEqual(parsePropertiesDeck(tetragonal.text).keywords, ["BAND"]);
    assert.match(tetragonal.text, /\n7 0 100 1 26 1 0\nG X\nX M\nM G\nG Z\nZ R\nR A\nA Z\nEND\n$/);
  });
});

Deno.test("params are checked against the template: each wrong one named", async () => {
  await withSet(async (set) => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ shrink: 2.5 }, /parameter "shrink": expected an integer/],
      [{ shrink: 65 }, /parameter "shrink": 65 is above the maximum 64/],
      [{ functional: "LDA" }, /parameter "functional": expected one of "PBE"/],
      [{ title: "two\nlines" }, /parameter "title": expected one line/],
      [
        { toldee: "7" },
        /parameter "toldee": expected an integer/,
      ],
      [{ colour: "red" }, /unknown parameter "colour"/],
    ];
    for (const [params, message] of cases) {
      const error = await renderTemplate(set, { name: "single_point", params }).catch((e) => e);
      assert.ok(error instanceof InvalidParamsError, String(error));
      assert.match(error.message, message);
    }
  });
});
