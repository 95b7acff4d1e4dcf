/**
 * The launcher script, run by python3 against stub modules that stand in for aiida, ASE and
 * aiida-crystal-dft (none is installed here): it builds the inputs it is given, submits once, and
 * a second run answers the same PK from submitted.json without submitting. Skipped without
 * python3; the real modules are never exercised here (see the README).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import LAUNCHER from "../../../server/aiida/launcher.py" with { type: "text" };

function hasPython(): boolean {
  try {
    return new Deno.Command("python3", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const STUBS: Record<string, string> = {
  "aiida/__init__.py": "",
  "aiida/orm.py": `
import json, os
LOG = os.environ["STUB_LOG"]
def log(*args):
    with open(LOG, "a") as f: f.write(json.dumps(args) + "\\n")
class Node:
    def __init__(self, *args, **kwargs): self.args, self.kwargs = args, kwargs
def load_code(label):
    if label == "missing@nowhere": raise ValueError("NotExistent")
    return Node(label)
class StructureData(Node): pass
class Dict(Node): pass
class QueryBuilder:
    def append(self, cls, filters): self.name = filters["attributes.name"]; return self
    def all(self, flat): return [Node(self.name)] if self.name == "stored" else []
`,
  "aiida/engine.py": `
from aiida.orm import log
class Submitted:
    pk, uuid = 4242, "u-4242"
def submit(builder):
    log("submit", builder.metadata.label, builder.parameters.args[0], builder.structure.kwargs["ase"])
    return Submitted()
`,
  "aiida/plugins.py": `
class Meta: label = description = None
class Builder: metadata = Meta()
class Workflow:
    @staticmethod
    def get_builder(): return Builder()
class Family:
    @staticmethod
    def get_or_create(name): return name, True
def WorkflowFactory(name):
    assert name == "crystal_dft.base", name
    return Workflow
def DataFactory(name):
    assert name == "crystal_dft.basis_family", name
    return Family
`,
  "aiida_crystal_dft/__init__.py": "",
  "aiida_crystal_dft/data/__init__.py": "",
  "aiida_crystal_dft/data/basis_family.py": 'BASIS_FAMILY_KWDS = {"POB-TZVP": [], "STO-3G": []}\n',
  "ase/__init__.py": "",
  "ase/spacegroup.py": `
def crystal(symbols, basis, spacegroup, setting, cellpar):
    return {"symbols": symbols, "basis": basis, "sg": spacegroup, "setting": setting, "cell": cellpar}
`,
};

const INPUTS = {
  format: 1,
  workflow: "crystal_dft.base",
  label: "mgo",
  code_label: "crystal@hpc",
  structure: {
    spacegroup: 225,
    setting: 1,
    cellpar: [4.21, 4.21, 4.21, 90, 90, 90],
    symbols: ["Mg", "O"],
    basis: [[0, 0, 0], [0.5, 0.5, 0.5]],
  },
  parameters: { label: "mgo", scf: { k_points: [8, 8] } },
  basis_family: "pob-tzvp",
  options: { resources: { num_machines: 1, num_mpiprocs_per_machine: 1 } },
};

async function run(dir: string, inputs: unknown) {
  await Deno.writeTextFile(join(dir, "inputs.json"), JSON.stringify(inputs));
  const out = await new Deno.Command("python3", {
    args: [join(dir, "launcher.py"), join(dir, "inputs.json")],
    env: { PYTHONPATH: join(dir, "stubs"), STUB_LOG: join(dir, "log") },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim().split("\n");
  return { code: out.code, last: JSON.parse(stdout.at(-1) ?? "null") };
}

Deno.test({
  name: `the launcher submits once and answers its PK${
    hasPython() ? "" : " (skipped: no python3)"
  }`,
  ignore: !hasPython(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "launcher" });
    try {
      for (const [path, text] of Object.entries(STUBS)) {
        await Deno.mkdir(join(dir, "stubs", path, ".."), { recursive: true });
        await Deno.writeTextFile(join(dir, "stubs", path), text);
      }
      await Deno.writeTextFile(join(dir, "launcher.py"), LAUNCHER);
      const first = await run(dir, INPUTS);
      assert.deepEqual([first.code, first.last], [0, {
        pk: 4242,
        uuid: "u-4242",
        warnings: ["basis family POB-TZVP was created in the profile"],
      }]);
      const again = await run(dir, INPUTS);
      assert.deepEqual(again.last, first.last);
      const log = (await Deno.readTextFile(join(dir, "log"))).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      assert.deepEqual(log, [[
        "submit",
        "mgo",
        INPUTS.parameters,
        {
          symbols: ["Mg", "O"],
          basis: INPUTS.structure.basis,
          sg: 225,
          setting: 1,
          cell: INPUTS.structure.cellpar,
        },
      ]], "one submission, with the structure and parameters given");
      await Deno.remove(join(dir, "submitted.json"));
      const noCode = await run(dir, { ...INPUTS, code_label: "missing@nowhere" });
      assert.equal(noCode.code, 3);
      assert.match(noCode.last.error, /cannot load code 'missing@nowhere'/);
      const noFamily = await run(dir, { ...INPUTS, basis_family: "mine" });
      assert.match(noFamily.last.error, /no basis family 'mine' in the profile/);
      const stored = await run(dir, { ...INPUTS, basis_family: "stored" });
      assert.equal(stored.last.pk, 4242);
      const future = await run(dir, { ...INPUTS, format: 2 });
      assert.equal(future.last.pk, 4242, "submitted.json answers before the inputs are read");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
