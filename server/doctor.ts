/**
 * `crystalmath-server doctor`: checks what the daemon stands on, each with a fix: the folders of
 * the socket, the database and the data, the database's integrity, a daemon already on the
 * database, the CRYSTAL programs, ssh-agent, and every cluster's reachability and host key.
 * It changes nothing.
 *
 * @module
 */
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { clusterOf, sshTargetOf } from "./clusters/cluster.ts";
import type { Config } from "./config.ts";
import { databaseLockPath } from "./pid_lock.ts";
import { assertPrivateDirectory } from "./private_files.ts";
import { SILENT_LOGGER } from "./log.ts";
import type { ClusterRow } from "./db/clusters.ts";

/** One check's outcome. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when it is not ok. */
  fix?: string;
}

function folderCheck(name: string, dir: string): Check {
  try {
    assertPrivateDirectory(dir, name);
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message, fix: `chmod 700 "${dir}"` };
  }
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(dir);
  } catch {
    return { name, ok: true, detail: `${dir} does not exist yet; it is made 0700` };
  }
  const uid = Deno.uid();
  if (uid !== null && info.uid !== uid) {
    return {
      name,
      ok: false,
      detail: `${dir} belongs to uid ${info.uid}, not to you (uid ${uid})`,
      fix: `use a folder of your own (--socket, --db, CRYSTALMATH_DATA_DIR)`,
    };
  }
  return { name, ok: true, detail: `${dir} (mode ${((info.mode ?? 0) & 0o7777).toString(8)})` };
}

function databaseCheck(path: string): Check[] {
  const name = "database";
  try {
    Deno.statSync(path);
  } catch {
    return [{ name, ok: true, detail: `${path} does not exist yet; the daemon creates it` }];
  }
  const checks: Check[] = [];
  const mode = (Deno.statSync(path).mode ?? 0) & 0o777;
  if (mode & 0o077) {
    checks.push({
      name: "database mode",
      ok: false,
      detail: `${path} is mode ${mode.toString(8)}: others can read your jobs`,
      fix: `chmod 600 "${path}"`,
    });
  }
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    const rows = db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[];
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== "ok");
    checks.push(
      problems.length === 0 ? { name, ok: true, detail: `${path}: integrity_check ok` } : {
        name,
        ok: false,
        detail: `${path}: ${problems.slice(0, 3).join("; ")}`,
        fix: "stop the daemon and restore the database from a backup",
      },
    );
  } catch (error) {
    checks.push({
      name,
      ok: false,
      detail: `${path}: ${(error as Error).message}`,
      fix: "stop the daemon and restore the database from a backup",
    });
  } finally {
    db?.close();
  }
  return checks;
}

function daemonCheck(config: Config): Check {
  const name = "daemon on the database";
  const path = databaseLockPath(config.dbPath);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch {
    return { name, ok: true, detail: "none is running" };
  }
  try {
    if (file.tryLockSync(true)) {
      file.unlockSync();
      return { name, ok: true, detail: "none is running" };
    }
  } finally {
    file.close();
  }
  const [pid, socket] = Deno.readTextFileSync(path).split("\n");
  const isOurs = socket === config.socketPath;
  return {
    name,
    ok: isOurs,
    detail: `pid ${pid} uses it, on socket ${socket}`,
    ...(isOurs ? {} : {
      fix: `that daemon answers on another socket than ${config.socketPath}: stop it with ` +
        `"crystalmath-server stop --socket ${socket}", or give this one its --socket`,
    }),
  };
}

function programCheck(
  label: string,
  program: string,
  env: Readonly<Record<string, string | undefined>>,
): Check {
  const name = `program ${label}`;
  const candidates = program.includes("/")
    ? [program]
    : (env.PATH ?? "").split(":").filter(Boolean).map((dir) => `${dir}/${program}`);
  for (const candidate of candidates) {
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && ((info.mode ?? 0) & 0o111)) {
        return { name, ok: true, detail: candidate };
      }
    } catch {
      // Not in this folder of PATH: look in the next.
    }
  }
  return {
    name,
    ok: false,
    detail: `${program} is not found${program.includes("/") ? "" : " on PATH"}`,
    fix: "install CRYSTAL, or set [crystal] in config.toml (or CRY23_EXEDIR)",
  };
}

async function agentCheck(socket: string | null): Promise<Check> {
  const name = "ssh-agent";
  if (socket === null) {
    return { name, ok: true, detail: "SSH_AUTH_SOCK is not set: clusters use key files" };
  }
  try {
    const conn = await Deno.connect({ transport: "unix", path: socket });
    conn.close();
    return { name, ok: true, detail: socket };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `SSH_AUTH_SOCK=${socket} does not answer: ${(error as Error).message}`,
      fix: 'start an agent (eval "$(ssh-agent)") and ssh-add your key',
    };
  }
}

async function clusterChecks(config: Config): Promise<Check[]> {
  let rows: ClusterRow[];
  try {
    const db = new DatabaseSync(config.dbPath, { readOnly: true });
    try {
      rows = db.prepare("SELECT * FROM clusters ORDER BY id").all() as unknown as ClusterRow[];
    } finally {
      db.close();
    }
  } catch {
    return []; // No database (or no clusters table) yet: no clusters to check.
  }
  if (rows.length === 0) return [];
  const { SshPool } = await import("./ssh/pool.ts");
  await using pool = new SshPool({ ...config.ssh, log: SILENT_LOGGER });
  const checks: Check[] = [];
  for (const row of rows) {
    const cluster = clusterOf(row);
    const name = `cluster ${cluster.name}`;
    try {
      const probe = await pool.probe(sshTargetOf(cluster), { timeoutMs: 15_000 });
      const key = probe.hostKey;
      if (key.status !== "known") {
        checks.push({
          name,
          ok: false,
          detail: `host key ${key.status} (${key.fingerprint_sha256})`,
          fix: key.status === "mismatch"
            ? "the host's key changed: find out why before trusting anything"
            : `check the fingerprint, then: crystalmath-server call clusters.trust_host_key id=${cluster.id} fingerprint_sha256=${key.fingerprint_sha256}`,
        });
      } else if (probe.error !== undefined) {
        checks.push({ name, ok: false, detail: probe.error, fix: "check the host, user and key" });
      } else {
        checks.push({
          name,
          ok: true,
          detail: `reachable in ${probe.latencyMs} ms, host key trusted`,
        });
      }
    } catch (error) {
      checks.push({
        name,
        ok: false,
        detail: (error as Error).message,
        fix: "check that the host is up and reachable, and its port",
      });
    }
  }
  return checks;
}

/** Runs every check. */
export async function runDoctor(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Check[]> {
  return [
    folderCheck("socket folder", dirname(config.socketPath)),
    folderCheck("database folder", dirname(config.dbPath)),
    folderCheck("data folder", config.dataDir),
    ...databaseCheck(config.dbPath),
    daemonCheck(config),
    programCheck("crystal", config.crystal.executable, env),
    programCheck("properties", config.crystal.properties, env),
    await agentCheck(config.ssh.agentSocket),
    ...await clusterChecks(config),
  ];
}
