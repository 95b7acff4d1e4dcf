/**
 * The user's config file (`config.toml`), parsed with a real TOML parser (server/config_toml.ts)
 * and checked key by key (server/config_checks.ts), then overlaid with environment overrides.
 * Pure: the caller reads and parses the file.
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
import {
  array,
  type Checked,
  ConfigIssue,
  isUrl,
  NON_EMPTY,
  number,
  numberProblem,
  type NumberRule,
  optional,
  strictObject,
  string,
} from "./config_checks.ts";

/** The bounds of the numeric settings, shared by the file and the environment. */
const BUSY_BUDGET: NumberRule = { min: 0.1, max: 3600, description: "seconds, from 0.1 to 3600" };
const MAX_CONCURRENT: NumberRule = {
  isInteger: true,
  min: 1,
  max: 1024,
  description: "a whole number from 1 to 1024",
};
const MATERIALS_TIMEOUT: NumberRule = {
  min: 0.1,
  max: 600,
  description: "seconds, from 0.1 to 600",
};
const CACHE_DAYS: NumberRule = { min: 0, max: 3650, description: "days, from 0 to 3650" };
const POLL_INTERVAL: NumberRule = { min: 0.1, max: 3600, description: "seconds, from 0.1 to 3600" };

/** A Materials Project API key: the API refuses any other length. */
const MP_API_KEY = /^[A-Za-z0-9]{32}$/;
const MP_API_KEY_MESSAGE = "expected 32 letters and digits";

const PROVIDER = strictObject({
  id: string([(id) => /^[a-z0-9][a-z0-9_-]{0,39}$/.test(id), 'expected a lowercase id like "mp"']),
  base_url: string([(url) => isUrl(url, /^https?$/), "expected an http or https URL"]),
});

/**
 * A number from the environment, held to the same bounds as in the file; an empty variable is
 * unset, as for every other variable.
 */
function envNumber(
  env: Record<string, string | undefined>,
  name: string,
  rule: NumberRule,
): number | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === "") return undefined;
  const value = Number(text);
  if (numberProblem(rule, value) !== undefined) {
    throw new Error(`Invalid ${name} "${text}": expected ${rule.description}`);
  }
  return value;
}

const PROGRAM = optional(string(NON_EMPTY));

const FILE_SCHEMA = strictObject({
  crystal: optional(strictObject({
    executable: PROGRAM,
    parallel_executable: PROGRAM,
    mpirun: PROGRAM,
    properties: PROGRAM,
    parallel_properties: PROGRAM,
  })),
  local: optional(strictObject({
    max_concurrent: optional(number(MAX_CONCURRENT)),
  })),
  slurm: optional(strictObject({
    poll_interval_s: optional(number(POLL_INTERVAL)),
  })),
  database: optional(strictObject({
    busy_budget_s: optional(number(BUSY_BUDGET)),
  })),
  materials: optional(strictObject({
    timeout_s: optional(number(MATERIALS_TIMEOUT)),
    cache_days: optional(number(CACHE_DAYS)),
    mp_api_key: optional(string([(key) => MP_API_KEY.test(key), MP_API_KEY_MESSAGE])),
    mp_api_url: optional(string([(url) => isUrl(url, /^https?$/), "Invalid URL"])),
    optimade_providers: optional(array(PROVIDER, {
      min: 1,
      whole: [
        (list) => new Set(list.map((p) => p.id)).size === list.length,
        "each provider id once",
      ],
    })),
  })),
  templates: optional(strictObject({
    dir: optional(string([(dir) => dir.startsWith("/"), "must be an absolute path"])),
  })),
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
  const key = text.trim();
  if (!MP_API_KEY.test(key)) throw new Error(`Invalid ${ENV.mpApiKey}: ${MP_API_KEY_MESSAGE}`);
  return key;
}

/** Bare program names are looked up in CRY23_EXEDIR when it is set, as CRYSTAL's own scripts do. */
function inExeDir(name: string, exeDir: string | undefined): string {
  return exeDir && !name.includes("/") ? `${exeDir.replace(/\/+$/, "")}/${name}` : name;
}

/**
 * Resolves the settings from the parsed file (`data`, undefined when there is no file) and the
 * environment.
 * @throws {Error} naming the file and the bad key when the file is not valid, or the variable
 */
export function resolveFileSettings(
  file: { path: string; data: unknown },
  env: Readonly<Record<string, string | undefined>>,
): {
  crystal: CrystalSettings;
  local: LocalSettings;
  slurm: SlurmSettings;
  database: DatabaseSettings;
  materials: MaterialsSettings;
  templates: TemplatesSettings;
} {
  let data: Checked<typeof FILE_SCHEMA> = {};
  if (file.data !== undefined) {
    try {
      data = FILE_SCHEMA(file.data, []);
    } catch (issue) {
      if (!(issue instanceof ConfigIssue)) throw issue;
      const keys = issue.keys.length > 0 ? `.${issue.keys.join(", ")}` : "";
      throw new Error(
        `Invalid config file "${file.path}": ${issue.path.join(".")}${keys}: ${issue.message}`,
      );
    }
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
