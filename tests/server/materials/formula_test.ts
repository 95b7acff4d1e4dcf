import assert from "node:assert/strict";
import { FormulaError, reducedFormula } from "../../../server/materials/formula.ts";

Deno.test("reducedFormula() writes OPTIMADE's reduced form: alphabetical, divided, no 1", () => {
  assert.equal(reducedFormula("MgO"), "MgO");
  assert.equal(reducedFormula("O3Fe2"), "Fe2O3");
  assert.equal(reducedFormula("Mg4O4"), "MgO");
  assert.equal(reducedFormula("SiO2"), "O2Si");
  assert.equal(reducedFormula("FeS2"), "FeS2");
  assert.equal(reducedFormula("Ti2O4"), "O2Ti");
});

Deno.test("reducedFormula() refuses what is not elements with counts, naming it", () => {
  assert.throws(
    () => reducedFormula("Mg(OH)2"),
    (e) => e instanceof FormulaError && /at "\(OH\)2"/.test(e.message),
  );
  assert.throws(() => reducedFormula("Xx2"), /"Xx" is not an element/);
  assert.throws(() => reducedFormula("mgo"), /expected an element symbol at "mgo"/);
  assert.throws(() => reducedFormula("Mg0O"), /count 0 of Mg/);
});
