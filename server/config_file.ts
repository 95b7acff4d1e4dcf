/**
 * The user's config file (`config.toml`), parsed with a real TOML parser and checked against a
 * schema, then overlaid with environment overrides. Pure: the caller reads the file.
 *
 * ```toml
 * [crystal]
 * executable = "crystal"                  # serial
 * parallel_executable = "Pcrystal"
 * mpirun = "mpirun -np {ranks}"
 * properties = "properties"
 * parallel_properties = "Pproperties"
 *
 * [local]
 * max_concurrent = 1
 *
 * [slurm]
 * poll_interval_s = 30
 *
 * [database]
 * busy_budget_s = 30                      # how long a write waits for a lock held elsewhere
 *
 * [materials]
 * timeout_s = 10                          # per OPTIMADE provider and search
 * cache_days = 30                         # answers reused without asking again; 0: none
 * optimade_providers = [{ id = "mp", base_url = "https://optimade.materialsproject.org" }]
 * ```
 *
 * @module
 */
import { parse as parseToml } from "smol-toml";
import { z } from "zod";

/** The bounds of the numeric settings, shared by the file and the environment. */
const BUSY_BUDGET = z.number().min(0.1).max(3600).describe("seconds, from 0.1 to 3600");
const MAX_CONCURRENT = z.number().int().min(1).max(1024).describe(
  "a whole number from 1 to 1024",
);
const MATERIALS_TIMEOUT = z.number().min(0.1).max(600).describe("seconds, from 0.1 to 600");
const PROVIDER = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'expected a lowercase id like "mp"'),
  base_url: z.string().refine((text) => {
    try {
      return ["http:", "https:"].includes(new URL(text).protocol);
    } catch {
      return false;
    }
  }, "expected an http or https URL"),
});
const POLL_INTERVAL = z.number().min(0.1).max(3600).describe("seconds, from 0.1 to 3600");

/**
 * A number from the environment, held to the same bounds as in the file; an empty variable is
 * unset, as for every other variable.
 */
function envNumber(
  env: Record<string, string | undefined>,
  name: string,
  schema: z.ZodNumber,
): number | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === "") return undefined;
  const parsed = schema.safeParse(Number(text));
  if (!parsed.success) {
    throw new Error(`Invalid ${name} "${text}": expected ${schema.description}`);
  }
  return parsed.data;
}

/** A Materials Project API key: the API refuses any other length. */
const MP_API_KEY = z.string().regex(/^[A-Za-z0-9]{32}$/, "expected 32 letters and digits");

const FILE_SCHEMA = z.strictObject({
  crystal: z.strictObject({
    executable: z.string().min(1).optional(),
    parallel_executable: z.string().min(1).optional(),
    mpirun: z.string().min(1).optional(),
    properties: z.string().min(1).optional(),
    parallel_properties: z.string().min(1).optional(),
  }).optional(),
  local: z.strictObject({
    max_concurrent: MAX_CONCURRENT.optional(),
  }).optional(),
  slurm: z.strictObject({
    poll_interval_s: POLL_INTERVAL.optional(),
  }).optional(),
  database: z.strictObject({
    busy_budget_s: BUSY_BUDGET.optional(),
  }).optional(),
  materials: z.strictObject({
    timeout_s: MATERIALS_TIMEOUT.optional(),
    cache_days: z.number().min(0).max(3650).optional(),
    mp_api_key: MP_API_KEY.optional(),
    mp_api_url: z.url({ protocol: /^https?$/ }).optional(),
    optimade_providers: z.array(PROVIDER).min(1).refine(
      (list) => new Set(list.map((p) => p.id)).size === list.length,
      "each provider id once",
    ).optional(),
  }).optional(),
  templates: z.strictObject({
    dir: z.string().startsWith("/", "must be an absolute path").optional(),
  }).optional(),
});

/** How CRYSTAL is run on this machine. */
export interface CrystalSettings {
  /** Serial executable (`crystal`). */
  executable: string;
  /** MPI executable (`Pcrystal`). */
  parallelExecutable: string;
  /** The MPI launcher as argv, with `{ranks}` to fill in. */
  mpirun: string[];
  /** Serial properties executable. */
  properties: string;
  /** MPI properties executable. */
  parallelProperties: string;
}

/** Settings of the local runner. */
export interface LocalSettings {
  maxConcurrent: number;
}

/** Settings of the SLURM tracker. */
export interface SlurmSettings {
  /** How often each cluster with active jobs is polled. */
  pollIntervalMs: number;
}

/** Settings of the database. */
export interface DatabaseSettings {
  /** How long a write keeps retrying while another process holds the lock. */
  busyBudgetMs: number;
}

/** Settings of materials search. */
export interface MaterialsSettings {
  /** How long one provider gets for one search. */
  timeoutMs: number;
  /** How long a cached answer is used instead of asking again; 0: no cache. */
  cacheDays: number;
  /** The OPTIMADE providers to ask, replacing the built-in list; null: the built-in list. */
  providers: { id: string; baseUrl: string }[] | null;
  /** The Materials Project API, when a key is configured; null: never asked. */
  mpApi: { baseUrl: string; key: string } | null;
}

/** Where user templates come from. */
export interface TemplatesSettings {
  /** The `[templates] dir` of the file; undefined: the platform's default. */
  dir: string | undefined;
}

/** Environment variables that override the file, by setting. */
const ENV = {
  executable: "CRYSTALMATH_CRYSTAL_EXECUTABLE",
  parallelExecutable: "CRYSTALMATH_CRYSTAL_PARALLEL_EXECUTABLE",
  mpirun: "CRYSTALMATH_MPIRUN",
  properties: "CRYSTALMATH_PROPERTIES_EXECUTABLE",
  parallelProperties: "CRYSTALMATH_PARALLEL_PROPERTIES_EXECUTABLE",
  maxConcurrent: "CRYSTALMATH_LOCAL_MAX_CONCURRENT",
  pollInterval: "CRYSTALMATH_SLURM_POLL_S",
  busyBudget: "CRYSTALMATH_DB_BUSY_S",
  mpApiKey: "MP_API_KEY",
} as const;

/** MP_API_KEY, checked; undefined when unset or empty. @throws {Error} naming it */
function envKey(text: string | undefined): string | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const parsed = MP_API_KEY.safeParse(text.trim());
  if (!parsed.success) throw new Error(`Invalid ${ENV.mpApiKey}: expected 32 letters and digits`);
  return parsed.data;
}

/** Bare program names are looked up in CRY23_EXEDIR when it is set, as CRYSTAL's own scripts do. */
function inExeDir(name: string, exeDir: string | undefined): string {
  return exeDir && !name.includes("/") ? `${exeDir.replace(/\/+$/, "")}/${name}` : name;
}

/**
 * Resolves the CRYSTAL and local-runner settings from the file text (or undefined when there is
 * no file) and the environment.
 * @throws {Error} naming the file and the bad key when the file is not valid TOML or not valid
 */
export function resolveFileSettings(
  file: { path: string; text: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): {
  crystal: CrystalSettings;
  local: LocalSettings;
  slurm: SlurmSettings;
  database: DatabaseSettings;
  materials: MaterialsSettings;
  templates: TemplatesSettings;
} {
  let data: z.infer<typeof FILE_SCHEMA> = {};
  if (file.text !== undefined) {
    let raw: unknown;
    try {
      raw = parseToml(file.text);
    } catch (cause) {
      throw new Error(
        `Invalid config file "${file.path}": ${(cause as Error).message.split("\n")[0]}`,
        { cause },
      );
    }
    const parsed = FILE_SCHEMA.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const keys = "keys" in issue && Array.isArray(issue.keys) ? `.${issue.keys.join(", ")}` : "";
      throw new Error(
        `Invalid config file "${file.path}": ${issue.path.join(".")}${keys}: ${issue.message}`,
      );
    }
    data = parsed.data;
  }
  const exeDir = env.CRY23_EXEDIR || undefined;
  const pick = (
    key: Exclude<keyof typeof ENV, "maxConcurrent">,
    fromFile: string | undefined,
    fallback: string,
  ) => env[ENV[key]] || fromFile || fallback;
  const max = envNumber(env, ENV.maxConcurrent, MAX_CONCURRENT) ?? data.local?.max_concurrent ?? 1;
  const poll = envNumber(env, ENV.pollInterval, POLL_INTERVAL) ?? data.slurm?.poll_interval_s ?? 30;
  const busy = envNumber(env, ENV.busyBudget, BUSY_BUDGET) ?? data.database?.busy_budget_s ?? 30;
  const mpApiKey = envKey(env[ENV.mpApiKey]) ?? data.materials?.mp_api_key;
  const mpirun = pick("mpirun", data.crystal?.mpirun, "mpirun -np {ranks}").trim().split(/\s+/);
  return {
    crystal: {
      executable: inExeDir(pick("executable", data.crystal?.executable, "crystal"), exeDir),
      parallelExecutable: inExeDir(
        pick("parallelExecutable", data.crystal?.parallel_executable, "Pcrystal"),
        exeDir,
      ),
      mpirun,
      properties: inExeDir(pick("properties", data.crystal?.properties, "properties"), exeDir),
      parallelProperties: inExeDir(
        pick("parallelProperties", data.crystal?.parallel_properties, "Pproperties"),
        exeDir,
      ),
    },
    local: { maxConcurrent: max },
    slurm: { pollIntervalMs: poll * 1000 },
    database: { busyBudgetMs: busy * 1000 },
    materials: {
      timeoutMs: (data.materials?.timeout_s ?? 10) * 1000,
      cacheDays: data.materials?.cache_days ?? 30,
      providers:
        data.materials?.optimade_providers?.map((p) => ({ id: p.id, baseUrl: p.base_url })) ??
          null,
      mpApi: mpApiKey === undefined ? null : {
        baseUrl: data.materials?.mp_api_url ?? "https://api.materialsproject.org",
        key: mpApiKey,
      },
    },
    templates: { dir: data.templates?.dir },
  };
}
