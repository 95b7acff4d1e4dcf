import assert from "node:assert/strict";
import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_HEADER_BYTES } from "../../common/framing.ts";
import { type Config, resolveConfig, type ServeFlags } from "../../server/config.ts";
import { parseConfigFile } from "../../server/config_toml.ts";

// resolveConfig() is pure: the environment and the parsed config file are passed in, so every
// case below is a plain object. The path rules themselves are tested in tests/common/paths_test.ts
// and the file schema in config_file_test.ts; these cases check how resolveConfig combines them.

const HOME = "/home/u";
const CONFIG_PATH = `${HOME}/.config/crystalmath/config.toml`;

interface Facts {
  os?: string;
  env?: Record<string, string | undefined>;
  configText?: string;
  stderrIsTerminal?: boolean;
}

function resolve(facts: Facts, flags: ServeFlags = {}): Config {
  return resolveConfig({
    os: facts.os ?? "linux",
    env: facts.env ?? { HOME },
    configData: facts.configText === undefined
      ? undefined
      : parseConfigFile(CONFIG_PATH, facts.configText),
    stderrIsTerminal: facts.stderrIsTerminal ?? false,
  }, flags);
}

/** Compares only the keys the case names. */
function assertPartial(actual: Config, expected: Partial<Config>): void {
  for (const [key, value] of Object.entries(expected)) {
    assert.deepEqual(actual[key as keyof Config], value, key);
  }
}

Deno.test("resolveConfig() gives the documented defaults with only HOME set", () => {
  assert.deepEqual(resolve({ env: { HOME } }), {
    socketPath: `${HOME}/.cache/crystalmath.sock`,
    dbPath: `${HOME}/.local/share/crystalmath/crystalmath.db`,
    tuiDb: null,
    logPath: `${HOME}/.local/state/crystalmath/crystalmath.log`,
    logToStderr: false,
    verbose: false,
    inactivityTimeoutMs: 300_000,
    stallTimeoutMs: 30_000,
    shutdownGraceMs: 10_000,
    templatesDir: `${HOME}/.config/crystalmath/templates`,
    maxHeaderBytes: DEFAULT_MAX_HEADER_BYTES,
    maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
    maxConnections: 1024,
    dataDir: `${HOME}/.local/share/crystalmath`,
    configPath: CONFIG_PATH,
    crystal: {
      executable: "crystal",
      parallelExecutable: "Pcrystal",
      mpirun: ["mpirun", "-np", "{ranks}"],
      properties: "properties",
      parallelProperties: "Pproperties",
    },
    slurm: { pollIntervalMs: 30_000 },
    database: { busyBudgetMs: 30_000 },
    materials: { timeoutMs: 10_000, cacheDays: 30, providers: null, mpApi: null },
    ssh: { home: HOME, localUser: "root", agentSocket: null },
    local: { maxConcurrent: 1, cancelGraceMs: 5000, pollMs: 2000 },
  });
});

const ENV_ALL = {
  HOME,
  CRYSTALMATH_SOCKET: "/env/d.sock",
  CRYSTALMATH_DB: "/env/jobs.db",
  CRYSTAL_TUI_DB: "/tui/jobs.db",
  CRYSTALMATH_DATA_DIR: "/env/data",
  XDG_RUNTIME_DIR: "/run/user/1000",
  XDG_DATA_HOME: "/xdg/data",
  XDG_STATE_HOME: "/xdg/state",
};

const CASES: { name: string; facts: Facts; flags?: ServeFlags; expected: Partial<Config> }[] = [
  {
    name: "resolveConfig() takes --socket and --db over the environment",
    facts: { env: ENV_ALL },
    flags: { socket: "/flag/d.sock", db: "/flag/jobs.db" },
    expected: { socketPath: "/flag/d.sock", dbPath: "/flag/jobs.db", dataDir: "/env/data" },
  },
  {
    name: "resolveConfig() takes CRYSTALMATH_SOCKET and CRYSTALMATH_DB over XDG and the TUI's DB",
    facts: { env: ENV_ALL },
    expected: { socketPath: "/env/d.sock", dbPath: "/env/jobs.db" },
  },
  {
    name:
      "resolveConfig() takes the TUI's DB, then XDG_RUNTIME_DIR, when nothing more specific is set",
    facts: { env: { ...ENV_ALL, CRYSTALMATH_SOCKET: undefined, CRYSTALMATH_DB: undefined } },
    expected: {
      socketPath: "/run/user/1000/crystalmath.sock",
      dbPath: "/tui/jobs.db",
      tuiDb: { path: "/tui/jobs.db", fallbackPath: "/env/data/crystalmath.db" },
    },
  },
  {
    name: "resolveConfig() puts the default DB in CRYSTALMATH_DATA_DIR, where the jobs live",
    facts: { env: { HOME, CRYSTALMATH_DATA_DIR: "/scratch/cm" } },
    expected: { dataDir: "/scratch/cm", dbPath: "/scratch/cm/crystalmath.db" },
  },
  {
    name: "resolveConfig() puts data and logs under XDG_DATA_HOME and XDG_STATE_HOME",
    facts: { env: { HOME, XDG_DATA_HOME: "/xdg/data", XDG_STATE_HOME: "/xdg/state" } },
    expected: {
      dataDir: "/xdg/data/crystalmath",
      dbPath: "/xdg/data/crystalmath/crystalmath.db",
      logPath: "/xdg/state/crystalmath/crystalmath.log",
    },
  },
  {
    name: "resolveConfig() ignores relative XDG directories, as the XDG spec says",
    facts: { env: { HOME, XDG_DATA_HOME: "data", XDG_RUNTIME_DIR: "run" } },
    expected: {
      dataDir: `${HOME}/.local/share/crystalmath`,
      socketPath: `${HOME}/.cache/crystalmath.sock`,
    },
  },
  {
    name: "resolveConfig() ignores an empty CRYSTALMATH_SOCKET and CRYSTALMATH_DATA_DIR",
    facts: { env: { HOME, CRYSTALMATH_SOCKET: "", CRYSTALMATH_DATA_DIR: "" } },
    expected: {
      socketPath: `${HOME}/.cache/crystalmath.sock`,
      dataDir: `${HOME}/.local/share/crystalmath`,
    },
  },
  {
    name: "resolveConfig() uses the macOS folders on darwin",
    facts: { os: "darwin", env: { HOME: "/Users/u" } },
    expected: {
      socketPath: "/Users/u/Library/Caches/crystalmath.sock",
      dataDir: "/Users/u/Library/Application Support/crystalmath",
      dbPath: "/Users/u/Library/Application Support/crystalmath/crystalmath.db",
      logPath: "/Users/u/Library/Logs/crystalmath/crystalmath.log",
      configPath: "/Users/u/Library/Application Support/crystalmath/config.toml",
    },
  },
  {
    name: "resolveConfig() reads the config file named by CRYSTALMATH_CONFIG, else XDG_CONFIG_HOME",
    facts: { env: { HOME, CRYSTALMATH_CONFIG: "/etc/cm.toml", XDG_CONFIG_HOME: "/xdg/config" } },
    expected: { configPath: "/etc/cm.toml" },
  },
  {
    name: "resolveConfig() looks for config.toml under XDG_CONFIG_HOME",
    facts: { env: { HOME, XDG_CONFIG_HOME: "/xdg/config" } },
    expected: { configPath: "/xdg/config/crystalmath/config.toml" },
  },
  {
    name: "resolveConfig() converts --timeout and --read-timeout from seconds to milliseconds",
    facts: {},
    flags: { timeout: 60, readTimeout: 2.5 },
    expected: { inactivityTimeoutMs: 60_000, stallTimeoutMs: 2500 },
  },
  {
    name: "resolveConfig() disables the inactivity timeout with --timeout 0",
    facts: {},
    flags: { timeout: 0 },
    expected: { inactivityTimeoutMs: 0, stallTimeoutMs: 30_000 },
  },
  {
    name: "resolveConfig() lets --no-timeout win over --timeout",
    facts: {},
    flags: { timeout: 60, noTimeout: true },
    expected: { inactivityTimeoutMs: 0 },
  },
  {
    name: "resolveConfig() takes the frame limits and verbosity from the flags",
    facts: {},
    flags: { maxFrameBytes: 4096, maxHeaderBytes: 512, verbose: true },
    expected: { maxFrameBytes: 4096, maxHeaderBytes: 512, verbose: true },
  },
  {
    name: "resolveConfig() logs to stderr when it is a terminal",
    facts: { stderrIsTerminal: true },
    expected: { logToStderr: true, logPath: `${HOME}/.local/state/crystalmath/crystalmath.log` },
  },
  {
    name: "resolveConfig() logs to --log-file even when stderr is a terminal",
    facts: { stderrIsTerminal: true },
    flags: { logFile: "/var/log/cm.log" },
    expected: { logToStderr: false, logPath: "/var/log/cm.log" },
  },
  {
    name: "resolveConfig() takes the SSH user from USER, then LOGNAME, and the agent socket",
    facts: { env: { HOME, LOGNAME: "logname", USER: "user", SSH_AUTH_SOCK: "/tmp/agent.1" } },
    expected: { ssh: { home: HOME, localUser: "user", agentSocket: "/tmp/agent.1" } },
  },
  {
    name: "resolveConfig() falls back to LOGNAME and treats an empty SSH_AUTH_SOCK as none",
    facts: { env: { HOME, LOGNAME: "logname", SSH_AUTH_SOCK: "" } },
    expected: { ssh: { home: HOME, localUser: "logname", agentSocket: null } },
  },
  {
    name: "resolveConfig() needs no HOME when every path is given",
    facts: {
      env: {
        CRYSTALMATH_CONFIG: "/etc/cm.toml",
        CRYSTALMATH_DATA_DIR: "/data",
        XDG_RUNTIME_DIR: "/run/user/1000",
      },
    },
    flags: { logFile: "/var/log/cm.log" },
    expected: {
      socketPath: "/run/user/1000/crystalmath.sock",
      dbPath: "/data/crystalmath.db",
      ssh: { home: "/", localUser: "root", agentSocket: null },
      templatesDir: null,
    },
  },
  {
    name:
      "resolveConfig() takes the templates directory from XDG_CONFIG_HOME, then [templates] dir",
    facts: { env: { HOME, XDG_CONFIG_HOME: "/xdg" } },
    expected: { templatesDir: "/xdg/crystalmath/templates" },
  },
  {
    name: "resolveConfig() takes [templates] dir over the default",
    facts: { env: { HOME }, configText: '[templates]\ndir = "/srv/templates"\n' },
    expected: { templatesDir: "/srv/templates" },
  },
];

for (const { name, facts, flags, expected } of CASES) {
  Deno.test(name, () => assertPartial(resolve(facts, flags), expected));
}

// The CRYSTAL and local-runner settings: environment over file over defaults.

const FILE_CRYSTAL = [
  "[crystal]",
  'executable = "crystal-file"',
  'parallel_executable = "/opt/cry/Pcrystal"',
  'mpirun = "srun  --mpi=pmix -n {ranks}"',
  'properties = "properties-file"',
  "[local]",
  "max_concurrent = 4",
  "[slurm]",
  "poll_interval_s = 10",
].join("\n");

const SETTINGS: {
  name: string;
  env: Record<string, string>;
  configText?: string;
  expected: Pick<Config, "crystal"> & { maxConcurrent: number; pollIntervalMs: number };
}[] = [
  {
    name: "resolveConfig() takes the CRYSTAL settings from the config file over the defaults",
    env: {},
    configText: FILE_CRYSTAL,
    expected: {
      crystal: {
        executable: "crystal-file",
        parallelExecutable: "/opt/cry/Pcrystal",
        mpirun: ["srun", "--mpi=pmix", "-n", "{ranks}"],
        properties: "properties-file",
        parallelProperties: "Pproperties",
      },
      maxConcurrent: 4,
      pollIntervalMs: 10_000,
    },
  },
  {
    name: "resolveConfig() takes each CRYSTALMATH_* variable over the config file",
    env: {
      CRYSTALMATH_CRYSTAL_EXECUTABLE: "/env/crystal",
      CRYSTALMATH_CRYSTAL_PARALLEL_EXECUTABLE: "/env/Pcrystal",
      CRYSTALMATH_MPIRUN: "mpiexec -n {ranks}",
      CRYSTALMATH_PROPERTIES_EXECUTABLE: "/env/properties",
      CRYSTALMATH_PARALLEL_PROPERTIES_EXECUTABLE: "/env/Pproperties",
      CRYSTALMATH_LOCAL_MAX_CONCURRENT: "2",
      CRYSTALMATH_SLURM_POLL_S: "0.5",
    },
    configText: FILE_CRYSTAL,
    expected: {
      crystal: {
        executable: "/env/crystal",
        parallelExecutable: "/env/Pcrystal",
        mpirun: ["mpiexec", "-n", "{ranks}"],
        properties: "/env/properties",
        parallelProperties: "/env/Pproperties",
      },
      maxConcurrent: 2,
      pollIntervalMs: 500,
    },
  },
  {
    name: "resolveConfig() falls back to the file for an empty CRYSTALMATH_CRYSTAL_EXECUTABLE",
    env: { CRYSTALMATH_CRYSTAL_EXECUTABLE: "" },
    configText: FILE_CRYSTAL,
    expected: {
      crystal: {
        executable: "crystal-file",
        parallelExecutable: "/opt/cry/Pcrystal",
        mpirun: ["srun", "--mpi=pmix", "-n", "{ranks}"],
        properties: "properties-file",
        parallelProperties: "Pproperties",
      },
      maxConcurrent: 4,
      pollIntervalMs: 10_000,
    },
  },
  {
    name: "resolveConfig() puts CRY23_EXEDIR before bare names from file and env, not before paths",
    env: { CRY23_EXEDIR: "/opt/cry23/bin", CRYSTALMATH_PROPERTIES_EXECUTABLE: "props23" },
    configText: FILE_CRYSTAL,
    expected: {
      crystal: {
        executable: "/opt/cry23/bin/crystal-file",
        parallelExecutable: "/opt/cry/Pcrystal",
        mpirun: ["srun", "--mpi=pmix", "-n", "{ranks}"],
        properties: "/opt/cry23/bin/props23",
        parallelProperties: "/opt/cry23/bin/Pproperties",
      },
      maxConcurrent: 4,
      pollIntervalMs: 10_000,
    },
  },
  {
    name: "resolveConfig() ignores an empty CRY23_EXEDIR",
    env: { CRY23_EXEDIR: "" },
    expected: {
      crystal: {
        executable: "crystal",
        parallelExecutable: "Pcrystal",
        mpirun: ["mpirun", "-np", "{ranks}"],
        properties: "properties",
        parallelProperties: "Pproperties",
      },
      maxConcurrent: 1,
      pollIntervalMs: 30_000,
    },
  },
];

for (const { name, env, configText, expected } of SETTINGS) {
  Deno.test(name, () => {
    const config = resolve({ env: { HOME, ...env }, ...(configText ? { configText } : {}) });
    assert.deepEqual({
      crystal: config.crystal,
      maxConcurrent: config.local.maxConcurrent,
      pollIntervalMs: config.slurm.pollIntervalMs,
    }, expected);
  });
}

// Invalid values: the error names the variable or the file and key, and quotes the value.

const INVALID: { name: string; facts: Facts; message: string | RegExp }[] = [
  {
    name: "resolveConfig() holds CRYSTALMATH_LOCAL_MAX_CONCURRENT to the file's bound of 1024",
    facts: { env: { HOME, CRYSTALMATH_LOCAL_MAX_CONCURRENT: "5000" } },
    message:
      'Invalid CRYSTALMATH_LOCAL_MAX_CONCURRENT "5000": expected a whole number from 1 to 1024',
  },
  {
    name: "resolveConfig() refuses a CRYSTALMATH_LOCAL_MAX_CONCURRENT of 0",
    facts: { env: { HOME, CRYSTALMATH_LOCAL_MAX_CONCURRENT: "0" } },
    message: 'Invalid CRYSTALMATH_LOCAL_MAX_CONCURRENT "0": expected a whole number from 1 to 1024',
  },
  {
    name: "resolveConfig() refuses a fractional CRYSTALMATH_LOCAL_MAX_CONCURRENT over a valid file",
    facts: {
      env: { HOME, CRYSTALMATH_LOCAL_MAX_CONCURRENT: "1.5" },
      configText: "[local]\nmax_concurrent = 4\n",
    },
    message:
      'Invalid CRYSTALMATH_LOCAL_MAX_CONCURRENT "1.5": expected a whole number from 1 to 1024',
  },
  {
    name: "resolveConfig() refuses a CRYSTALMATH_SLURM_POLL_S below 0.1 s",
    facts: { env: { HOME, CRYSTALMATH_SLURM_POLL_S: "0.05" } },
    message: 'Invalid CRYSTALMATH_SLURM_POLL_S "0.05": expected seconds, from 0.1 to 3600',
  },
  {
    name: "resolveConfig() refuses a CRYSTALMATH_SLURM_POLL_S that is not a number",
    facts: { env: { HOME, CRYSTALMATH_SLURM_POLL_S: "often" } },
    message: 'Invalid CRYSTALMATH_SLURM_POLL_S "often": expected seconds, from 0.1 to 3600',
  },
  {
    name: "resolveConfig() names the file from CRYSTALMATH_CONFIG and the key of a bad value",
    facts: {
      env: { HOME, CRYSTALMATH_CONFIG: "/etc/cm.toml" },
      configText: "[slurm]\npoll_interval_s = 0\n",
    },
    message: /^Invalid config file "\/etc\/cm\.toml": slurm\.poll_interval_s: /,
  },
  {
    name: "resolveConfig() refuses socket settings in the file: they come from flags and env only",
    facts: { configText: '[daemon]\nsocket = "/x.sock"\n' },
    message: new RegExp(`^Invalid config file "${CONFIG_PATH}": .*Unrecognized key: "daemon"`),
  },
  {
    name: "resolveConfig() refuses a local.max_concurrent above 1024 in the file",
    facts: { configText: "[local]\nmax_concurrent = 5000\n" },
    message: new RegExp(`^Invalid config file "${CONFIG_PATH}": local\\.max_concurrent: `),
  },
  {
    name: "resolveConfig() names the file of a config that is not TOML",
    facts: { configText: "[local\nmax_concurrent = 2\n" },
    message: new RegExp(`^Invalid config file "${CONFIG_PATH}": \\S`),
  },
  {
    name: "resolveConfig() without HOME and without explicit paths says HOME is missing",
    facts: { env: {} },
    message: "Cannot resolve default paths: HOME is not set",
  },
];

for (const { name, facts, message } of INVALID) {
  Deno.test(name, () => {
    assert.throws(() => resolve(facts), (error: unknown) => {
      assert.ok(error instanceof Error);
      if (typeof message === "string") assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    });
  });
}

Deno.test("resolveConfig() asks the Materials Project API only with a 32-character key", () => {
  const key = "a".repeat(32);
  assert.equal(resolve({ env: { HOME } }).materials.mpApi, null);
  assert.deepEqual(resolve({ env: { HOME, MP_API_KEY: key } }).materials.mpApi, {
    baseUrl: "https://api.materialsproject.org",
    key,
  });
  assert.throws(() => resolve({ env: { HOME, MP_API_KEY: "short" } }), /Invalid MP_API_KEY/);
  assert.throws(
    () => resolve({ env: { HOME }, configText: '[materials]\nmp_api_key = "x"\n' }),
    /materials\.mp_api_key: expected 32 letters and digits/,
  );
});
