/**
 * The context every handler receives. Handlers import no singletons: what they use comes in here.
 *
 * @module
 */
import type { AiidaService } from "../aiida/service.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { DatabaseFileKind } from "../db/inspect.ts";
import type { TuiImportReport } from "../db/legacy_tui.ts";
import type { Database } from "../db/open.ts";
import type { Engine } from "../engine/engine.ts";
import type { SshPool } from "../ssh/pool.ts";
import type { TemplateRenderer } from "../templates/renderer.ts";
import type { Logger } from "../log.ts";
import type { RequestContext } from "../rpc/define_method.ts";
import type { OpenRpcDocument } from "../rpc/openrpc.ts";
import type { WorkflowEngine } from "../workflows/workflow_engine.ts";

/** What `system.status` reports. */
export interface DaemonStatus {
  pid: number;
  started_at: string;
  uptime_s: number;
  socket: string;
  db_path: string;
  connections: number;
  requests_served: number;
  inactivity_timeout_s: number;
  /** What the file at CRYSTAL_TUI_DB is and what was done with it; null without it. */
  tui_db: {
    path: string;
    kind: DatabaseFileKind;
    detail: string;
    action: string;
    import: TuiImportReport | null;
  } | null;
}

/** What handlers may ask of the daemon itself. */
export interface DaemonControl {
  status(): DaemonStatus;
  /** Begins a graceful shutdown after the current response has been sent. */
  requestShutdown(reason: string): void;
  /** The OpenRPC document, built once from the registry. */
  openrpc(): Promise<OpenRpcDocument>;
}

/** The handler context. */
export interface MethodContext extends RequestContext {
  db: Database;
  log: Logger;
  clock: Clock;
  config: Config;
  daemon: DaemonControl;
  /** The job store, the runners and the use cases' other parts. */
  engine: Engine;
  /** Pooled SSH connections, one per cluster. */
  ssh: SshPool;
  /** The template render worker. */
  templates: TemplateRenderer;
  /** Studies as durable job graphs. */
  workflows: WorkflowEngine;
  /** Workflows run in a cluster's own AiiDA. */
  aiida: AiidaService;
}
