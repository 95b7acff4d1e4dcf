/**
 * materials.* through the real daemon: materials.search against fake OPTIMADE providers on
 * loopback, and generate_d12: its declared example is what it answers, a
 * generated deck runs as a job, and bad structures are refused naming why.
 */
import assert from "node:assert/strict";
import { ServerError } from "../../client/errors.ts";
import { SocketClient } from "../../client/socket_client.ts";
import { generateD12 } from "../../server/methods/materials/generate_d12.ts";
import { get } from "../../server/methods/materials/get.ts";
import { search } from "../../server/methods/materials/search.ts";
import { DISORDERED_ENTRY, MGO_ENTRY, startFakeProvider } from "../_optimade.ts";
import { fixtureTest, readCrystalFixture } from "../_fixtures.ts";
import { makeSandbox, startDaemon, writeConfig } from "../_harness.ts";
import { ENDED, FAKE_CRYSTAL_ENV, waitForJob } from "../_jobs.ts";

Deno.test("materials.generate_d12 answers its declared example exactly, and the deck runs as a job", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box, [], { env: FAKE_CRYSTAL_ENV });
  await using client = new SocketClient(box.socket);
  const [example] = generateD12.examples;
  const result = await client.request("materials.generate_d12", example!.params) as {
    d12: string;
  };
  assert.deepEqual(result, example!.result);
  const { pk } = await client.request("jobs.submit", { name: "generated", input: result.d12 }) as {
    pk: number;
  };
  const job = await waitForJob(client, pk, ENDED);
  assert.equal(job.state, "completed", String(job.state_reason));
});

Deno.test("a Route B deck from materials.generate_d12 runs with its fort.34; jobs.submit refuses EXTERNAL without one", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box, [], { env: FAKE_CRYSTAL_ENV });
  await using client = new SocketClient(box.socket);
  const { poscar } = generateD12.examples[0]!.params as { poscar: string };
  const generated = await client.request("materials.generate_d12", {
    poscar,
    geometry: "external",
  }) as { d12: string; fort34: string | null; warnings: string[]; space_group: { number: number } };
  assert.match(generated.d12, /^MgO\nEXTERNAL\nBASISSET\n/);
  assert.equal(generated.space_group.number, 225);
  assert.match(generated.fort34 ?? "", /^ +3 +5 +6\n/);
  assert.match(generated.warnings.join("\n"), /EXTERNAL, as asked/);
  const refused = (params: Record<string, unknown>, code: number, message: RegExp) =>
    assert.rejects(
      client.request("jobs.submit", { name: "route-b", ...params }),
      (e) => e instanceof ServerError && e.code === code && message.test(e.message),
    );
  await refused(
    { input: generated.d12 },
    -32007,
    /EXTERNAL, read from fort\.34, and no fort\.34 comes with it: give fort34/,
  );
  await refused(
    { input: generated.d12, fort34: "3 1 1\n1 0 0\n" },
    -32007,
    /Invalid fort34: line 3: expected 3 numbers \(b\), got the end/,
  );
  const crystalBlock =
    (await client.request("materials.generate_d12", { poscar }) as { d12: string }).d12;
  await refused(
    { input: crystalBlock, fort34: generated.fort34 },
    -32602,
    /fort34 is read only by a deck whose geometry is EXTERNAL/,
  );
  const { pk } = await client.request("jobs.submit", {
    name: "route-b",
    input: generated.d12,
    fort34: generated.fort34,
  }) as { pk: number };
  const job = await waitForJob(client, pk, ENDED);
  assert.equal(job.state, "completed", String(job.state_reason));
  assert.equal(job.fort34, generated.fort34);
  assert.equal(await Deno.readTextFile(`${job.work_dir}/fort.34`), generated.fort34);
  const log = await client.request("jobs.log", { pk, tail_lines: 500 }) as { lines: string[] };
  assert.ok(log.lines.some((l) => /GEOMETRY INPUT FROM EXTERNAL FILE/.test(l)), "CRYSTAL read it");
});

Deno.test("materials.generate_d12 with spin writes ATOMSPIN for an antiferromagnet, and refuses a name the structure lacks", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box, [], { env: FAKE_CRYSTAL_ENV });
  await using client = new SocketClient(box.socket);
  // Rock-salt NiO, conventional cell; the Ni planes z = 0 and z = 1/2 start with opposite spins.
  const poscar = "NiO AFM-I\n1.0\n4.17 0 0\n0 4.17 0\n0 0 4.17\nNi O\n4 4\nDirect\n" +
    "0 0 0\n0.5 0.5 0\n0 0.5 0.5\n0.5 0 0.5\n0.5 0.5 0.5\n0 0 0.5\n0.5 0 0\n0 0.5 0\n";
  const deck = await client.request("materials.generate_d12", {
    poscar,
    functional: "HF",
    spin: { moments: [1, 1, -1, -1, 0, 0, 0, 0], spinlock: { n: 0, cycles: 15 } },
  }) as { d12: string; space_group: { number: number }; warnings: string[] };
  assert.equal(deck.space_group.number, 123);
  assert.match(deck.d12, /\nUHF\nSHRINK\n/);
  assert.match(
    deck.d12,
    /\nATOMSPIN\n2\n\d 1\n\d -1\nSPINLOCK\n0 15\nEND\n$|\nATOMSPIN\n2\n\d -1\n\d 1\nSPINLOCK\n0 15\nEND\n$/,
  );
  assert.match(deck.warnings.join("\n"), /from Fm-3m \(225\) to P4\/mmm \(123\)/);
  const { pk } = await client.request("jobs.submit", { name: "nio-afm", input: deck.d12 }) as {
    pk: number;
  };
  assert.equal((await waitForJob(client, pk, ENDED)).state, "completed");
  await assert.rejects(
    client.request("materials.generate_d12", { poscar, spin: { moments: { Fe: 1 } } }),
    (e) =>
      e instanceof ServerError && e.code === -32602 &&
      /"Fe" is neither an element nor a site label/.test(e.message),
  );
});

fixtureTest("materials.generate_d12 turns pyrite.cif into a Pa-3 deck", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket);
  const result = await client.request("materials.generate_d12", {
    cif: readCrystalFixture("pyrite.cif"),
    optimize: true,
  }) as {
    d12: string;
    space_group: { number: number; symbol: string };
    asymmetric_unit: { element: string; wyckoff: string | null }[];
  };
  assert.deepEqual([result.space_group.number, result.space_group.symbol], [205, "P a -3"]);
  assert.deepEqual(
    result.asymmetric_unit.map((s) => `${s.element} ${s.wyckoff}`).sort(),
    ["Fe a", "S c"],
  );
  assert.match(result.d12, /\nCRYSTAL\n0 0 0\n205\n5\.38\n2\n/);
  assert.match(result.d12, /\nOPTGEOM\nFULLOPTG\nENDOPT\nBASISSET\n/);
});

Deno.test("materials.generate_d12 refuses a disordered CIF and two sources, naming why", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket);
  const disordered = [
    "data_x",
    "_cell_length_a 4.21",
    "_cell_length_b 4.21",
    "_cell_length_c 4.21",
    "_cell_angle_alpha 90",
    "_cell_angle_beta 90",
    "_cell_angle_gamma 90",
    "loop_",
    "_atom_site_label",
    "_atom_site_fract_x",
    "_atom_site_fract_y",
    "_atom_site_fract_z",
    "_atom_site_occupancy",
    "Mg1 0 0 0 0.5",
    "O1 0.5 0.5 0.5 1",
    "",
  ].join("\n");
  await assert.rejects(
    client.request("materials.generate_d12", { cif: disordered }),
    (e) =>
      e instanceof ServerError && e.code === -32007 &&
      /disordered or partially occupied/.test(e.message),
  );
  await assert.rejects(
    client.request("materials.generate_d12", { cif: disordered, poscar: "x" }),
    (e) =>
      e instanceof ServerError && e.code === -32007 &&
      /exactly one of material_id, cif, poscar and structure, not cif and poscar/.test(e.message),
  );
  await assert.rejects(
    client.request("materials.generate_d12", { cif: "data_x\n_cell_length_a\n" }),
    (e) =>
      e instanceof ServerError && e.code === -32007 &&
      /Cannot read the cif: CIF line/.test(e.message),
  );
});

Deno.test("materials.search asks the configured providers at once: one answers its example, one hangs, one answers HTML", async () => {
  await using good = startFakeProvider({ entries: [MGO_ENTRY] });
  await using mixed = startFakeProvider({ entries: [DISORDERED_ENTRY] });
  await using silent = startFakeProvider({ hang: true });
  await using broken = startFakeProvider({ html: true });
  await using box = await makeSandbox();
  await writeConfig(box, [
    "[materials]",
    "timeout_s = 2",
    "optimade_providers = [",
    `  { id = "mp", base_url = "${good.baseUrl}" },`,
    `  { id = "cod", base_url = "${mixed.baseUrl}" },`,
    `  { id = "slow", base_url = "${silent.baseUrl}" },`,
    `  { id = "html", base_url = "${broken.baseUrl}" },`,
    "]",
  ]);
  await using _daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket);
  const listed = await client.request("materials.providers", {}) as {
    providers: { id: string }[];
    source: string;
  };
  assert.deepEqual([listed.providers.map((p) => p.id), listed.source], [
    ["mp", "cod", "slow", "html"],
    "config",
  ]);
  const [example] = search.examples;
  assert.deepEqual(await client.request("materials.search", example!.params), example!.result);

  const all = await client.request("materials.search", { formula: "Mg4O4" }) as {
    results: { id: string; space_group: unknown; warnings: string[] }[];
    errors: { provider: string; message: string }[];
  };
  assert.deepEqual(all.results.map((r) => r.id), ["mp:mp-1265", "cod:cod-1"]);
  assert.equal(all.results[1]!.space_group, null);
  assert.match(all.results[1]!.warnings.join(), /disorder/);
  assert.deepEqual(all.errors.map((e) => e.provider), ["slow", "html"]);
  assert.match(all.errors[0]!.message, /no complete answer within 2 s/);
  assert.match(all.errors[1]!.message, /not JSON/);
  const asked = good.requests.find((r) => r.pathname === "/v1/structures")!;
  assert.equal(
    asked.searchParams.get("filter"),
    'chemical_formula_reduced="MgO" AND elements HAS ALL "Mg","O" AND nelements=2',
  );

  // materials.get and generate_d12 {material_id} read the entry from its provider.
  const material = await client.request("materials.get", { id: "mp:mp-1265" });
  assert.deepEqual(material, {
    ...get.examples[0]!.result,
    url: `${good.baseUrl}/v1/structures/mp-1265`,
  });
  const deck = await client.request("materials.generate_d12", { material_id: "mp:mp-1265" }) as {
    d12: string;
  };
  assert.match(deck.d12, /^MgO\nCRYSTAL\n0 0 0\n225\n4\.21\n2\n12 0 0 0\n8 0 0 0\.5\n/);
  await assert.rejects(
    client.request("materials.get", { id: "mp:mp-404" }),
    (e) =>
      e instanceof ServerError && e.code === -32010 &&
      /Cannot fetch material "mp:mp-404": .*HTTP 404: no structure mp-404/.test(e.message),
  );
  await assert.rejects(
    client.request("materials.get", { id: "slow:x" }),
    (e) =>
      e instanceof ServerError && e.code === -32010 &&
      /no complete answer within 2 s/.test(e.message),
  );
  await assert.rejects(
    client.request("materials.get", { id: "mp-1265" }),
    (e) =>
      e instanceof ServerError && e.code === -32602 &&
      /expected "<provider>:<entry_id>"/.test(e.message),
  );
  await assert.rejects(
    client.request("materials.search", { formula: "Mg(OH)2" }),
    (e) => e instanceof ServerError && e.code === -32602 && /at "\(OH\)2"/.test(e.message),
  );
  await assert.rejects(
    client.request("materials.search", { elements: ["Mg"], providers: ["nope"] }),
    (e) =>
      e instanceof ServerError &&
      /no provider "nope" \(known: mp, cod, slow, html\)/.test(e.message),
  );
});

Deno.test("materials.search and materials.get answer from the cache once the provider is gone, unless refresh is set", async () => {
  const provider = startFakeProvider({ entries: [MGO_ENTRY] });
  await using box = await makeSandbox();
  await writeConfig(box, [
    "[materials]",
    "timeout_s = 2",
    `optimade_providers = [{ id = "mp", base_url = "${provider.baseUrl}" }]`,
  ]);
  await using _daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket);
  const online = await client.request("materials.search", { formula: "MgO" });
  await provider[Symbol.asyncDispose](); // Offline from here on.
  assert.deepEqual(await client.request("materials.search", { formula: "MgO" }), online);
  const material = await client.request("materials.get", { id: "mp:mp-1265" }) as {
    sites: unknown[];
  };
  assert.equal(material.sites.length, 2, "an entry a search saw is cached for materials.get");
  const refreshed = await client.request("materials.search", { formula: "MgO", refresh: true }) as {
    results: unknown[];
    errors: { provider: string; message: string }[];
  };
  assert.deepEqual(refreshed.results, []);
  assert.match(refreshed.errors[0]!.message, /cannot reach http:\/\/127\.0\.0\.1/);
  // A search never made is a miss: it fails fast, naming the provider, and is not a hang.
  const miss = await client.request("materials.search", { formula: "CaO" }) as {
    errors: { provider: string }[];
  };
  assert.deepEqual(miss.errors.map((e) => e.provider), ["mp"]);
});

Deno.test("materials.search goes through HTTP_PROXY: a provider reachable only by the proxy answers", async () => {
  await using provider = startFakeProvider({ entries: [MGO_ENTRY] });
  const seen: string[] = [];
  // A forward proxy: it receives absolute-form requests for a host that does not resolve, and
  // answers them from the fake provider.
  await using proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    seen.push(url.host);
    if (url.host !== "optimade.invalid") return new Response("not proxied", { status: 502 });
    return fetch(`${provider.baseUrl}${url.pathname}${url.search}`);
  });
  await using box = await makeSandbox();
  await writeConfig(box, [
    "[materials]",
    'optimade_providers = [{ id = "far", base_url = "http://optimade.invalid" }]',
  ]);
  await using _daemon = await startDaemon(box, [], {
    env: { HTTP_PROXY: `http://127.0.0.1:${proxy.addr.port}`, NO_PROXY: "" },
  });
  await using client = new SocketClient(box.socket);
  const found = await client.request("materials.search", { formula: "MgO" }) as {
    results: { id: string }[];
    errors: unknown[];
  };
  assert.deepEqual([found.results.map((r) => r.id), found.errors], [["far:mp-1265"], []]);
  assert.ok(seen.length > 0 && seen.every((host) => host === "optimade.invalid"), String(seen));
});

Deno.test("with an MP API key, mp hits gain energy_above_hull and band_gap; without one, the API is never asked", async () => {
  await using provider = startFakeProvider({ entries: [MGO_ENTRY] });
  const key = "0123456789abcdef0123456789ABCDEF";
  const asked: { url: URL; key: string | null }[] = [];
  await using mpApi = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    asked.push({ url, key: request.headers.get("x-api-key") });
    if (request.headers.get("x-api-key") !== key) {
      return Response.json({ detail: "invalid api key" }, { status: 401 });
    }
    const ids = url.searchParams.get("material_ids")!.split(",");
    return Response.json({
      data: ids.map((id) => ({ material_id: id, energy_above_hull: 0, band_gap: 4.45 })),
      meta: { total_doc: ids.length },
    });
  });
  const search = async (withKey: boolean) => {
    await using box = await makeSandbox();
    await writeConfig(box, [
      "[materials]",
      `optimade_providers = [{ id = "mp", base_url = "${provider.baseUrl}" }]`,
      `mp_api_url = "http://127.0.0.1:${mpApi.addr.port}"`,
      ...(withKey ? [`mp_api_key = "${key}"`] : []),
    ]);
    await using _daemon = await startDaemon(box);
    await using client = new SocketClient(box.socket);
    return await client.request("materials.search", { formula: "MgO" }) as {
      results: { id: string; energy_above_hull?: number | null; band_gap?: number | null }[];
      errors: unknown[];
    };
  };
  const plain = await search(false);
  assert.deepEqual([plain.results.map((r) => r.id), plain.errors, asked.length], [
    ["mp:mp-1265"],
    [],
    0,
  ]);
  assert.equal("band_gap" in plain.results[0]!, false);
  const rich = await search(true);
  assert.deepEqual(rich.errors, []);
  assert.deepEqual(
    [rich.results[0]!.energy_above_hull, rich.results[0]!.band_gap],
    [0, 4.45],
  );
  assert.equal(asked.length, 1);
  assert.equal(asked[0]!.url.pathname, "/materials/summary/");
  assert.equal(asked[0]!.url.searchParams.get("material_ids"), "mp-1265");
  assert.equal(asked[0]!.key, key);
});
