/**
 * What tests that run jobs share: the stand-in CRYSTAL (tests/fixtures/fake_crystal/), a deck
 * whose title picks its behaviour, and waiting for a job to reach a state.
 */
import { join } from "node:path";
import type { SocketClient } from "../client/socket_client.ts";

/** The folder of the stand-in CRYSTAL and properties. */
export const FAKE_CRYSTAL_DIR = new URL("./fixtures/fake_crystal/", import.meta.url).pathname;

/** The environment that makes a daemon run the stand-in for local jobs. */
export const FAKE_CRYSTAL_ENV = {
  CRYSTALMATH_CRYSTAL_EXECUTABLE: join(FAKE_CRYSTAL_DIR, "crystal"),
  CRYSTALMATH_PROPERTIES_EXECUTABLE: join(FAKE_CRYSTAL_DIR, "properties"),
};

/** The energy the stand-in prints for a converged MgO single point. */
export const FAKE_ENERGY = -275.44859113743;

/** An MgO deck whose title (with a marker such as `[slow]`) picks the stand-in's behaviour. */
export function deck(title: string): string {
  return `${title}\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\n` +
    "BASISSET\nPOB-TZVP\nSHRINK\n8 8\nEND\n";
}

/** What tests read of jobs.get. */
export interface JobView {
  pk: number;
  state: string;
  state_reason: string | null;
  started_at: string | null;
  finished_at: string | null;
  final_energy: number | null;
  pid: number | null;
  slurm_job_id: string | null;
  history: { to_state: string; at: string }[];
  [key: string]: unknown;
}

/** Polls `read` until `isDone` says so; throws after `ms`, showing the last value. */
export async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  isDone: (value: T) => boolean,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (isDone(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls jobs.get until the job is in one of `states`; throws after `ms`. */
export function waitForJob(
  client: SocketClient,
  pk: number,
  states: readonly string[],
  ms = 30_000,
): Promise<JobView> {
  return waitFor(
    `job ${pk} to be ${states.join("/")}`,
    () => client.request("jobs.get", { pk }) as Promise<JobView>,
    (job) => states.includes(job.state),
    ms,
  );
}

/** The states a job never leaves. */
export const ENDED = ["completed", "failed", "cancelled"] as const;
