/**
 * A fake OPTIMADE provider on loopback, answering spec-shaped responses (v1.2) with the quirks of
 * real ones chosen per test: `links.next` as a string, as `{href}` or relative, 429 with
 * Retry-After, `meta.request_delay`, HTML error pages, silence, and a `next` that loops.
 */

/** Rock salt MgO as a provider holds it: the primitive fcc cell, a = 4.21 Å conventional. */
export const MGO_ENTRY = {
  type: "structures",
  id: "mp-1265",
  attributes: {
    chemical_formula_reduced: "MgO",
    elements: ["Mg", "O"],
    nelements: 2,
    nsites: 2,
    lattice_vectors: [[0, 2.105, 2.105], [2.105, 0, 2.105], [2.105, 2.105, 0]],
    cartesian_site_positions: [[0, 0, 0], [2.105, 2.105, 2.105]],
    species_at_sites: ["Mg", "O"],
    species: [
      { name: "Mg", chemical_symbols: ["Mg"], concentration: [1] },
      { name: "O", chemical_symbols: ["O"], concentration: [1] },
    ],
    structure_features: [],
    dimension_types: [1, 1, 1],
    nperiodic_dimensions: 3,
  },
};

/** A disordered entry: one site half Mg, half Ca. */
export const DISORDERED_ENTRY = {
  type: "structures",
  id: "cod-1",
  attributes: {
    ...MGO_ENTRY.attributes,
    chemical_formula_reduced: "MgO",
    species_at_sites: ["MgCa", "O"],
    species: [
      { name: "MgCa", chemical_symbols: ["Mg", "Ca"], concentration: [0.5, 0.5] },
      { name: "O", chemical_symbols: ["O"], concentration: [1] },
    ],
    structure_features: ["disorder"],
  },
};

/** How the fake behaves. */
export interface FakeProviderOptions {
  entries?: unknown[];
  /** Entries per page. Default 1. */
  pageSize?: number;
  /** How `links.next` is written. Default "string". */
  next?: "string" | "object" | "relative" | "loop";
  /** Properties /v1/info/structures lists. Default: every attribute of MGO_ENTRY, plus elements. */
  properties?: string[];
  /** Answer this many 429s (Retry-After: 1) before each page. */
  tooMany?: number;
  /** meta.request_delay on every page. */
  requestDelay?: number;
  /** Answer every request with an HTML page. */
  html?: boolean;
  /** Never answer /v1/structures or an entry. */
  hang?: boolean;
}

/** A running fake: its base URL, the requests it saw, and disposal. */
export interface FakeProvider extends AsyncDisposable {
  baseUrl: string;
  requests: URL[];
}

/** Starts a fake provider on 127.0.0.1 with a free port. */
export function startFakeProvider(options: FakeProviderOptions = {}): FakeProvider {
  const entries = options.entries ?? [MGO_ENTRY];
  const pageSize = options.pageSize ?? 1;
  const properties = options.properties ?? [...Object.keys(MGO_ENTRY.attributes), "id"];
  const requests: URL[] = [];
  const hung = new AbortController();
  let tooMany = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const url = new URL(request.url);
    requests.push(url);
    if (options.html) {
      return new Response("<html><body>502 Bad Gateway</body></html>", {
        status: 502,
        headers: { "content-type": "text/html" },
      });
    }
    if (url.pathname === "/v1/info/structures") {
      return Response.json({
        data: {
          id: "structures",
          type: "info",
          properties: Object.fromEntries(properties.map((p) => [p, { type: "string" }])),
        },
        meta: { api_version: "1.2.0", more_data_available: false },
      });
    }
    if (options.hang && url.pathname.startsWith("/v1/structures")) {
      await new Promise((resolve) => hung.signal.addEventListener("abort", resolve));
      return new Response("late");
    }
    const single = /^\/v1\/structures\/(.+)$/.exec(url.pathname);
    if (single !== null) {
      const id = decodeURIComponent(single[1]!);
      const entry = entries.find((e) => (e as { id: string }).id === id);
      return entry === undefined
        ? Response.json({ errors: [{ status: "404", detail: `no structure ${id}` }] }, {
          status: 404,
        })
        : Response.json({
          data: entry,
          meta: { api_version: "1.2.0", more_data_available: false },
        });
    }
    if (url.pathname !== "/v1/structures") {
      return Response.json({ errors: [{ status: "404", detail: "no such endpoint" }] }, {
        status: 404,
      });
    }
    if (tooMany < (options.tooMany ?? 0)) {
      tooMany++;
      return Response.json({ errors: [{ status: "429", detail: "slow down" }] }, {
        status: 429,
        headers: { "retry-after": "1" },
      });
    }
    tooMany = 0;
    const offset = Number(url.searchParams.get("page_offset") ?? 0);
    const page = entries.slice(offset, offset + pageSize);
    const more = offset + pageSize < entries.length;
    const nextUrl = new URL(url);
    nextUrl.searchParams.set(
      "page_offset",
      String(options.next === "loop" ? 0 : offset + pageSize),
    );
    const next = !more && options.next !== "loop"
      ? null
      : options.next === "object"
      ? { href: nextUrl.href }
      : options.next === "relative"
      ? `${nextUrl.pathname}${nextUrl.search}`
      : nextUrl.href;
    return Response.json({
      data: page,
      links: { next },
      meta: {
        api_version: "1.2.0",
        more_data_available: more,
        data_returned: entries.length,
        ...(options.requestDelay === undefined ? {} : { request_delay: options.requestDelay }),
      },
    });
  });
  const { port } = server.addr as Deno.NetAddr;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    async [Symbol.asyncDispose]() {
      hung.abort();
      await server.shutdown();
    },
  };
}
