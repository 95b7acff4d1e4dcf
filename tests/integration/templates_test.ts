/**
 * templates.* through the real daemon: the built-ins and a user directory with an override, a
 * broken file and a hostile template; a rendered deck that runs as a job; and a runaway render
 * that fails while the daemon keeps answering.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ServerError } from "../../client/errors.ts";
import { SocketClient } from "../../client/socket_client.ts";
import { render } from "../../server/methods/templates/render.ts";
import { fixtureTest, readCrystalFixture } from "../_fixtures.ts";
import { makeSandbox, type Sandbox, startDaemon } from "../_harness.ts";
import { ENDED, FAKE_CRYSTAL_ENV, waitForJob } from "../_jobs.ts";

type Listed = { name: string; source: string; problems?: string[] };

async function writeUserTemplates(box: Sandbox, files: Record<string, string>): Promise<void> {
  const dir = join(box.env.XDG_CONFIG_HOME, "crystalmath", "templates");
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), text);
}

const OVERRIDE = `description: My own single point, with HF fixed
parameters:
  title: {type: string, default: mine}
template: |
  {{ title }}
  {% include '_geometry' %}
  BASISSET
  STO-3G
  SHRINK
  4 8
  END
`;

const RUNAWAY = `description: Loops far too long
template: "{% for i in (1..3000000) %}{{ 'x' | replace: 'x', 'y' }}{% endfor %}"
`;

Deno.test("templates.list shows built-ins, a user override and broken files with their problems", async () => {
  await using box = await makeSandbox();
  await writeUserTemplates(box, {
    "single_point.yml": OVERRIDE,
    "no_body.yml": "description: forgot the template\n",
    "bad_liquid.yml": "description: x\ntemplate: '{% if a %}never closed'\n",
    "aliases.yml": "a: &x [1, 2]\nb: *x\ndescription: y\ntemplate: z\n",
    "README.txt": "not a template",
  });
  await using _daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket);
  const { templates } = await client.request("templates.list", {}) as { templates: Listed[] };
  const byName = new Map(templates.map((t) => [t.name, t]));
  assert.deepEqual(
    [...byName.keys()].sort(),
    [
      "aliases",
      "bad_liquid",
      "band_structure",
      "density_of_states",
      "eos_scan",
      "frequencies",
      "geometry_optimisation",
      "no_body",
      "single_point",
    ],
  );
  assert.equal(byName.get("single_point")!.source, "user");
  assert.equal(byName.get("eos_scan")!.source, "builtin");
  assert.match(byName.get("no_body")!.problems!.join(), /template/);
  assert.match(byName.get("bad_liquid")!.problems!.join(), /does not parse/);
  assert.match(byName.get("aliases")!.problems!.join(), /not valid YAML.*alias/i);
  const mine = await client.request("templates.render", { name: "single_point" }) as {
    text: string;
    valid: boolean;
  };
  assert.deepEqual([mine.text.split("\n")[0], mine.valid], ["mine", true]);
  assert.match(mine.text, /\nSTO-3G\n/);
  await assert.rejects(
    client.request("templates.render", { name: "bad_liquid" }),
    (e) => e instanceof ServerError && e.code === -32011 && /does not parse/.test(e.message),
  );
  await assert.rejects(
    client.request("templates.render", { name: "nothing_here" }),
    (e) => e instanceof ServerError && e.code === -32004,
  );
});

Deno.test("templates.render answers its declared example, and a rendered deck runs as a job", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box, [], { env: FAKE_CRYSTAL_ENV });
  await using client = new SocketClient(box.socket);
  const [example] = render.examples;
  assert.deepEqual(await client.request("templates.render", example!.params), example!.result);
  const { text } = await client.request("templates.render", {
    name: "single_point",
    params: { title: "MgO from a template" },
  }) as { text: string };
  const { pk } = await client.request("jobs.submit", { name: "templated", input: text }) as {
    pk: number;
  };
  const job = await waitForJob(client, pk, ENDED);
  assert.equal(job.state, "completed", String(job.state_reason));
  await assert.rejects(
    client.request("templates.render", { name: "single_point", params: { shrink: -1 } }),
    (e) => e instanceof ServerError && e.code === -32602 && /"shrink"/.test(e.message),
  );
});

Deno.test("a runaway template fails with template_error while the daemon keeps answering", async () => {
  await using box = await makeSandbox();
  await writeUserTemplates(box, { "runaway.yml": RUNAWAY });
  await using _daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket);
  // Warm the worker, so that what follows measures the render and not the engine's loading.
  await client.request("templates.list", {});
  const order: string[] = [];
  const runaway = client.request("templates.render", { name: "runaway" }).then(
    () => order.push("rendered"),
    (error) => {
      order.push("render failed");
      return error;
    },
  );
  await client.request("system.ping", {});
  order.push("ping");
  const error = await runaway;
  assert.deepEqual(order, ["ping", "render failed"]);
  assert.ok(error instanceof ServerError && error.code === -32011, String(error));
  assert.match(error.message, /runaway.*(did not finish within 2000 ms|limit)/);
  const after = await client.request("templates.render", { name: "density_of_states" }) as {
    valid: boolean;
  };
  assert.equal(after.valid, true);
});

fixtureTest("templates.render puts pyrite.cif's geometry into an optimisation deck", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket);
  const out = await client.request("templates.render", {
    name: "geometry_optimisation",
    structure: { cif: readCrystalFixture("pyrite.cif") },
  }) as { text: string; valid: boolean; problems: string[] };
  assert.deepEqual([out.valid, out.problems], [true, []]);
  assert.match(out.text, /\nCRYSTAL\n0 0 0\n205\n5\.38\n2\n26 0 0 0\n16 /);
  assert.match(out.text, /\nOPTGEOM\nFULLOPTG\nMAXCYCLE\n100\nENDOPT\nBASISSET\n/);
});
