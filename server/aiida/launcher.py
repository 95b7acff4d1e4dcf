"""Submits one aiida-crystal-dft workflow for crystalmath-server.

Run as `verdi -p <profile> run launcher.py <inputs.json>`: verdi has loaded the profile. The
inputs file (written by crystalmath-server, format 1) holds the structure as a space group, its
ASE setting, the cell parameters and the irreducible atoms; the plugin's d12 parameters; the
basis family name; the code label and the calculation options. The last line printed is JSON:
{"pk": N, "uuid": "...", "warnings": [...]}, or {"error": "..."} with exit code 3.

The PK is also written to submitted.json beside the inputs before it is printed; a second run
with that file present prints it again and submits nothing, so a launch is never doubled.
"""

import json
import os
import sys


def fail(message):
    print(json.dumps({"error": message}))
    sys.exit(3)


def main(argv):
    if len(argv) != 2:
        fail("usage: verdi -p <profile> run launcher.py <inputs.json>")
    path = os.path.abspath(argv[1])
    done = os.path.join(os.path.dirname(path), "submitted.json")
    if os.path.exists(done):
        with open(done) as handle:
            print(json.dumps(json.load(handle)))
        return
    with open(path) as handle:
        inputs = json.load(handle)
    if inputs.get("format") != 1:
        fail("unknown inputs format %r: update crystalmath-server's launcher" % inputs.get("format"))

    from aiida import orm
    from aiida.engine import submit
    from aiida.plugins import DataFactory, WorkflowFactory
    from aiida_crystal_dft.data.basis_family import BASIS_FAMILY_KWDS
    from ase.spacegroup import crystal

    warnings = []
    spec = inputs["structure"]
    atoms = crystal(
        spec["symbols"],
        basis=spec["basis"],
        spacegroup=spec["spacegroup"],
        setting=spec["setting"],
        cellpar=spec["cellpar"],
    )
    try:
        code = orm.load_code(inputs["code_label"])
    except Exception as error:  # NotExistent, MultipleObjectsError
        fail("cannot load code %r (verdi code list): %s" % (inputs["code_label"], error))
    family_class = DataFactory("crystal_dft.basis_family")
    name = inputs["basis_family"]
    if name.upper() in BASIS_FAMILY_KWDS:
        # CRYSTAL's own library (BASISSET <name>): the plugin makes the family on first use.
        family, created = family_class.get_or_create(name.upper())
        if created:
            warnings.append("basis family %s was created in the profile" % name.upper())
    else:
        query = orm.QueryBuilder().append(family_class, filters={"attributes.name": name})
        found = query.all(flat=True)
        if not found:
            fail("no basis family %r in the profile: upload it (verdi data crystal_dft) first" % name)
        family = found[0]
    workflow = WorkflowFactory(inputs["workflow"])
    builder = workflow.get_builder()
    builder.code = code
    builder.structure = orm.StructureData(ase=atoms)
    builder.parameters = orm.Dict(inputs["parameters"])
    builder.basis_family = family
    builder.options = orm.Dict(inputs["options"])
    builder.metadata.label = inputs["label"]
    builder.metadata.description = "launched by crystalmath-server"
    try:
        node = submit(builder)
    except Exception as error:  # no broker, daemon not running, invalid inputs
        fail("cannot submit %s: %s" % (inputs["workflow"], error))
    result = {"pk": node.pk, "uuid": str(node.uuid), "warnings": warnings}
    with open(done + ".tmp", "w") as handle:
        json.dump(result, handle)
    os.replace(done + ".tmp", done)
    print(json.dumps(result))


try:
    main(sys.argv)
except SystemExit:
    raise
except Exception as error:  # report, never a bare traceback
    fail("%s: %s" % (type(error).__name__, error))
