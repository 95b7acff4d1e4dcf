/**
 * Writes a recorded job's local directory: its inputs (and its fort.34), and the restart files of the job it
 * restarts from when that job ran here. Every runner starts from this local copy (a remote
 * runner uploads it).
 *
 * @module
 */
import { join } from "node:path";
import {
  bandCountOf,
  BandWindowError,
  hasBandTokens,
  resolveBandTokens,
} from "../crystal/band_window.ts";
import { InvalidStateError } from "../errors.ts";
import { type JobRow, outputNameOf, sameClusterRestartDir } from "../model/job.ts";
import { phaseFiles, prepareJobDir } from "./job_dir.ts";
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
    propertiesInput: source === null || sameClusterRestartDir(row, source) !== null
      ? row.properties_input // Band tokens wait for their source, or for the host's run script.
      : await withBands(row.properties_input, source),
    restartDir,
    fort34: row.fort34,
  });
}

/**
 * The .d3 deck with its band tokens (crystal/band_window.ts) placed by the output of the SCF it
 * restarts from, read from that job's local copy.
 * @throws {InvalidStateError} when that output is missing or does not place the bands
 */
async function withBands(deck: string | null, source: JobRow): Promise<string | null> {
  if (deck === null || !hasBandTokens(deck)) return deck;
  const name = phaseFiles(outputNameOf(source), "crystal").stdout;
  const output = source.work_dir === null
    ? null
    : await Deno.readTextFile(join(source.work_dir, name)).catch(() => null);
  try {
    if (output === null) throw new BandWindowError(`its output ${name} is not here`);
    return resolveBandTokens(deck, bandCountOf(output));
  } catch (error) {
    if (!(error instanceof BandWindowError)) throw error;
    throw new InvalidStateError(
      `Cannot choose the bands of the properties deck from job ${source.pk}: ${error.message}`,
    );
  }
}
