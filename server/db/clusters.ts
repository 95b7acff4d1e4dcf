/**
 * All SQL for clusters. The connection and scheduler settings beyond the indexed columns are kept
 * as JSON in `settings_json`, validated by the methods before they are stored.
 *
 * @module
 */
import { ConflictError, InvalidStateError, NotFoundError } from "../errors.ts";
import type { Database } from "./open.ts";

/** A clusters row, as stored. */
export interface ClusterRow {
  id: number;
  name: string;
  cluster_type: "slurm" | "ssh";
  hostname: string;
  port: number;
  username: string;
  settings_json: string;
  created_at: string;
  updated_at: string;
}

/** The columns a cluster is written with. */
export type ClusterFields = Omit<ClusterRow, "id" | "created_at" | "updated_at">;

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && /UNIQUE constraint failed: clusters.name/.test(error.message);
}

const COLUMNS = ["name", "cluster_type", "hostname", "port", "username", "settings_json"] as const;

/**
 * Runs an INSERT or UPDATE that writes the cluster columns, turning a taken name into a
 * ConflictError.
 */
function writeCluster(
  db: Database,
  sql: string,
  args: (string | number)[],
  conflict: string,
): ClusterRow {
  try {
    return db.prepare(sql).get(...args) as unknown as ClusterRow;
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(conflict, { data: { name: args[0] } });
    throw error;
  }
}

/** Inserts a cluster. @throws {ConflictError} when the name is taken */
export function insertCluster(db: Database, fields: ClusterFields, at: string): ClusterRow {
  return writeCluster(
    db,
    `INSERT INTO clusters (${
      COLUMNS.join(", ")
    }, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    [...COLUMNS.map((c) => fields[c]), at, at],
    `Cannot create cluster "${fields.name}": the name is taken`,
  );
}

/** True when a cluster has `id` or `name`. */
export function clusterTaken(db: Database, by: { id?: number; name?: string }): boolean {
  const row = db.prepare("SELECT 1 FROM clusters WHERE id = ? OR name = ?").get(
    by.id ?? null,
    by.name ?? null,
  );
  return row !== undefined;
}

/** Inserts a cluster with a given id and times (an import). */
export function insertClusterWithId(
  db: Database,
  id: number,
  fields: ClusterFields,
  times: { created_at: string; updated_at: string },
): ClusterRow {
  return writeCluster(
    db,
    `INSERT INTO clusters (id, ${
      COLUMNS.join(", ")
    }, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    [id, ...COLUMNS.map((c) => fields[c]), times.created_at, times.updated_at],
    `Cannot import cluster "${fields.name}": the name is taken`,
  );
}

/** The id the next new cluster gets. */
export function nextClusterId(db: Database): number {
  return (db.prepare("SELECT COALESCE(MAX(id), 0) + 1 AS id FROM clusters").get() as { id: number })
    .id;
}

/** Every cluster, by name. */
export function listClusters(db: Database): ClusterRow[] {
  return db.prepare("SELECT * FROM clusters ORDER BY name")
    .all() as unknown as ClusterRow[];
}

/** The cluster with `id`. @throws {NotFoundError} when there is none */
export function getCluster(db: Database, id: number): ClusterRow {
  const row = db.prepare("SELECT * FROM clusters WHERE id = ?").get(id) as
    | ClusterRow
    | undefined;
  if (!row) throw new NotFoundError(`Cluster ${id} does not exist`, { data: { id } });
  return row;
}

/** Replaces a cluster's fields. @throws {ConflictError} when the new name is taken */
export function updateCluster(
  db: Database,
  id: number,
  fields: ClusterFields,
  at: string,
): ClusterRow {
  getCluster(db, id);
  return writeCluster(
    db,
    `UPDATE clusters SET ${
      COLUMNS.map((c) => `${c} = ?`).join(", ")
    }, updated_at = ? WHERE id = ? RETURNING *`,
    [...COLUMNS.map((c) => fields[c]), at, id],
    `Cannot rename cluster ${id} to "${fields.name}": the name is taken`,
  );
}

/** Jobs on a cluster by state: the ones still active, and all. */
export function clusterJobCounts(db: Database, id: number): { active: number; total: number } {
  return db.prepare(
    `SELECT COALESCE(SUM(state IN ('created', 'submitted', 'queued', 'running', 'unknown')), 0) AS active,
       COUNT(*) AS total FROM jobs WHERE cluster_id = ?`,
  ).get(id) as { active: number; total: number };
}

/**
 * Deletes a cluster. Its finished jobs stay, detached from it.
 * @throws {InvalidStateError} when jobs on it are active and `force` is not set
 */
export function deleteCluster(
  db: Database,
  id: number,
  options: { force: boolean },
): { detached_jobs: number } {
  return db.transaction((c) => {
    getCluster(db, id);
    const { active, total } = clusterJobCounts(db, id);
    if (active > 0 && !options.force) {
      throw new InvalidStateError(
        `Cannot delete cluster ${id}: ${active} job${
          active === 1 ? " is" : "s are"
        } still active on it; cancel them or pass force`,
        { data: { id, active_jobs: active } },
      );
    }
    c.prepare("UPDATE jobs SET cluster_id = NULL WHERE cluster_id = ?").run(id);
    c.prepare("DELETE FROM clusters WHERE id = ?").run(id);
    return { detached_jobs: total };
  });
}
