/**
 * The terminal UI's contract (../shared/docs/tui-contract.md §4-7), through a real daemon running
 * the stand-in CRYSTAL. Each request is sent as the UI sends it: its key order, params null where
 * it sends null, its own ids (0 first, and repeated). Each reply is checked against the UI's field
 * lists, transcribed below from the contract: JSON types, required fields, no null in a field
 * the UI does not declare optional, enum spellings and the envelope.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MGO_ENTRY, startFakeProvider } from "../_optimade.ts";
import { FAKE_CRYSTAL_ENV, FAKE_ENERGY } from "../_jobs.ts";
import { makeSandbox, startDaemon, writeConfig } from "../_harness.ts";
import { type RawPeer, rawPeer } from "./_raw.ts";

/** A field's JSON type as the UI's serde struct reads it. */
type Kind = "int" | "number" | "string" | "bool" | "strings" | "any" | readonly string[];
/** name → [kind, required, nullable]. */
type Fields = Record<string, readonly [Kind, boolean, boolean]>;

const JOB_STATE = ["CREATED", "SUBMITTED", "QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];

/** JobStatus, `models.rs:338-361` (contract §5). */
const JOB_STATUS: Fields = {
  pk: ["int", true, false],
  uuid: ["string", true, false],
  name: ["string", true, false],
  state: [JOB_STATE, true, false],
  dft_code: [["crystal", "vasp", "quantum_espresso"], false, true],
  runner_type: [["local", "ssh", "slurm", "aiida"], false, true],
  workflow_id: ["string", false, true],
  progress_percent: ["number", false, false],
  wall_time_seconds: ["number", false, true],
  created_at: ["string", false, true],
  error_snippet: ["string", false, true],
};

/** JobDetails, `models.rs:394-454` (contract §5). */
const JOB_DETAILS: Fields = {
  pk: ["int", true, false],
  name: ["string", true, false],
  state: [JOB_STATE, true, false],
  uuid: ["string", false, true],
  dft_code: [["crystal", "vasp", "quantum_espresso"], false, true],
  final_energy: ["number", false, true],
  bandgap_ev: ["number", false, true],
  convergence_met: ["bool", false, false],
  scf_cycles: ["int", false, true],
  cpu_time_seconds: ["number", false, true],
  wall_time_seconds: ["number", false, true],
  warnings: ["strings", false, false],
  errors: ["strings", false, false],
  stdout_tail: ["strings", false, false],
  key_results: ["any", false, true],
  work_dir: ["string", false, true],
  input_file: ["string", false, true],
};

/** ClusterConfig, `models.rs:658-684` (contract §6.2). */
const CLUSTER_CONFIG: Fields = {
  id: ["int", false, true],
  name: ["string", true, false],
  cluster_type: [["ssh", "slurm"], true, false],
  hostname: ["string", true, false],
  username: ["string", true, false],
  port: ["int", false, false],
  key_file: ["string", false, true],
  remote_workdir: ["string", false, true],
  queue_name: ["string", false, true],
  max_concurrent: ["int", false, false],
  cry23_root: ["string", false, true],
  vasp_root: ["string", false, true],
  setup_commands: ["strings", false, false],
  status: [["active", "inactive", "error", "testing"], false, false],
};

const JOB_LOG: Fields = { stdout: ["strings", true, false], stderr: ["strings", true, false] };

function isKind(value: unknown, kind: Kind): boolean {
  if (Array.isArray(kind)) return typeof value === "string" && kind.includes(value);
  switch (kind) {
    case "int":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "string":
      return typeof value === "string";
    case "bool":
      return typeof value === "boolean";
    case "strings":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
    default:
      return true;
  }
}

/** Checks `value` as the UI's serde would read it with `fields`. */
function checkShape(value: unknown, fields: Fields, what: string): Record<string, unknown> {
  assert.ok(value !== null && typeof value === "object" && !Array.isArray(value), what);
  const object = value as Record<string, unknown>;
  for (const [name, [kind, isRequired, isNullable]] of Object.entries(fields)) {
    if (!(name in object)) {
      assert.ok(!isRequired, `${what}: ${name} is required`);
      continue;
    }
    const field = object[name];
    if (field === null) {
      assert.ok(isNullable, `${what}: ${name} is null where the UI's field is not optional`);
    } else assert.ok(isKind(field, kind), `${what}: ${name} = ${JSON.stringify(field)}`);
  }
  return object;
}

/** The `{ok, data}` envelope: ok a boolean, data present and not null when ok. */
function dataOf(result: unknown, what: string): unknown {
  const envelope = result as { ok: unknown; data?: unknown; error?: unknown };
  assert.equal(typeof envelope.ok, "boolean", `${what}: ok`);
  assert.equal(envelope.ok, true, `${what}: ${JSON.stringify(envelope.error)}`);
  assert.ok(envelope.data !== undefined && envelope.data !== null, `${what}: data`);
  return envelope.data;
}

/** The `{ok:false}` member: both strings. */
function failureOf(result: unknown): { code: string; message: string } {
  const envelope = result as { ok: boolean; error: { code: string; message: string } };
  assert.equal(envelope.ok, false);
  assert.equal(typeof envelope.error.code, "string");
  assert.equal(typeof envelope.error.message, "string");
  return envelope.error;
}

/** The UI's client: one request in flight, the request built as `bridge.rs:36-58` builds it. */
class Ui {
  constructor(readonly peer: RawPeer) {}
  async send(method: string, params: unknown, id: number): Promise<Record<string, unknown>> {
    // Key order as the UI writes it: jsonrpc, method, params, id.
    await this.peer.write(frame(
      `{"jsonrpc":"2.0","method":${JSON.stringify(method)},` +
        `"params":${JSON.stringify(params)},"id":${id}}`,
    ));
    const reply = await this.peer.next() as Record<string, unknown>;
    assert.equal(reply.jsonrpc, "2.0");
    assert.equal(reply.id, id, `${method}: id echoed`);
    assert.ok("result" in reply !== "error" in reply, `${method}: result or error`);
    if ("result" in reply) assert.notEqual(reply.result, null, `${method}: result null`);
    return reply;
  }
  async result(method: string, params: unknown, id = 0): Promise<unknown> {
    const reply = await this.send(method, params, id);
    assert.ok("result" in reply, `${method}: ${JSON.stringify(reply.error)}`);
    return reply.result;
  }
  async error(method: string, params: unknown, id = 0): Promise<{ code: number; message: string }> {
    const reply = await this.send(method, params, id);
    assert.ok("error" in reply, `${method}: expected an error, got ${JSON.stringify(reply)}`);
    return reply.error as { code: number; message: string };
  }
  async details(pk: number): Promise<Record<string, unknown>> {
    const data = dataOf(await this.result("fetch_job_details", { pk }), "fetch_job_details");
    return checkShape(data, JOB_DETAILS, `JobDetails ${pk}`);
  }
  async waitFor(pk: number, states: string[]): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const details = await this.details(pk);
      if (states.includes(details.state as string)) return details;
      assert.ok(Date.now() < deadline, `job ${pk} stays ${details.state}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function frame(body: string): Uint8Array {
  const bytes = new TextEncoder().encode(body);
  const head = new TextEncoder().encode(`Content-Length: ${bytes.length}\r\n\r\n`);
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}

/** An MgO deck; its title's marker picks the stand-in's behaviour. */
function deck(title: string): string {
  return `${title}\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\n` +
    "BASISSET\nPOB-TZVP\nSHRINK\n8 8\nEND\n";
}

/** A JobSubmission exactly as `models.rs:533-568` serialises it: these keys, in this order. */
function submission(name: string, input: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    name,
    dft_code: "crystal",
    ...("workflow_id" in extra ? { workflow_id: extra.workflow_id } : {}),
    parameters: {},
    input_content: input,
    runner_type: "local",
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== "workflow_id")),
  });
}

Deno.test("the terminal UI's auxiliary gui file is the fort.34 of an EXTERNAL deck", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box, [], { env: FAKE_CRYSTAL_ENV });
  await using peer = await rawPeer(box.socket);
  const ui = new Ui(peer);
  // MgO's primitive cell as fort.34: rows (0, h, h) for a = 4.21 Å, the identity, two atoms.
  const gui = `${box.dir}/mgo.gui`;
  await Deno.writeTextFile(
    gui,
    "   3   5   6\n 0.0 2.105 2.105\n 2.105 0.0 2.105\n 2.105 2.105 0.0\n   1\n" +
      " 1.0 0.0 0.0\n 0.0 1.0 0.0\n 0.0 0.0 1.0\n 0.0 0.0 0.0\n" +
      "   2\n  12 0.0 0.0 0.0\n   8 2.105 2.105 2.105\n 225 1\n",
  );
  const external = "MgO from its gui\nEXTERNAL\nEND\nBASISSET\nPOB-TZVP\nSHRINK\n8 8\nEND\n";
  const pk = await ui.result("submit_job", {
    json_payload: submission("mgo_gui", external, { auxiliary_files: { gui } }),
  }) as number;
  const done = await ui.waitFor(pk, ["COMPLETED", "FAILED"]);
  assert.equal(done.state, "COMPLETED");
  const job = await ui.result("jobs.get", { pk }) as { work_dir: string };
  assert.equal(await Deno.readTextFile(`${job.work_dir}/fort.34`), await Deno.readTextFile(gui));
  // The binary restart kinds are refused, named.
  const f9 = await ui.error("submit_job", {
    json_payload: submission("mgo_f9", deck("MgO"), { auxiliary_files: { f9: gui } }),
  });
  assert.equal(f9.code, -32602);
  assert.match(f9.message, /auxiliary files f9 are not supported/);
});

Deno.test("the terminal UI's Results tab says why a job failed that printed no error", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box, [], { env: FAKE_CRYSTAL_ENV });
  await using peer = await rawPeer(box.socket);
  const ui = new Ui(peer);
  const pk = await ui.result("submit_job", {
    json_payload: submission("mgo_cycles", deck("MgO [fail-scf]")),
  }) as number;
  const failed = await ui.waitFor(pk, ["FAILED", "COMPLETED"]);
  assert.equal(failed.state, "FAILED");
  assert.equal(failed.convergence_met, false);
  assert.deepEqual(failed.errors, [(failed.key_results as { state_reason: string }).state_reason]);
  assert.match((failed.errors as string[])[0]!, /SCF/);
});

Deno.test("the terminal UI's legacy methods answer the shapes it deserializes", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box, [], {
    env: { ...FAKE_CRYSTAL_ENV, CRYSTALMATH_LOCAL_MAX_CONCURRENT: "4" },
  });
  await using peer = await rawPeer(box.socket);
  const ui = new Ui(peer);

  // Start-up: fetch_jobs with id 0, then fetch_clusters with id 1, both with params null.
  assert.deepEqual(await ui.result("fetch_jobs", null, 0), []);
  assert.deepEqual(dataOf(await ui.result("fetch_clusters", null, 1), "fetch_clusters"), []);

  // A cluster from the UI's own ClusterConfig payload.
  const created = checkShape(
    dataOf(
      await ui.result("create_cluster", {
        json_payload: JSON.stringify({
          id: null,
          name: "hpc1",
          cluster_type: "slurm",
          hostname: "login.hpc.example.org",
          port: 22,
          username: "jdoe",
          key_file: null,
          remote_workdir: null,
          queue_name: "standard",
          max_concurrent: 4,
          cry23_root: "/opt/crystal23",
          vasp_root: null,
          setup_commands: [],
          status: "active",
        }),
      }),
      "create_cluster",
    ),
    CLUSTER_CONFIG,
    "created cluster",
  );
  assert.equal(created.queue_name, "standard");
  assert.equal(created.cry23_root, "/opt/crystal23");
  assert.equal(created.key_file, null);
  assert.equal(created.remote_workdir, "/home/jdoe");
  assert.equal(created.max_concurrent, 4);
  const clusterId = created.id as number;
  const updated = checkShape(
    dataOf(
      await ui.result("update_cluster", {
        cluster_id: clusterId,
        json_payload: JSON.stringify({ ...created, queue_name: null, max_concurrent: 2 }),
      }, 2),
      "update_cluster",
    ),
    CLUSTER_CONFIG,
    "updated cluster",
  );
  assert.equal(updated.queue_name, null);
  assert.equal(updated.max_concurrent, 2);
  assert.equal(updated.cry23_root, "/opt/crystal23");
  const listed = dataOf(await ui.result("fetch_clusters", null, 1), "fetch_clusters") as unknown[];
  assert.equal(listed.length, 1);
  checkShape(listed[0], CLUSTER_CONFIG, "listed cluster");
  const duplicate = failureOf(
    await ui.result("create_cluster", { json_payload: JSON.stringify({ ...created, id: null }) }),
  );
  assert.equal(duplicate.code, "CONFLICT");

  // Three jobs from the UI's JobSubmission: one completes, one fails, one is cancelled running.
  const completedPk = await ui.result("submit_job", {
    json_payload: submission("mgo_scf", deck("MgO"), { workflow_id: "wf_3" }),
  });
  assert.ok(Number.isInteger(completedPk));
  const failedPk = await ui.result("submit_job", {
    json_payload: submission("mgo_bad", deck("MgO [error]")),
  }) as number;
  const slowPk = await ui.result("submit_job", {
    json_payload: submission("mgo_slow", deck("MgO [slow]"), {
      parallel_mode: "serial",
    }),
  }) as number;

  const completed = await ui.waitFor(completedPk as number, ["COMPLETED", "FAILED"]);
  assert.equal(completed.state, "COMPLETED");
  assert.equal(completed.final_energy, FAKE_ENERGY);
  assert.equal(completed.convergence_met, true);
  assert.equal(completed.scf_cycles, 8);
  assert.equal(completed.input_file, deck("MgO"));
  assert.equal(completed.dft_code, "crystal");
  assert.ok((completed.stdout_tail as string[]).some((l) => l.includes("TERMINATION")));

  const failed = await ui.waitFor(failedPk, ["FAILED", "COMPLETED"]);
  assert.equal(failed.state, "FAILED");
  assert.ok((failed.errors as string[]).some((e) => /^INPUT: .*UNKNOWN KEYWORD/.test(e)));

  const running = await ui.waitFor(slowPk, ["RUNNING"]);
  // Unknown until the SCF ends: false, never null.
  assert.equal(running.convergence_met, false);
  const log = checkShape(
    await ui.result("fetch_job_log", { pk: slowPk, tail_lines: 100 }),
    JOB_LOG,
    "JobLog",
  );
  assert.ok(Array.isArray(log.stdout));
  // The UI's 30 s poll, with the job counter's own ids starting at 1.
  assert.deepEqual(await ui.result("jobs.status", { job_id: String(slowPk) }, 1), {
    job_id: String(slowPk),
    status: "running",
  });
  const list = await ui.result("fetch_jobs", null, 0) as unknown[];
  assert.equal(list.length, 3);
  const rows = list.map((row, i) => checkShape(row, JOB_STATUS, `JobStatus ${i}`));
  assert.deepEqual(rows.map((r) => r.pk), [slowPk, failedPk, completedPk], "newest first");
  assert.deepEqual(rows.map((r) => r.state), ["RUNNING", "FAILED", "COMPLETED"]);
  assert.equal(rows[2]!.workflow_id, "wf_3");
  const snippet = rows[1]!.error_snippet as string;
  assert.match(snippet, /^[\x20-\x7e]+$/, "ASCII only");

  assert.equal(await ui.result("cancel_job", { pk: slowPk }), true);
  assert.equal((await ui.details(slowPk)).state, "CANCELLED");
  const again = await ui.error("cancel_job", { pk: slowPk });
  assert.equal(again.code, -32006);
  assert.match(again.message, /cancelled/);
  assert.deepEqual(await ui.result("jobs.status", { job_id: String(slowPk) }, 2), {
    job_id: String(slowPk),
    status: "cancelled",
  });

  // A missing pk: ok:false with NOT_FOUND, which the UI reads as "no such job".
  const missing = failureOf(await ui.result("fetch_job_details", { pk: 999 }));
  assert.equal(missing.code, "NOT_FOUND");
  assert.match(missing.message, /999/);
  assert.equal((await ui.error("fetch_job_log", { pk: 999, tail_lines: 100 })).code, -32004);

  // The output viewer, told from jobs.get_output_file's own params by job_pk.
  const view = dataOf(
    await ui.result("jobs.get_output_file", {
      job_pk: completedPk,
      file_type: "INPUT",
      tail_lines: 5000,
    }),
    "jobs.get_output_file",
  ) as { content: string; lines: string[] };
  assert.equal(view.content, deck("MgO"));
  assert.equal(view.lines[0], "MgO");
  const outcar = failureOf(
    await ui.result("jobs.get_output_file", {
      job_pk: completedPk,
      file_type: "OUTCAR",
      tail_lines: 5000,
    }),
  );
  assert.equal(outcar.code, "NOT_FOUND");

  // VASP and quacc: the UI's shapes, never -32602 about unknown keys.
  const recipes = await ui.result("recipes.list", {}) as Record<string, unknown>;
  assert.deepEqual(recipes.recipes, []);
  assert.equal(recipes.quacc_version, null);
  assert.match(recipes.error as string, /CRYSTAL/);
  const quacc = failureOf(
    await ui.result("jobs.submit", {
      recipe: "quacc.recipes.vasp.core.static_job",
      structure: "Si\n1.0\n",
      params: {},
    }),
  );
  assert.equal(quacc.code, "UNSUPPORTED");
  const vasp = await ui.error("submit_job", {
    json_payload: JSON.stringify({
      name: "vasp-calc-1",
      dft_code: "vasp",
      parameters: { poscar: "Si", incar: "", kpoints: "", potcar_config: "" },
      runner_type: "local",
    }),
  });
  assert.equal(vasp.code, -32602);
  assert.match(vasp.message, /CRYSTAL only, not vasp/);
  // ssh with no cluster_id and no ssh cluster to default to: refused, naming why.
  const noCluster = await ui.error("submit_job", {
    json_payload: submission("x_slurm", deck("MgO"), { runner_type: "ssh" }),
  });
  assert.match(noCluster.message, /runner_type ssh needs a cluster_id/);

  // SLURM on a cluster that does not exist; sync with no remote job.
  assert.equal(
    failureOf(await ui.result("fetch_slurm_queue", { cluster_id: 99 })).code,
    "NOT_FOUND",
  );
  assert.equal((await ui.result("sync_remote_jobs", null) as unknown[]).length, 3);

  const removed = dataOf(await ui.result("delete_cluster", { cluster_id: clusterId }), "delete");
  assert.deepEqual(removed, { success: true });
  assert.deepEqual(dataOf(await ui.result("fetch_clusters", null, 1), "fetch_clusters"), []);
});

Deno.test("the terminal UI's search answers SEARCH_FAILED, not an empty list, when providers fail", async () => {
  await using box = await makeSandbox();
  await writeConfig(box, [
    "[materials]",
    "timeout_s = 2",
    'optimade_providers = [{ id = "down", base_url = "http://127.0.0.1:1/v1" }]',
  ]);
  await using _daemon = await startDaemon(box);
  await using peer = await rawPeer(box.socket);
  const failed = failureOf(
    await new Ui(peer).result("search_materials", { formula: "MgO", limit: 20 }),
  );
  assert.equal(failed.code, "SEARCH_FAILED");
  assert.match(failed.message, /1 provider\(s\) failed: down: /);
});

Deno.test("the terminal UI's materials search, preview and deck come from materials.*", async () => {
  await using provider = startFakeProvider({ entries: [MGO_ENTRY] });
  await using box = await makeSandbox();
  await writeConfig(box, [
    "[materials]",
    "timeout_s = 2",
    `optimade_providers = [{ id = "mp", base_url = "${provider.baseUrl}" }]`,
  ]);
  await using _daemon = await startDaemon(box);
  await using peer = await rawPeer(box.socket);
  const ui = new Ui(peer);
  // The materials counter starts at 1.
  const found = dataOf(
    await ui.result("search_materials", { formula: "MgO", limit: 20 }, 1),
    "search_materials",
  ) as Record<string, unknown>[];
  assert.equal(found.length, 1);
  const hit = found[0]!;
  assert.equal(hit.material_id, "mp:mp-1265");
  assert.equal(hit.formula, "MgO");
  assert.equal(typeof hit.properties, "object");
  assert.equal((hit.metadata as { space_group: string }).space_group, "F m -3 m");

  const preview = dataOf(
    await ui.result("structures.preview", { source_type: "mp_id", source_data: "mp:mp-1265" }, 2),
    "structures.preview",
  ) as { formula: string; num_sites: number; volume: number; lattice: Record<string, number> };
  assert.equal(preview.formula, "MgO");
  assert.equal(preview.num_sites, 2);
  // The fcc primitive cell of a = 4.21 Å: rows (0, h, h) with h = 2.105, so V = 2h³ and each
  // length is h√2 at 60°.
  assert.ok(Math.abs(preview.volume - 2 * 2.105 ** 3) < 1e-9);
  assert.ok(Math.abs(preview.lattice.a! - 2.105 * Math.SQRT2) < 1e-9);
  assert.ok(Math.abs(preview.lattice.gamma! - 60) < 1e-9);

  const d12 = dataOf(
    await ui.result("generate_d12", {
      mp_id: "mp:mp-1265",
      config_json: '{"functional":"PBE","basis_set":"POB-TZVP-REV2","shrink":[8,8],' +
        '"optimize":false}',
    }, 3),
    "generate_d12",
  );
  assert.equal(typeof d12, "string");
  assert.match(d12 as string, /\nCRYSTAL\n0 0 0\n225\n4\.21\n/);
  assert.match(d12 as string, /\nSHRINK\n8 8\n/);
});

const TEMPLATE_FIELDS: Fields = {
  name: ["string", true, false],
  version: ["string", true, false],
  description: ["string", true, false],
  author: ["string", true, false],
  input_template: ["string", true, false],
  tags: ["strings", true, false],
  includes: ["strings", false, false],
};

const TEMPLATE_PARAMETER: Fields = {
  name: ["string", true, false],
  type: ["string", true, false],
  description: ["string", true, false],
  options: ["strings", false, false],
  required: ["bool", false, false],
};

Deno.test("the terminal UI's template browser and render come from templates.*", async () => {
  await using box = await makeSandbox();
  const dir = join(box.env.XDG_CONFIG_HOME, "crystalmath", "templates");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "broken.yml"), "description: no body\n");
  await using _daemon = await startDaemon(box);
  await using peer = await rawPeer(box.socket);
  const ui = new Ui(peer);
  // The UI sends list_templates with params null.
  const listed = dataOf(await ui.result("list_templates", null, 0), "list_templates") as Record<
    string,
    unknown
  >[];
  assert.deepEqual(
    listed.map((t) => t.name),
    [
      "band_structure",
      "density_of_states",
      "eos_scan",
      "frequencies",
      "geometry_optimisation",
      "single_point",
    ],
  );
  for (const template of listed) {
    checkShape(template, TEMPLATE_FIELDS, `template ${template.name}`);
    const parameters = template.parameters as Record<string, unknown>;
    assert.ok(!Array.isArray(parameters) && typeof parameters === "object");
    for (const [name, parameter] of Object.entries(parameters)) {
      checkShape(parameter, TEMPLATE_PARAMETER, `${template.name}.${name}`);
    }
    assert.ok(template.metadata !== null && typeof template.metadata === "object");
  }
  const text = dataOf(
    await ui.result("render_template", {
      template_name: "single_point",
      params_json: '{"functional":"HF","title":"a<b & c"}',
    }, 0),
    "render_template",
  );
  assert.equal(typeof text, "string");
  assert.match(text as string, /^a<b & c\nCRYSTAL\n/);
  const failed = failureOf(
    await ui.result("render_template", { template_name: "single_point", params_json: "{" }, 1),
  );
  assert.match(failed.message, /params_json/);
});

Deno.test("the terminal UI's workflow creators prepare decks and create no job", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  await using peer = await rawPeer(box.socket);
  const ui = new Ui(peer);
  const check = dataOf(await ui.result("check_workflows_available", {}, 0), "check") as Record<
    string,
    unknown
  >;
  checkShape(check, {
    available: ["bool", true, false],
    workflow_types: ["strings", true, false],
    aiida_available: ["bool", true, false],
  }, "check_workflows_available");
  assert.deepEqual([check.available, check.aiida_available], [true, false]);
  const deck = "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\n" +
    "BASISSET\nPOB-TZVP\nSHRINK\n8 8\nEND\n";
  const study = dataOf(
    await ui.result("create_convergence_study", {
      config_json: JSON.stringify({
        parameter: "kpoints",
        values: [4, 6, 8],
        base_input: deck,
        dft_code: "crystal",
        name_prefix: "conv",
      }),
    }, 1),
    "create_convergence_study",
  ) as { workflow_json: string; inputs: { name: string; content: string }[] };
  const workflow = JSON.parse(study.workflow_json) as { config: Record<string, unknown> };
  assert.deepEqual([workflow.config.dft_code, workflow.config.cluster_id], ["crystal", null]);
  assert.deepEqual(
    study.inputs.map((i) => i.content.match(/\nSHRINK\n(\d+ \d+)\n/)?.[1]),
    ["4 4", "6 6", "8 8"],
  );
  // Preparing made no job: the UI submits each input itself.
  assert.deepEqual(await ui.result("fetch_jobs", null, 2), []);
  const missing = failureOf(
    await ui.result("create_eos_workflow", {
      config_json: '{"source_job_pk":99,"num_points":7,"dft_code":"crystal"}',
    }, 3),
  );
  assert.equal(missing.code, "NOT_FOUND");
  for (
    const name of ["launch_aiida_geopt"]
  ) {
    assert.equal(failureOf(await ui.result(name, { config_json: "{}" }, 4)).code, "UNSUPPORTED");
  }
  const planeWave = failureOf(
    await ui.result("create_convergence_study", {
      config_json: JSON.stringify({ parameter: "encut", values: [300, 400], base_input: deck }),
    }, 5),
  );
  assert.equal(planeWave.code, "UNSUPPORTED");
  const source = await ui.result("jobs.submit", { name: "mgo", input: deck }, 6) as { pk: number };
  const phonon = dataOf(
    await ui.result("create_phonon_workflow", {
      config_json: JSON.stringify({
        source_job_pk: source.pk,
        supercell_dim: [2, 2, 2],
        displacement_distance: 0.01,
        dft_code: "crystal",
      }),
    }, 7),
    "create_phonon_workflow",
  ) as { workflow_json: string; inputs: { name: string; content: string }[] };
  assert.deepEqual(phonon.inputs.map((i) => i.name), ["phonon FREQCALC"]);
  assert.match(
    phonon.inputs[0]!.content,
    /\n8 0\.5 0\.5 0\.5\nSCELPHONO\n2 0 0\n0 2 0\n0 0 2\nFREQCALC\nINTENS\nDISPERSI\nENDFREQ\nEND\n/,
  );
  assert.equal(JSON.parse(phonon.workflow_json).type, "phonon");
  const jobs = await ui.result("fetch_jobs", null, 8) as unknown[];
  assert.equal(jobs.length, 1, "only the source job: preparing made none");
});
