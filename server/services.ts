/**
 * The composition root: builds the daemon's services (database, job store, SSH pool, runners,
 * the dependency holder, the workflow engine) in one AsyncDisposableStack, so that the order in
 * which they are torn down, the reverse of the order they are built in, is written once.
 *
 * @module
 */
import { AiidaService } from "./aiida/service.ts";
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import { Database } from "./db/open.ts";
import type { Engine } from "./engine/engine.ts";
import { DependencyHolder } from "./engine/dependencies.ts";
import { JobStore } from "./jobs/store.ts";
import type { Logger } from "./log.ts";
import { LocalRunner } from "./runners/local/local_runner.ts";
import { RemoteRunner } from "./runners/remote/remote_runner.ts";
import { RunnerSet } from "./runners/runner.ts";
import { SLURM_SCHEDULER } from "./runners/slurm/slurm_scheduler.ts";
import { DIRECT_SCHEDULER } from "./runners/ssh/direct_scheduler.ts";
import { SshPool } from "./ssh/pool.ts";
import { TemplateRenderer } from "./templates/renderer.ts";
import { WorkflowEngine } from "./workflows/workflow_engine.ts";

/** The daemon's services, disposed together. */
export interface Services extends AsyncDisposable {
  db: Database;
  engine: Engine;
  /** The template render worker, started on first use. */
  templates: TemplateRenderer;
  workflows: WorkflowEngine;
  /** Workflows run in a cluster's own AiiDA. */
  aiida: AiidaService;
}

/**
 * Builds and starts every service. Runs are reconciled before this returns: a request must not
 * queue work while runs are still being adopted. On failure, what was built is disposed.
 * @throws {DatabaseError} when the database cannot be opened
 */
export async function buildServices(
  config: Config,
  deps: { log: Logger; clock: Clock },
): Promise<Services> {
  await using stack = new AsyncDisposableStack();
  const { log, clock } = deps;
  const db = stack.use(Database.open(config.dbPath));
  const store = new JobStore({ db, clock, log, busyBudgetMs: config.database.busyBudgetMs });
  const ssh = stack.use(new SshPool({ ...config.ssh, log }));
  const runners = stack.use(
    new RunnerSet([
      new LocalRunner({ store, log, config }),
      new RemoteRunner({ store, log, config, ssh, scheduler: SLURM_SCHEDULER }),
      new RemoteRunner({ store, log, config, ssh, scheduler: DIRECT_SCHEDULER }),
    ]),
  );
  const engine: Engine = { store, runners, config, log, ssh };
  const templates = stack.use(new TemplateRenderer());
  const holder = stack.use(new DependencyHolder(engine));
  const workflows = stack.use(new WorkflowEngine(engine));
  const aiida = stack.use(
    new AiidaService(engine, workflows, { pollIntervalMs: config.slurm.pollIntervalMs }),
  );
  await runners.start();
  await holder.start();
  await workflows.start();
  aiida.start();
  const owned = stack.move();
  return {
    db,
    engine,
    templates,
    workflows,
    aiida,
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
}
