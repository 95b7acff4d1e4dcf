/**
 * An OPTIMADE v1 client for one provider: learn what `/v1/info/structures` lists, build a filter
 * from those properties only, and page through `/v1/structures` by `links.next`, honouring
 * `meta.request_delay` and retrying a 429 a few times, all under one deadline. Every failure is a
 * ProviderError naming what the provider did.
 *
 * @module
 */
import { concatBytes } from "../../common/bytes.ts";
import { VERSION } from "../../common/version.ts";

/** An OPTIMADE database to ask. */
export interface Provider {
  id: string;
  baseUrl: string;
}

/** What to look for: at least one of formula and elements. */
export interface SearchQuery {
  /** A reduced formula in OPTIMADE's form (elements alphabetical, no 1): `"MgO"`, `"Fe2O3"`. */
  formula?: string | undefined;
  /** Elements every result contains. */
  elements?: string[] | undefined;
  /** The exact number of elements. */
  nelements?: number | undefined;
  /** At most this many entries. */
  limit: number;
}

/** One structures entry: its id and attributes. */
export interface Entry {
  id: string;
  attributes: Record<string, unknown>;
}

/** A provider that failed: unreachable, slow, not OPTIMADE, or refusing the query. */
export class ProviderError extends Error {
  override name = "ProviderError";
}

/** How to reach the network; tests pass their own sleep. */
export interface ClientOptions {
  /** The whole search's deadline, in ms. */
  timeoutMs: number;
  /** Retries of a 429 answer per request. Default 3. */
  maxRetries?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Extra request headers (an API key). */
  headers?: Record<string, string>;
}

/** The most a provider's `meta.request_delay` or `Retry-After` makes us wait, in ms. */
const MAX_WAIT_MS = 5000;
/** The most pages one search follows, whatever the provider says. */
const MAX_PAGES = 50;
/** The attributes a search result needs. */
const WANTED = [
  "lattice_vectors",
  "cartesian_site_positions",
  "species_at_sites",
  "species",
  "structure_features",
  "chemical_formula_reduced",
  "nsites",
  "dimension_types",
  "nperiodic_dimensions",
];

function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/** An OPTIMADE string literal: double quotes, with `\` and `"` escaped. */
function literal(text: string): string {
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * The filter for `query`, using only `listed` properties. `HAS ONLY` is optional in the spec, so
 * a formula is asked as `HAS ALL` its elements plus `nelements`, which every provider serves.
 * @throws {ProviderError} when the query needs a property the provider does not list
 */
export function buildFilter(query: SearchQuery, listed: ReadonlySet<string>): string {
  const clauses: string[] = [];
  const need = (property: string) => {
    if (!listed.has(property)) {
      throw new ProviderError(`it does not list "${property}" in /v1/info/structures`);
    }
  };
  if (query.formula !== undefined) {
    need("chemical_formula_reduced");
    clauses.push(`chemical_formula_reduced=${literal(query.formula)}`);
  }
  if (query.elements !== undefined && query.elements.length > 0) {
    need("elements");
    clauses.push(`elements HAS ALL ${query.elements.map(literal).join(",")}`);
  }
  if (query.nelements !== undefined) {
    need("nelements");
    clauses.push(`nelements=${query.nelements}`);
  }
  if (clauses.length === 0) throw new TypeError("Cannot search: the query is empty");
  return clauses.join(" AND ");
}

/** The URL of `links.next`: a string, `{href}`, or none. */
function nextLink(body: Record<string, unknown>): string | undefined {
  const links = body.links;
  if (typeof links !== "object" || links === null) return undefined;
  const next = (links as Record<string, unknown>).next;
  if (typeof next === "string" && next !== "") return next;
  if (typeof next === "object" && next !== null) {
    const href = (next as Record<string, unknown>).href;
    if (typeof href === "string" && href !== "") return href;
  }
  return undefined;
}

/** What a failed answer says: its `errors[].detail` (or title), else the status. */
function errorText(status: number, body: unknown): string {
  if (
    typeof body === "object" && body !== null &&
    Array.isArray((body as { errors?: unknown }).errors)
  ) {
    const said = (body as { errors: unknown[] }).errors
      .map((e) => {
        const r = (e ?? {}) as Record<string, unknown>;
        return typeof r.detail === "string" ? r.detail : typeof r.title === "string" ? r.title : "";
      })
      .filter(Boolean);
    if (said.length > 0) return `HTTP ${status}: ${said.join("; ").slice(0, 300)}`;
  }
  return `HTTP ${status}`;
}

/** The most of one answer we read: a page of 100 entries is a few MiB at most. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/** The answer's text, refusing one larger than MAX_ANSWER_BYTES without reading it all. */
async function boundedText(response: Response, url: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? new ReadableStream<Uint8Array>()) {
    size += chunk.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await response.body?.cancel().catch(() => {/* already closed */});
      throw new ProviderError(`its answer to ${url} is larger than ${MAX_ANSWER_BYTES >> 20} MiB`);
    }
    chunks.push(chunk);
  }
  return new TextDecoder().decode(concatBytes(chunks));
}

/** One request, answered JSON or failed; a 429 waits (Retry-After, capped) and is retried. */
export async function getJson(
  url: string,
  options: Required<ClientOptions>,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  for (let attempt = 0;; attempt++) {
    const response = await fetch(url, {
      signal,
      headers: {
        accept: "application/vnd.api+json, application/json",
        "user-agent": `crystalmath-server/${VERSION}`,
        ...options.headers,
      },
    });
    const text = await boundedText(response, url);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      const type = response.headers.get("content-type") ?? "no content type";
      throw new ProviderError(
        `it answered ${url} with ${type} (HTTP ${response.status}), not JSON`,
      );
    }
    if (response.status === 429 && attempt < options.maxRetries) {
      const after = Number(response.headers.get("retry-after"));
      await options.sleep(
        Math.min(Number.isFinite(after) && after > 0 ? after * 1000 : 1000, MAX_WAIT_MS),
        signal,
      );
      continue;
    }
    if (!response.ok) {
      throw new ProviderError(`${url} failed: ${errorText(response.status, body)}`);
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new ProviderError(`it answered ${url} with JSON that is not an OPTIMADE response`);
    }
    return body as Record<string, unknown>;
  }
}

/** The properties `/v1/info/structures` lists. */
async function listedProperties(
  base: string,
  options: Required<ClientOptions>,
  signal: AbortSignal,
): Promise<Set<string>> {
  const body = await getJson(`${base}/v1/info/structures`, options, signal);
  const data = body.data as Record<string, unknown> | undefined;
  const properties = data?.properties;
  if (typeof properties !== "object" || properties === null) {
    throw new ProviderError("its /v1/info/structures lists no properties");
  }
  return new Set(Object.keys(properties));
}

/**
 * The entries `provider` has for `query`, at most `query.limit`.
 * @throws {ProviderError} naming what went wrong, including the deadline
 */
export function searchProvider(
  provider: Provider,
  query: SearchQuery,
  clientOptions: ClientOptions,
): Promise<Entry[]> {
  return underDeadline(provider, clientOptions, async (base, options, signal) => {
    const listed = await listedProperties(base, options, signal);
    const filter = buildFilter(query, listed);
    const fields = WANTED.filter((f) => listed.has(f)).join(",");
    let url: string | undefined = `${base}/v1/structures?filter=${encodeURIComponent(filter)}` +
      `&page_limit=${Math.min(query.limit, 100)}&response_fields=${fields}`;
    const seen = new Set<string>();
    const entries: Entry[] = [];
    for (let page = 0; url !== undefined && entries.length < query.limit; page++) {
      if (seen.has(url) || page >= MAX_PAGES) {
        throw new ProviderError(`its links.next goes round in circles (page ${page + 1}: ${url})`);
      }
      seen.add(url);
      const body = await getJson(url, options, signal);
      if (!Array.isArray(body.data)) {
        throw new ProviderError(`its answer to ${url} has no data list`);
      }
      for (const item of body.data as unknown[]) {
        const r = (item ?? {}) as Record<string, unknown>;
        if (typeof r.id !== "string" || typeof r.attributes !== "object" || r.attributes === null) {
          throw new ProviderError(`its answer to ${url} holds an entry without id or attributes`);
        }
        entries.push({ id: r.id, attributes: r.attributes as Record<string, unknown> });
        if (entries.length >= query.limit) break;
      }
      const next = nextLink(body);
      url = next === undefined ? undefined : new URL(next, url).href;
      const delay = Number((body.meta as Record<string, unknown> | undefined)?.request_delay);
      if (url !== undefined && Number.isFinite(delay) && delay > 0) {
        await options.sleep(Math.min(delay * 1000, MAX_WAIT_MS), signal);
      }
    }
    return entries;
  });
}

/**
 * One entry of `provider` by its id, from `/v1/structures/<id>`.
 * @throws {ProviderError} naming what went wrong, including an entry the provider does not have
 */
export function fetchEntry(
  provider: Provider,
  entryId: string,
  clientOptions: ClientOptions,
): Promise<Entry> {
  return underDeadline(provider, clientOptions, async (base, options, signal) => {
    const url = `${base}/v1/structures/${encodeURIComponent(entryId)}`;
    const body = await getJson(url, options, signal);
    const data = (body.data ?? null) as Record<string, unknown> | null;
    if (data === null || Array.isArray(data) || typeof data !== "object") {
      throw new ProviderError(`it has no structure "${entryId}"`);
    }
    if (data.id !== entryId || typeof data.attributes !== "object" || data.attributes === null) {
      throw new ProviderError(`its answer to ${url} is not the entry "${entryId}"`);
    }
    return { id: entryId, attributes: data.attributes as Record<string, unknown> };
  });
}

/** Runs `work` on the provider's base URL under one deadline, every failure a ProviderError. */
export async function underDeadline<T>(
  provider: Provider,
  clientOptions: ClientOptions,
  work: (base: string, options: Required<ClientOptions>, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const options: Required<ClientOptions> = {
    maxRetries: 3,
    sleep: sleepFor,
    headers: {},
    ...clientOptions,
  };
  const signal = AbortSignal.timeout(options.timeoutMs);
  const base = provider.baseUrl.replace(/\/+$/, "");
  try {
    return await work(base, options, signal);
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    if (signal.aborted) {
      throw new ProviderError(`no complete answer within ${options.timeoutMs / 1000} s`, {
        cause: error,
      });
    }
    throw new ProviderError(`cannot reach ${base}: ${(error as Error).message}`, { cause: error });
  }
}
