/**
 * Reading verdi's output: the version, the plugin list, `verdi process show`, and the mapping of
 * AiiDA's process states onto ours. The texts follow aiida-core 2.x's formats
 * (cmdline/commands/cmd_verdi.py, cmd_plugin.py, cmdline/utils/common.py get_node_summary).
 */
import assert from "node:assert/strict";
import {
  failureOf,
  parseLaunchOutput,
  parsePluginList,
  parseProcessShow,
  parseVerdiVersion,
  probeVerdict,
  verdiArgv,
  workflowStateOf,
} from "../../../server/aiida/verdi.ts";

const ok = (stdout: string) => ({ stdout, stderr: "", code: 0 });
const SETTINGS = { profile: "research", code_label: "crystal@hpc1" };
const CLUSTER = { name: "hpc1" };
const PLUGINS = "Registered entry points for aiida.workflows:\n* core.arithmetic.add_multiply\n" +
  "* core.arithmetic.multiply_add\n* crystal_dft.base\n\nReport: Pass the entry point as an " +
  "argument to display detailed information\n";

Deno.test("parseVerdiVersion() reads aiida-core's version line", () => {
  assert.deepEqual(parseVerdiVersion("AiiDA version 2.6.3\n"), {
    major: 2,
    minor: 6,
    patch: 3,
    text: "2.6.3",
  });
  assert.equal(parseVerdiVersion("AiiDA version 2.7.0.post0\n")?.major, 2);
  assert.equal(parseVerdiVersion("AiiDA version 1.6.9\n")?.text, "1.6.9");
  assert.equal(parseVerdiVersion("bash: verdi: command not found\n"), undefined);
});

Deno.test("parsePluginList() lists the entry points", () => {
  assert.deepEqual(parsePluginList(PLUGINS), [
    "core.arithmetic.add_multiply",
    "core.arithmetic.multiply_add",
    "crystal_dft.base",
  ]);
});

Deno.test("probeVerdict() is usable only with aiida-core 2 and crystal_dft.base", () => {
  assert.deepEqual(
    probeVerdict(CLUSTER, SETTINGS, ok("AiiDA version 2.6.3\n"), ok(PLUGINS)),
    { usable: true, aiida_version: "2.6.3" },
  );
  const missing = probeVerdict(CLUSTER, SETTINGS, {
    stdout: "",
    stderr: "bash: line 1: verdi: command not found\n",
    code: 127,
  });
  assert.equal(missing.usable, false);
  assert.match(!missing.usable ? missing.reason : "", /verdi was not found on "hpc1"/);
  assert.match(
    !missing.usable ? missing.reason : "",
    /pip install 'aiida-core>=2' aiida-crystal-dft/,
  );
  assert.match(!missing.usable ? missing.reason : "", /workflows\.create_\*/);
  const old = probeVerdict(CLUSTER, SETTINGS, ok("AiiDA version 1.6.9\n"));
  assert.match(
    !old.usable ? old.reason : "",
    /has aiida-core 1\.6\.9; .* needs aiida-core 2 or later/,
  );
  const noPlugin = probeVerdict(
    CLUSTER,
    SETTINGS,
    ok("AiiDA version 2.6.3\n"),
    ok(PLUGINS.replace("* crystal_dft.base\n", "")),
  );
  assert.match(!noPlugin.usable ? noPlugin.reason : "", /no aiida-crystal-dft/);
  const noProfile = probeVerdict(CLUSTER, SETTINGS, ok("AiiDA version 2.6.3\n"), {
    stdout: "",
    stderr: "Error: Invalid value for '-p' / '--profile': profile `research` does not exist\n",
    code: 2,
  });
  assert.match(!noProfile.usable ? noProfile.reason : "", /verdi presto --profile-name research/);
  // Only the version was asked: a usable version needs the plugin list next.
  assert.equal(probeVerdict(CLUSTER, SETTINGS, ok("AiiDA version 2.0.2\n")).usable, true);
});

Deno.test("verdiArgv() puts the profile first and keeps every argument a word", () => {
  assert.deepEqual(verdiArgv({ profile: "p", verdi: "/opt/a b/verdi" }, ["process", "show", "7"]), [
    "/opt/a b/verdi",
    "-p",
    "p",
    "process",
    "show",
    "7",
  ]);
  assert.deepEqual(verdiArgv({ profile: "p" }, ["--version"]).slice(0, 1), ["verdi"]);
});

function show(state: string, extra = ""): string {
  return "Property     Value\n-----------  ------------------------------------\n" +
    "type         BaseCrystalWorkChain\n" +
    `state        ${state}\n` +
    "pk           1234\nuuid         5d3c6e34-0b43-4c4b-9f8e-3a1f0f1d2c11\nlabel        MgO\n" +
    "description  launched by crystalmath-server\nctime        2026-01-01 12:00:00+00:00\n" +
    "mtime        2026-01-01 12:10:00+00:00\n" + extra;
}

Deno.test("parseProcessShow() reads state, exit status and outputs", () => {
  const outputs = "\nInputs           PK  Type\n---------------  ----  -------------\n" +
    "basis_family     1201  CrystalBasisFamilyData\ncode             1  InstalledCode\n\n" +
    "Outputs              PK  Type\n-----------------  ----  -------------\n" +
    "output_parameters  1240  Dict\noutput_structure   1241  StructureData\n\n" +
    "Called      PK  Type\n--------  ----  ------\nCALL      1235  CrystalParallelCalculation\n";
  assert.deepEqual(parseProcessShow(show("Finished [0]", outputs)), {
    pk: 1234,
    uuid: "5d3c6e34-0b43-4c4b-9f8e-3a1f0f1d2c11",
    process_label: "BaseCrystalWorkChain",
    process_state: "finished",
    exit_status: 0,
    exit_message: null,
    outputs: [
      { label: "output_parameters", pk: 1240, type: "Dict" },
      { label: "output_structure", pk: 1241, type: "StructureData" },
    ],
  });
  const failed = parseProcessShow(show("Finished [300] CRYSTAL error"))!;
  assert.deepEqual([failed.process_state, failed.exit_status, failed.exit_message], [
    "finished",
    300,
    "CRYSTAL error",
  ]);
  const excepted = parseProcessShow(show("Excepted <KeyError: 'structure'>"))!;
  assert.deepEqual([excepted.process_state, excepted.exit_status, excepted.exit_message], [
    "excepted",
    null,
    "KeyError: 'structure'",
  ]);
  assert.equal(parseProcessShow(show("Waiting"))?.process_state, "waiting");
  assert.equal(parseProcessShow(show("Killed"))?.process_state, "killed");
  assert.equal(parseProcessShow("Error: no ProcessNode found with identifier 99\n"), undefined);
  assert.equal(parseProcessShow(show("Sleeping")), undefined);
});

Deno.test("workflowStateOf() maps AiiDA's process states onto ours", () => {
  const of = (
    process_state: Parameters<typeof workflowStateOf>[0]["process_state"],
    exit: number | null = null,
  ) => workflowStateOf({ process_state, exit_status: exit });
  assert.equal(of("created"), "created");
  assert.equal(of("waiting"), "running");
  assert.equal(of("running"), "running");
  assert.equal(of("finished", 0), "completed");
  assert.equal(of("finished", 300), "failed");
  assert.equal(of("finished", null), "failed");
  assert.equal(of("excepted"), "failed");
  assert.equal(of("killed"), "cancelled");
  const failed = parseProcessShow(show("Finished [300] CRYSTAL error"))!;
  assert.match(failureOf(failed)!, /exit status 300: CRYSTAL error \(verdi process report 1234\)/);
  assert.equal(failureOf(parseProcessShow(show("Finished [0]"))!), null);
});

Deno.test("parseLaunchOutput() takes the launcher's last JSON line", () => {
  assert.deepEqual(
    parseLaunchOutput('Report: something\n{"pk": 1234, "uuid": "u", "warnings": ["w"]}\n'),
    { pk: 1234, uuid: "u", warnings: ["w"] },
  );
  assert.deepEqual(parseLaunchOutput('{"error": "cannot load code"}\n'), {
    error: "cannot load code",
  });
  assert.equal(parseLaunchOutput('{"pk": 0}\n'), undefined);
  assert.equal(parseLaunchOutput("Traceback ...\n"), undefined);
});
