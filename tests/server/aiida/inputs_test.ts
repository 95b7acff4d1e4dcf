/**
 * A deck as aiida-crystal-dft's inputs: the structure ASE rebuilds (space group, setting, cell,
 * irreducible atoms), the plugin's d12 parameters, the basis family, and what is refused.
 */
import assert from "node:assert/strict";
import { parseDeck } from "../../../server/crystal/deck.ts";
import { InvalidParamsError } from "../../../server/errors.ts";
import { launcherInputsOf } from "../../../server/aiida/inputs.ts";
import { fixtureTest, readCrystalFixture } from "../../_fixtures.ts";

const OPTIONS = { study: "geometry_optimisation" as const, name: "mgo", code_label: "crystal@hpc" };

function deck(geometry: string, hamiltonian = "SHRINK\n8 8\n", tail = "END\n"): string {
  return `t\nCRYSTAL\n${geometry}\n${tail}BASISSET\nPOB-TZVP\n${hamiltonian}END\n`;
}

function inputs(text: string, options: Partial<Parameters<typeof launcherInputsOf>[1]> = {}) {
  return launcherInputsOf(parseDeck(text), { ...OPTIONS, ...options });
}

function refused(text: string, pattern: RegExp, options = {}) {
  assert.throws(() => inputs(text, options), (e: unknown) => {
    assert.ok(e instanceof InvalidParamsError, String(e));
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("launcherInputsOf() gives rock-salt MgO as space group, cell and two atoms", () => {
  const { inputs: made, warnings } = inputs(
    deck("0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5", "DFT\nB3LYP\nEND\nSHRINK\n8 8\n"),
  );
  assert.deepEqual(made.structure, {
    spacegroup: 225,
    setting: 1,
    cellpar: [4.21, 4.21, 4.21, 90, 90, 90],
    symbols: ["Mg", "O"],
    basis: [[0, 0, 0], [0.5, 0.5, 0.5]],
  });
  assert.deepEqual(made.parameters, {
    label: "mgo",
    scf: { k_points: [8, 8], dft: { xc: "B3LYP" } },
    geometry: { optimise: { type: "FULLOPTG" } },
  });
  assert.equal(made.basis_family, "POB-TZVP");
  assert.equal(made.workflow, "crystal_dft.base");
  assert.equal(made.code_label, "crystal@hpc");
  assert.deepEqual(made.options, { resources: { num_machines: 1, num_mpiprocs_per_machine: 1 } });
  assert.deepEqual(warnings, ["The deck has no OPTGEOM: FULLOPTG (atoms and cell)"]);
});

Deno.test("launcherInputsOf() fills the cell parameters each crystal family leaves out", () => {
  const cell = (geometry: string) => inputs(deck(`${geometry}\n1\n8 0. 0. 0.1`)).inputs.structure;
  assert.deepEqual(cell("0 0 0\n136\n4.59 2.96").cellpar, [4.59, 4.59, 2.96, 90, 90, 90]);
  assert.deepEqual(cell("0 0 0\n62\n5.0 6.0 7.0").cellpar, [5, 6, 7, 90, 90, 90]);
  assert.deepEqual(cell("0 0 0\n14\n5.0 6.0 7.0 100.5").cellpar, [5, 6, 7, 90, 100.5, 90]);
  assert.deepEqual(cell("0 0 0\n194\n3.2 5.2").cellpar, [3.2, 3.2, 5.2, 90, 90, 120]);
  // R-3m: hexagonal axes (IFHR 0) are ASE's setting 1, rhombohedral axes (IFHR 1) setting 2.
  const hexagonal = cell("0 0 0\n166\n4.9 12.0");
  assert.deepEqual([hexagonal.cellpar, hexagonal.setting], [[4.9, 4.9, 12, 90, 90, 120], 1]);
  const rhombohedral = cell("0 1 0\n166\n4.5 55.3");
  assert.deepEqual([rhombohedral.cellpar, rhombohedral.setting], [
    [4.5, 4.5, 4.5, 55.3, 55.3, 55.3],
    2,
  ]);
  assert.deepEqual(cell("0 0 0\n1\n5 6 7 80 85 95").cellpar, [5, 6, 7, 80, 85, 95]);
});

Deno.test("launcherInputsOf() takes CRYSTAL's origin choice for groups that have two", () => {
  // Fd-3m and P4/nmm have two origin choices: IFSO 0 is the second (ASE setting 2), IFSO 1 the
  // first (the mackinawite fixture shows it); a group with one origin has ASE setting 1.
  const setting = (flags: string, group: number) =>
    inputs(deck(`${flags}\n${group}\n5.43\n1\n14 0.125 0.125 0.125`)).inputs.structure.setting;
  assert.equal(setting("0 0 0", 227), 2);
  assert.equal(setting("0 0 1", 227), 1);
  assert.equal(setting("0 0 0", 225), 1);
  refused(deck("0 0 1\n225\n4.21\n1\n12 0. 0. 0."), /IFSO 1 .* space group 225/);
});

Deno.test("launcherInputsOf() carries OPTGEOM, the overrides and block 3", () => {
  const text = deck(
    "0 0 0\n225\n4.17\n2\n28 0. 0. 0.\n8 0.5 0.5 0.5\nOPTGEOM\nCELLONLY\nTOLDEG\n0.0003\nMAXCYCLE\n50\nENDOPT",
    "DFT\nEXCHANGE\nPBE\nCORRELAT\nPBE\nSPIN\nXLGRID\nEND\nSHRINK\n8 16\nTOLINTEG\n7 7 7 7 14\n" +
      "TOLDEE\n8\nMAXCYCLE\n80\nFMIXING\n40\nDIIS\nPPAN\n",
  );
  const { inputs: made, warnings } = inputs(text, { optimise: { maxcycle: 20 } });
  assert.deepEqual(made.parameters.geometry, {
    optimise: { type: "CELLONLY", convergence: { TOLDEG: 0.0003, MAXCYCLE: 20 } },
  });
  assert.deepEqual(made.parameters.scf, {
    k_points: [8, 16],
    dft: { xc: "PBEXC", SPIN: true, grid: "XLGRID" },
    numerical: { TOLINTEG: [7, 7, 7, 7, 14], TOLDEE: 8, MAXCYCLE: 80, FMIXING: 40 },
    fock_mixing: "DIIS",
    post_scf: ["PPAN"],
  });
  assert.deepEqual(warnings, []);
  // Hartree-Fock: RHF, or UHF when the deck says so.
  const hf = inputs(deck("0 0 0\n225\n4.21\n1\n12 0. 0. 0.", "UHF\nSHRINK\n4 4\n")).inputs;
  assert.deepEqual(hf.parameters.scf, { k_points: [4, 4], single: "UHF" });
  const single = inputs(deck("0 0 0\n225\n4.21\n1\n12 0. 0. 0."), { study: "single_point" });
  assert.equal(single.inputs.parameters.geometry, undefined);
});

Deno.test("launcherInputsOf() refuses what the plugin's schema cannot say, naming it", () => {
  const mgo = "0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5";
  refused(deck(`${mgo}\nSUPERCEL\n2 0 0\n0 2 0\n0 0 2`), /geometry keyword SUPERCEL/);
  refused(deck(`${mgo}\nOPTGEOM\nENDOPT`), /"single_point"/, { study: "single_point" });
  refused(deck(mgo, "SHRINK\n8 8\nATOMSPIN\n1\n1 1\n"), /ATOMSPIN has no counterpart/);
  refused(
    deck(mgo, "DFT\nEXCHANGE\nBECKE\nCORRELAT\nPZ\nEND\nSHRINK\n8 8\n"),
    /BECKE with CORRELAT PZ/,
  );
  refused(deck(mgo, "DFT\nSPIN\nEND\nSHRINK\n8 8\n"), /names no functional/);
  refused(deck(mgo, "TOLDEE\n8\n"), /no SHRINK/);
  refused("t\nMOLECULE\n1\n1\n8 0. 0. 0.\nEND\nBASISSET\nSTO-3G\nEND\n", /MOLECULE/);
  refused(deck("1 0 0\nF M 3 M\n4.21\n1\n12 0. 0. 0."), /symbol/);
});

fixtureTest("launcherInputsOf() reads the shared decks, or says why not", () => {
  // mgo_sto3g_opt: the basis is written out, so a stored family must be named.
  const mgo = parseDeck(readCrystalFixture("mgo_sto3g_opt.crystal.d12"));
  assert.throws(() => launcherInputsOf(mgo, OPTIONS), /basis_family/);
  const made = launcherInputsOf(mgo, { ...OPTIONS, basis_family: "sto3g" }).inputs;
  assert.equal(made.basis_family, "sto3g");
  assert.deepEqual(made.parameters.geometry, { optimise: { type: "FULLOPTG" } });
  assert.deepEqual(made.structure.cellpar, [4.21, 4.21, 4.21, 90, 90, 90]);
  // crysinp_mgo: B3LYP on XXLGRID, TOLINTEG, SHRINK 12 24, MAXCYCLE 200, FMIXING 70, DIIS.
  const scf = launcherInputsOf(parseDeck(readCrystalFixture("crysinp_mgo.d12")), {
    ...OPTIONS,
    study: "single_point",
    basis_family: "pob",
  }).inputs.parameters.scf;
  assert.deepEqual(scf, {
    dft: { xc: "B3LYP", grid: "XXLGRID" },
    numerical: { TOLINTEG: [7, 7, 7, 7, 14], MAXCYCLE: 200, FMIXING: 70 },
    k_points: [12, 24],
    fock_mixing: "DIIS",
  });
  // NiO reads its geometry from fort.34 (EXTERNAL); Na2O computes frequencies.
  assert.throws(
    () => launcherInputsOf(parseDeck(readCrystalFixture("nio_sto3g_afm_scf_maxcyc.d12")), OPTIONS),
    /EXTERNAL/,
  );
  assert.throws(
    () => launcherInputsOf(parseDeck(readCrystalFixture("Na2O.d12")), OPTIONS),
    /FREQCALC/,
  );
});
