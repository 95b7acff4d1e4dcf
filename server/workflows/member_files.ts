/**
 * What an analysis sees of its members: each member's job, stored results and the files its
 * type reads from the job's directory (fort.25, the properties output ...), read safely (never
 * outside the directory) and only when present.
 *
 * @module
 */
import { resolveJobFile } from "../jobs/job_dir.ts";
import { parseStoredResults } from "../jobs/outcome.ts";
import { type JobRow, outputNameOf } from "../model/job.ts";
import type { MemberRow } from "../model/workflow.ts";
import type { MemberOutcome } from "./workflow_type.ts";

/** A file larger than this is not read for an analysis. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** `{output}` in a name stands for the job's output name ("mgo-bands" → mgo-bands.out). */
export function fileNameFor(job: JobRow, name: string): string {
  return name.replaceAll("{output}", outputNameOf(job));
}

/** The files of `job` among `names` that exist, keyed by the names as given. */
export async function readJobFiles(
  job: JobRow | undefined,
  names: readonly string[],
): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  if (job === undefined || job.work_dir === null) return files;
  for (const name of names) {
    try {
      const path = await resolveJobFile(job.work_dir, fileNameFor(job, name));
      if ((await Deno.stat(path)).size > MAX_FILE_BYTES) continue;
      files[name] = await Deno.readTextFile(path);
    } catch {
      // Absent, unreadable or refused: the analysis says what it missed.
    }
  }
  return files;
}

/** The outcomes of `members`, their jobs found with `find`, with the files `reads` names. */
export async function memberOutcomes(
  members: readonly MemberRow[],
  find: (pk: number) => JobRow | undefined,
  reads: readonly string[],
): Promise<MemberOutcome[]> {
  const outcomes: MemberOutcome[] = [];
  for (const m of members) {
    const job = m.job_pk === null ? undefined : find(m.job_pk);
    outcomes.push({
      key: m.member_key,
      name: m.name,
      meta: JSON.parse(m.meta_json) as Record<string, unknown>,
      job,
      results: parseStoredResults(job?.results_json ?? null),
      files: reads.length === 0 ? {} : await readJobFiles(job, reads),
    });
  }
  return outcomes;
}
