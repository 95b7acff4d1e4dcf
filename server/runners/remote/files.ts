/**
 * Moving a remote job's files: inputs and restart files up before it starts, results down after
 * it ends (large binaries stay on the host).
 *
 * @module
 */
import { join } from "node:path";
import { InvalidStateError, SlurmRejectedError } from "../../errors.ts";
import type { FileTail } from "../runner.ts";
import { type JobRow, sameClusterRestartDir } from "../../model/job.ts";
import {
  FORT34_FILE,
  INPUT_FILE,
  PROPERTIES_INPUT_FILE,
  RESTART_FILES,
} from "../../jobs/job_dir.ts";
import { firstLine } from "../../slurm/commands.ts";
import type { Transport } from "./scheduler.ts";

/** Remote files larger than this stay on the cluster (wave functions, mostly). */
const FETCH_MAX_BYTES = 64 * 1024 * 1024;
/** Never fetched: binary restart data that only matters on the cluster. */
const KEEP_REMOTE = new Set(["fort.9", "fort.20", "fort.98"]);

/**
 * Makes the job's remote directory and puts its inputs, restart files and run script there.
 * Restart files of a job on the same cluster are the run script's to copy
 * (`sameClusterRestartDir`); others come from the local copy. The job's own fort.34, if it has
 * one, goes up last: it wins.
 */
export async function uploadJob(
  transport: Transport,
  job: { row: JobRow; script: { name: string; text: string }; source: JobRow | null },
): Promise<void> {
  const { row } = job;
  const dir = row.remote_dir!;
  const made = await transport.exec(["mkdir", "-p", "--", dir]);
  if (made.code !== 0) {
    throw new SlurmRejectedError(
      `Cannot create "${dir}" on "${transport.name}": ${firstLine(made)}`,
    );
  }
  await transport.upload(join(row.work_dir!, INPUT_FILE), join(dir, INPUT_FILE));
  if (row.properties_input !== null) {
    await transport.upload(
      join(row.work_dir!, PROPERTIES_INPUT_FILE),
      join(dir, PROPERTIES_INPUT_FILE),
    );
  }
  if (row.restart_from !== null && sameClusterRestartDir(row, job.source) === null) {
    for (const name of RESTART_FILES) {
      const local = join(row.work_dir!, name);
      if (await Deno.stat(local).then(() => true, () => false)) {
        await transport.upload(local, join(dir, name));
      }
    }
  }
  if (row.fort34 !== null) {
    await transport.upload(join(row.work_dir!, FORT34_FILE), join(dir, FORT34_FILE));
  }
  await transport.writeFile(join(dir, job.script.name), job.script.text);
}

/**
 * True for a plain file name: no path separator, not `.` or `..`, no NUL or other control
 * character. A name from a host's listing is joined into a local path only if it is one.
 */
export function isPlainName(name: string): boolean {
  // deno-lint-ignore no-control-regex
  return name !== "" && name !== "." && name !== ".." && !/[/\\\u0000-\u001f\u007f]/.test(name);
}

/**
 * Copies the remote job directory's files into the local one (large binaries stay remote).
 * Returns the names it refused: a hostile host must not write outside the job directory.
 */
export async function fetchResults(transport: Transport, row: JobRow): Promise<string[]> {
  const entries = await transport.readdir(row.remote_dir!);
  await Deno.mkdir(row.work_dir!, { recursive: true, mode: 0o700 });
  const refused: string[] = [];
  for (const entry of entries) {
    if (!isPlainName(entry.name)) {
      refused.push(entry.name);
      continue;
    }
    if (!entry.isFile || KEEP_REMOTE.has(entry.name) || entry.size > FETCH_MAX_BYTES) continue;
    if (entry.name === INPUT_FILE || entry.name === PROPERTIES_INPUT_FILE) continue; // Ours already.
    await transport.download(
      join(row.work_dir!, entry.name),
      join(row.remote_dir!, entry.name),
      entry.size,
    );
  }
  return refused;
}

/** The last `lines` lines of a job's file on its host, and its size. */
export async function tailRemote(
  transport: Transport,
  job: JobRow,
  options: { file: string; lines: number },
): Promise<FileTail> {
  const path = join(job.remote_dir!, options.file);
  const result = await transport.exec(
    ["sh", "-c", 'wc -c < "$1" && tail -n "$2" "$1"', "sh", path, String(options.lines + 1)],
  );
  if (result.code !== 0) {
    throw new InvalidStateError(
      `Cannot read "${options.file}" on "${transport.name}" yet: ${firstLine(result)}`,
    );
  }
  const [size, ...rest] = result.stdout.split("\n");
  if (rest.at(-1) === "") rest.pop();
  return {
    lines: rest.slice(-options.lines),
    size_bytes: Number(size),
    truncated: rest.length > options.lines,
    path: `${transport.name}:${path}`,
  };
}
