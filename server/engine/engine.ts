/**
 * What every use case works with: the job store, the runners, the clusters' database and the
 * data directory. Plain objects, no RPC: a handler or a workflow calls the same functions.
 *
 * @module
 */
import type { Config } from "../config.ts";
import type { JobStore } from "../jobs/store.ts";
import type { Logger } from "../log.ts";
import type { RunnerSet } from "../runners/runner.ts";
import type { SshPool } from "../ssh/pool.ts";

/** The engine's parts. */
export interface Engine {
  store: JobStore;
  runners: RunnerSet;
  config: Config;
  log: Logger;
  ssh: SshPool;
}
