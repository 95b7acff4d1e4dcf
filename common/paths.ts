/**
 * Where the socket, database and log live. Pure: the caller passes the environment in, so the
 * daemon's config and the CLI resolve the same paths from the same rules.
 *
 * @module
 */

/** The facts about the platform that paths depend on. */
export interface PlatformFacts {
  /** `Deno.build.os`. */
  os: string;
  /** The environment, as `Deno.env.toObject()` returns it. */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * Joins path segments with "/". Not `node:path`: loading Node compatibility costs the one-off CLI
 * more start-up time than everything else it does.
 */
export function join(...parts: string[]): string {
  return parts.join("/").replace(/\/{2,}/g, "/");
}

/** The folder part of a path, as POSIX `dirname` (and `node:path`) give it, for the same reason. */
export function dirname(path: string): string {
  if (path === "") return ".";
  const isRooted = path.startsWith("/");
  let end = -1;
  let isTrailing = true;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path[i] !== "/") isTrailing = false;
    else if (!isTrailing) {
      end = i;
      break;
    }
  }
  if (end === -1) return isRooted ? "/" : ".";
  if (isRooted && end === 1) return "//";
  return path.slice(0, end);
}

/** File name of the socket in its directory. */
export const SOCKET_NAME = "crystalmath.sock";
const APP_DIR = "crystalmath";

function home(facts: PlatformFacts): string {
  const value = facts.env.HOME;
  if (!value) throw new Error("Cannot resolve default paths: HOME is not set");
  return value;
}

/** Returns `env[name]` when it is an absolute path; XDG says relative values must be ignored. */
function xdg(facts: PlatformFacts, name: string): string | undefined {
  const value = facts.env[name];
  return value && value.startsWith("/") ? value : undefined;
}

/**
 * The socket path: `--socket`, then `CRYSTALMATH_SOCKET`, then `$XDG_RUNTIME_DIR/crystalmath.sock`,
 * then the user cache directory (`~/Library/Caches` on macOS, `${XDG_CACHE_HOME:-~/.cache}`
 * elsewhere). The last two rules match the path the terminal UI computes.
 */
export function resolveSocketPath(facts: PlatformFacts, flag?: string): string {
  if (flag) return flag;
  if (facts.env.CRYSTALMATH_SOCKET) return facts.env.CRYSTALMATH_SOCKET;
  const runtime = xdg(facts, "XDG_RUNTIME_DIR");
  if (runtime) return join(runtime, SOCKET_NAME);
  if (facts.os === "darwin") return join(home(facts), "Library", "Caches", SOCKET_NAME);
  return join(xdg(facts, "XDG_CACHE_HOME") ?? join(home(facts), ".cache"), SOCKET_NAME);
}

/**
 * The database path: `--db`/`--db-path`, then `CRYSTALMATH_DB`, then `CRYSTAL_TUI_DB` (set by the
 * terminal UI when it spawns the daemon), then the user data directory.
 */
export function resolveDbPath(facts: PlatformFacts, flag?: string): string {
  const chosen = flag || facts.env.CRYSTALMATH_DB || facts.env.CRYSTAL_TUI_DB;
  return chosen || join(resolveDataDir(facts), "crystalmath.db");
}

/** The data directory: `CRYSTALMATH_DATA_DIR`, or `crystalmath` in the user data directory. Jobs live here. */
export function resolveDataDir(facts: PlatformFacts): string {
  if (facts.env.CRYSTALMATH_DATA_DIR) return facts.env.CRYSTALMATH_DATA_DIR;
  if (facts.os === "darwin") return join(home(facts), "Library", "Application Support", APP_DIR);
  return join(xdg(facts, "XDG_DATA_HOME") ?? join(home(facts), ".local", "share"), APP_DIR);
}

/** The config file: `CRYSTALMATH_CONFIG`, or `config.toml` in the user config directory. */
export function resolveConfigPath(facts: PlatformFacts): string {
  if (facts.env.CRYSTALMATH_CONFIG) return facts.env.CRYSTALMATH_CONFIG;
  if (facts.os === "darwin") {
    return join(home(facts), "Library", "Application Support", APP_DIR, "config.toml");
  }
  return join(
    xdg(facts, "XDG_CONFIG_HOME") ?? join(home(facts), ".config"),
    APP_DIR,
    "config.toml",
  );
}

/**
 * The user's template directory: beside the default config file, never inside the source tree;
 * null when neither HOME nor XDG_CONFIG_HOME says where that is (the daemon then has only its
 * built-ins).
 */
export function resolveTemplatesDir(facts: PlatformFacts): string | null {
  if (!facts.env.HOME && (facts.os === "darwin" || !xdg(facts, "XDG_CONFIG_HOME"))) return null;
  if (facts.os === "darwin") {
    return join(home(facts), "Library", "Application Support", APP_DIR, "templates");
  }
  return join(xdg(facts, "XDG_CONFIG_HOME") ?? join(home(facts), ".config"), APP_DIR, "templates");
}

/** The log file used when stderr is not a terminal: the user state directory. */
export function resolveLogPath(facts: PlatformFacts, flag?: string): string {
  if (flag) return flag;
  if (facts.os === "darwin") {
    return join(home(facts), "Library", "Logs", APP_DIR, "crystalmath.log");
  }
  const state = xdg(facts, "XDG_STATE_HOME") ?? join(home(facts), ".local", "state");
  return join(state, APP_DIR, "crystalmath.log");
}

/** The pid file that sits beside a socket: `x.sock` → `x.pid`. */
export function pidFilePath(socketPath: string): string {
  return socketPath.endsWith(".sock") ? `${socketPath.slice(0, -5)}.pid` : `${socketPath}.pid`;
}
