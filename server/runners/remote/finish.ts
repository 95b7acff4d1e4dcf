/**
 * What a remote runner records when a job ends, and the progress of running jobs: both read the
 * job's files (fetched, or their ends read on the host) with the same parser and classifier as
 * local runs.
 *
 * @module
 */
import { join } from "node:path";
import { createOutputParser } from "../../crystal/output_parser.ts";
import { findJob } from "../../db/jobs.ts";
import type { Database } from "../../db/open.ts";
import { dependenciesOf, type JobRow, outputNameOf } from "../../model/job.ts";
import { phaseFiles } from "../../jobs/job_dir.ts";
import { followOutput } from "../../jobs/output_follower.ts";
import { classifyRun, progressLimits, progressOf, type RunOutcome } from "../../jobs/outcome.ts";
import { readExitCode } from "../../jobs/process.ts";
import type { Transport } from "./scheduler.ts";

/** How much of each running job's output is read for its progress. */
const PROGRESS_TAIL_BYTES = 16 * 1024;
/** Separates the outputs in one progress read; a line CRYSTAL never prints. */
const TAIL_MARKER = "\n@@crystalmath-output-tail@@\n";
/** Prints the end of each file after the marker. Fixed text: the files come as parameters. */
const TAILS = 'n="$1"; shift; for f in "$@"; do printf "\\n@@crystalmath-output-tail@@\\n"; ' +
  'tail -c "$n" "$f" 2>/dev/null; done';

/** Why a job whose dependency did not succeed was cancelled. */
export function dependencyReason(db: Database, row: JobRow, label: string): string {
  const deps = dependenciesOf(row);
  const failed = deps.map((pk) => findJob(db, pk)).filter((d) => d && d.state !== "completed");
  const which = failed.map((d) => `${d!.pk} (${d!.state})`).join(", ");
  return `dependency did not succeed: job ${which || deps.join(", ")}; ${label} cancelled this job`;
}

/**
 * Classifies a fetched job from its local copy: the CRYSTAL run, then properties after a
 * successful SCF. `word` is the scheduler's last state word (TIMEOUT, FAILED, ...), if any.
 */
export async function classifyFetched(
  row: JobRow,
  seen: { word: string | null; reason: string | null; label: string },
): Promise<{ outcome: RunOutcome; exitCode: number | undefined }> {
  const name = outputNameOf(row);
  if (row.properties_only) return await classifyPropertiesOnly(row, seen);
  const files = phaseFiles(name, "crystal");
  const exitCode = await readExitCode(row.work_dir!, files.exitCode);
  const output = await followOutput(join(row.work_dir!, files.stdout)).finish();
  let outcome = classifyRun({ output, exitCode, phase: "crystal", previous: null });
  if (outcome.state === "completed" && row.properties_input !== null) {
    const props = phaseFiles(name, "properties");
    const propsOutput = await followOutput(join(row.work_dir!, props.stdout)).finish();
    outcome = {
      ...classifyRun({
        output: propsOutput,
        exitCode: await readExitCode(row.work_dir!, props.exitCode),
        phase: "properties",
        previous: outcome.results_json,
      }),
      final_energy: outcome.final_energy,
    };
  }
  return { outcome: withSeen(outcome, exitCode, seen), exitCode };
}

/** A properties-only job: its one run is the properties phase. */
async function classifyPropertiesOnly(
  row: JobRow,
  seen: { word: string | null; reason: string | null; label: string },
): Promise<{ outcome: RunOutcome; exitCode: number | undefined }> {
  const files = phaseFiles(outputNameOf(row), "properties");
  const exitCode = await readExitCode(row.work_dir!, files.exitCode);
  const output = await followOutput(join(row.work_dir!, files.stdout)).finish();
  const outcome = classifyRun({
    output,
    exitCode,
    phase: "properties",
    previous: null,
    isPropertiesOnly: true,
  });
  return { outcome: withSeen(outcome, exitCode, seen), exitCode };
}

/** The outcome's reason with what the scheduler said (walltime, its last state word). */
function withSeen(
  outcome: RunOutcome,
  exitCode: number | undefined,
  seen: { word: string | null; reason: string | null; label: string },
): RunOutcome {
  let reason = outcome.reason;
  if (seen.word?.startsWith("TIMEOUT")) {
    reason = `walltime reached (${seen.label} ${seen.word}): ${reason}`;
  } else if (outcome.state === "failed" && seen.word) {
    reason = `${reason} (${seen.label} ${seen.word})`;
  } else if (seen.reason && exitCode === undefined) reason = `${seen.reason}: ${reason}`;
  return { ...outcome, reason };
}

/**
 * Reads the end of every running job's output on the host in one command and returns the
 * progress of those that moved on.
 */
export async function remoteProgress(
  transport: Transport,
  running: readonly JobRow[],
): Promise<{ pk: number; percent: number }[]> {
  if (running.length === 0) return [];
  const files = running.map((j) =>
    join(j.remote_dir!, phaseFiles(outputNameOf(j), "crystal").stdout)
  );
  const result = await transport.exec([
    "sh",
    "-c",
    TAILS,
    "sh",
    String(PROGRESS_TAIL_BYTES),
    ...files,
  ]);
  const chunks = result.stdout.split(TAIL_MARKER);
  const moved: { pk: number; percent: number }[] = [];
  for (const [i, row] of running.entries()) {
    const parser = createOutputParser();
    for (const line of (chunks[i + 1] ?? "").split("\n")) parser.pushLine(line);
    const percent = progressOf(parser.result(), progressLimits(row.input), "crystal");
    if (percent > row.progress_percent) moved.push({ pk: row.pk, percent });
  }
  return moved;
}
