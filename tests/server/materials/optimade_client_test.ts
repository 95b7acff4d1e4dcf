import assert from "node:assert/strict";
import {
  buildFilter,
  ProviderError,
  searchProvider,
} from "../../../server/materials/optimade_client.ts";
import { MGO_ENTRY, startFakeProvider } from "../../_optimade.ts";

const ALL = new Set(["chemical_formula_reduced", "elements", "nelements"]);
const MGO = { formula: "MgO", elements: ["Mg", "O"], nelements: 2, limit: 10 };
const entries = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ ...MGO_ENTRY, id: `mp-${i + 1}` }));

/** A sleep that records what it was asked to wait and waits not at all. */
function recordingSleep(): { waits: number[]; sleep: (ms: number) => Promise<void> } {
  const waits: number[] = [];
  return { waits, sleep: (ms) => (waits.push(ms), Promise.resolve()) };
}

Deno.test("buildFilter() asks a formula as HAS ALL plus nelements, escaping strings", () => {
  assert.equal(
    buildFilter(MGO, ALL),
    'chemical_formula_reduced="MgO" AND elements HAS ALL "Mg","O" AND nelements=2',
  );
  assert.equal(
    buildFilter({ elements: ['a"b\\'], limit: 1 }, ALL),
    'elements HAS ALL "a\\"b\\\\"',
  );
});

Deno.test("buildFilter() refuses a property the provider does not list, naming it", () => {
  assert.throws(
    () => buildFilter(MGO, new Set(["elements", "nelements"])),
    (e) => e instanceof ProviderError && /"chemical_formula_reduced"/.test(e.message),
  );
});

for (const next of ["string", "object", "relative"] as const) {
  Deno.test(`searchProvider() follows links.next written as a ${next} to the last page`, async () => {
    await using fake = startFakeProvider({ entries: entries(5), pageSize: 2, next });
    const found = await searchProvider({ id: "x", baseUrl: `${fake.baseUrl}/` }, MGO, {
      timeoutMs: 5000,
    });
    assert.deepEqual(found.map((e) => e.id), ["mp-1", "mp-2", "mp-3", "mp-4", "mp-5"]);
    const first = fake.requests.find((r) => r.pathname === "/v1/structures")!;
    assert.equal(
      first.searchParams.get("filter"),
      'chemical_formula_reduced="MgO" AND elements HAS ALL "Mg","O" AND nelements=2',
    );
    assert.equal(first.searchParams.get("page_limit"), "10");
  });
}

Deno.test("searchProvider() stops at the limit without asking for more pages", async () => {
  await using fake = startFakeProvider({ entries: entries(5), pageSize: 2 });
  const found = await searchProvider({ id: "x", baseUrl: fake.baseUrl }, { ...MGO, limit: 3 }, {
    timeoutMs: 5000,
  });
  assert.deepEqual(found.map((e) => e.id), ["mp-1", "mp-2", "mp-3"]);
  assert.equal(fake.requests.filter((r) => r.pathname === "/v1/structures").length, 2);
});

Deno.test("searchProvider() waits meta.request_delay between pages and Retry-After on a 429", async () => {
  await using fake = startFakeProvider({
    entries: entries(2),
    tooMany: 2,
    requestDelay: 0.25,
  });
  const { waits, sleep } = recordingSleep();
  const found = await searchProvider({ id: "x", baseUrl: fake.baseUrl }, MGO, {
    timeoutMs: 5000,
    sleep,
  });
  assert.equal(found.length, 2);
  // Page 1: two 429s (1 s each), then the page, then its request_delay; page 2: the same, no delay.
  assert.deepEqual(waits, [1000, 1000, 250, 1000, 1000]);
});

Deno.test("searchProvider() gives up after 3 retries of a 429, saying what the provider said", async () => {
  await using fake = startFakeProvider({ tooMany: 10 });
  await assert.rejects(
    searchProvider({ id: "x", baseUrl: fake.baseUrl }, MGO, {
      timeoutMs: 5000,
      sleep: recordingSleep().sleep,
    }),
    (e) => e instanceof ProviderError && /HTTP 429: slow down/.test(e.message),
  );
});

Deno.test("searchProvider() names an HTML answer, a silent provider and a looping next", async () => {
  {
    await using fake = startFakeProvider({ html: true });
    await assert.rejects(
      searchProvider({ id: "x", baseUrl: fake.baseUrl }, MGO, { timeoutMs: 5000 }),
      (e) => e instanceof ProviderError && /with text\/html \(HTTP 502\), not JSON/.test(e.message),
    );
  }
  {
    await using fake = startFakeProvider({ hang: true });
    await assert.rejects(
      searchProvider({ id: "x", baseUrl: fake.baseUrl }, MGO, { timeoutMs: 300 }),
      (e) => e instanceof ProviderError && /no complete answer within 0.3 s/.test(e.message),
    );
  }
  {
    await using fake = startFakeProvider({ entries: entries(1), next: "loop" });
    await assert.rejects(
      searchProvider({ id: "x", baseUrl: fake.baseUrl }, MGO, { timeoutMs: 5000 }),
      (e) => e instanceof ProviderError && /links.next goes round in circles/.test(e.message),
    );
  }
  {
    await using fake = startFakeProvider({ properties: ["elements", "nelements"] });
    await assert.rejects(
      searchProvider({ id: "x", baseUrl: fake.baseUrl }, MGO, { timeoutMs: 5000 }),
      (e) =>
        e instanceof ProviderError && /does not list "chemical_formula_reduced"/.test(e.message),
    );
    assert.ok(!fake.requests.some((r) => r.pathname === "/v1/structures"), "never sent");
  }
});

Deno.test("searchProvider() refuses an answer larger than 32 MiB without keeping it", async () => {
  const chunk = new Uint8Array(1024 * 1024).fill(0x20);
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    let sent = 0;
    return new Response(
      new ReadableStream({
        pull(controller) {
          if (sent++ < 40) controller.enqueue(chunk);
          else controller.close();
        },
      }),
      { headers: { "content-type": "application/json" } },
    );
  });
  const { port } = server.addr as Deno.NetAddr;
  await assert.rejects(
    searchProvider({ id: "x", baseUrl: `http://127.0.0.1:${port}` }, MGO, { timeoutMs: 10_000 }),
    (e) => e instanceof ProviderError && /larger than 32 MiB/.test(e.message),
  );
});
