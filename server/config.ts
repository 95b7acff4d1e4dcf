/**
 * The daemon's typed configuration, resolved once from flags and the environment. Pure: nothing
 * else in the daemon reads the environment.
 *
 * @module
 */
import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_HEADER_BYTES } from "../common/framing.ts";
import {
  type PlatformFacts,
  resolveConfigPath,
  resolveDataDir,
  resolveDbPath,
  resolveLogPath,
  resolveSocketPath,
  resolveTemplatesDir,
} from "../common/paths.ts";
import {
  type CrystalSettings,
  type DatabaseSettings,
  type LocalSettings,
  type MaterialsSettings,
  resolveFileSettings,
  type SlurmSettings,
} from "./config_file.ts";

/** Everything the daemon needs to know, resolved. */
export interface Config {
  socketPath: string;
  dbPath: string;
  /**
   * Set when the path came from CRYSTAL_TUI_DB (the terminal UI's database path): a file there
   * that is not the daemon's own store is left alone, and the store is `fallbackPath` instead.
   */
  tuiDb: { path: string; fallbackPath: string } | null;
  /** Where logs go when they do not go to stderr. */
  logPath: string;
  /** True: log to stderr (it is a terminal). False: log to `logPath`. */
  logToStderr: boolean;
  verbose: boolean;
  /** Exit after this long with no connection and no request; 0 disables. */
  inactivityTimeoutMs: number;
  /** Drop a client that stalls mid-frame for this long. */
  stallTimeoutMs: number;
  /** How long shutdown waits for in-flight requests. */
  shutdownGraceMs: number;
  maxHeaderBytes: number;
  maxFrameBytes: number;
  /** Connections beyond this are closed on accept. */
  maxConnections: number;
  /** Where job directories live (`<dataDir>/jobs/<pk>-<slug>/`). */
  dataDir: string;
  /** The config file that was (or would have been) read. */
  configPath: string;
  crystal: CrystalSettings;
  slurm: SlurmSettings;
  database: DatabaseSettings;
  materials: MaterialsSettings;
  /** The directory of user templates, which may override a built-in by name; null: none. */
  templatesDir: string | null;
  /** What the SSH layer needs from the environment. */
  ssh: { home: string; localUser: string; agentSocket: string | null };
  local: LocalSettings & {
    /** How long a cancelled job gets after SIGTERM before SIGKILL. */
    cancelGraceMs: number;
    /** How often a running job's output is read for progress. */
    pollMs: number;
  };
}

/** The flags `serve` understands. Every field is optional. */
export interface ServeFlags {
  socket?: string | undefined;
  db?: string | undefined;
  logFile?: string | undefined;
  /** Inactivity timeout in seconds; 0 disables. */
  timeout?: number | undefined;
  noTimeout?: boolean | undefined;
  verbose?: boolean | undefined;
  readTimeout?: number | undefined;
  maxFrameBytes?: number | undefined;
  maxHeaderBytes?: number | undefined;
}

/** Default inactivity timeout, in seconds. */
export const DEFAULT_INACTIVITY_TIMEOUT_S = 300;
/** Default stall timeout for a half-sent frame, in seconds. */
export const DEFAULT_READ_TIMEOUT_S = 30;

/**
 * Resolves the config. `stderrIsTerminal` decides where logs go unless `--log-file` is given;
 * `configData` is the config file as `parseConfigFile` (server/config_toml.ts) parses it, and
 * undefined when there is no file.
 */
export function resolveConfig(
  facts: PlatformFacts & { stderrIsTerminal: boolean; configData?: unknown },
  flags: ServeFlags,
): Config {
  const configPath = resolveConfigPath(facts);
  const settings = resolveFileSettings({ path: configPath, data: facts.configData }, facts.env);
  const timeoutS = flags.noTimeout ? 0 : flags.timeout ?? DEFAULT_INACTIVITY_TIMEOUT_S;
  return {
    socketPath: resolveSocketPath(facts, flags.socket),
    dbPath: resolveDbPath(facts, flags.db),
    tuiDb: !flags.db && !facts.env.CRYSTALMATH_DB && facts.env.CRYSTAL_TUI_DB
      ? {
        path: facts.env.CRYSTAL_TUI_DB,
        fallbackPath: resolveDbPath({ ...facts, env: { ...facts.env, CRYSTAL_TUI_DB: undefined } }),
      }
      : null,
    logPath: resolveLogPath(facts, flags.logFile),
    logToStderr: facts.stderrIsTerminal && !flags.logFile,
    verbose: flags.verbose ?? false,
    inactivityTimeoutMs: timeoutS * 1000,
    stallTimeoutMs: (flags.readTimeout ?? DEFAULT_READ_TIMEOUT_S) * 1000,
    shutdownGraceMs: 10_000,
    maxHeaderBytes: flags.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    maxFrameBytes: flags.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    maxConnections: 1024,
    dataDir: resolveDataDir(facts),
    configPath,
    crystal: settings.crystal,
    slurm: settings.slurm,
    database: settings.database,
    materials: settings.materials,
    templatesDir: settings.templates.dir ?? resolveTemplatesDir(facts),
    ssh: {
      home: facts.env.HOME ?? "/",
      localUser: facts.env.USER ?? facts.env.LOGNAME ?? "root",
      agentSocket: facts.env.SSH_AUTH_SOCK || null,
    },
    local: { ...settings.local, cancelGraceMs: 5000, pollMs: 2000 },
  };
}
