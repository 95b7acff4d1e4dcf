/**
 * Writes a recorded job's local directory: its inputs (and its fort.34), and the restart files of the job it
 * restarts from when that job ran here. Every runner starts from this local copy (a remote
 * runner uploads it).
 *
 * @module
 */
import type { JobRow } from "../model/job.ts";
import { prepareJobDir } from "./job_dir.ts";
import type { JobStore } from "./store.ts";

/**
 * Writes `row`'s directory. A job held for its dependencies gets its restart files when it is
 * released (its source may be one of them, not run yet): this runs again then.
 * @throws whatever the file system throws; InvalidStateError when the source left no restart file
 */
export async function prepareJobFiles(store: JobStore, row: JobRow): Promise<void> {
  const source = row.restart_from === null || row.submit_step === "held"
    ? null
    : store.get(row.restart_from);
  // A remote job's restart files stay on its cluster; the remote runner copies them there.
  const restartDir = source === null || source.remote_dir !== null || row.runner_type !== "local"
    ? null
    : source.work_dir;
  await prepareJobDir(row.work_dir!, {
    input: row.input,
    propertiesInput: row.properties_input,
    restartDir,
    fort34: row.fort34,
  });
}
