/**
 * What `verdi` prints, read: its version, the workflow plugins it lists, and the summary of one
 * process (`verdi process show`), mapped onto our workflow states; and the remote commands, as
 * argv for the pooled SSH exec (which quotes each word). Pure: no I/O.
 *
 * Formats, from aiida-core 2.x: `verdi --version` prints `AiiDA version 2.6.3` (click's
 * version_option in cmdline/commands/cmd_verdi.py); `verdi plugin list aiida.workflows` prints
 * `* <entry point>` lines; `verdi process show` starts with tabulate's table of `Property Value`
 * rows, `state` as `Finished [0]`, `Finished [300] <message>`, `Excepted <exception>`, `Killed`,
 * `Waiting`, `Running` or `Created` (cmdline/utils/common.py get_node_summary), then tables of
 * `Inputs`, `Outputs`, `Called` links.
 *
 * @module
 */
import type { WorkflowState } from "../model/workflow.ts";

/** The aiida-crystal-dft workflow launch_aiida runs (its pyproject entry point). */
export const CRYSTAL_DFT_WORKFLOW = "crystal_dft.base";

/** What to install, said once for every message. */
export const INSTALL_HINT = "pip install 'aiida-core>=2' aiida-crystal-dft";

/** A cluster's AiiDA settings (clusters.<name>.aiida). */
export interface AiidaSettings {
  profile: string;
  code_label: string;
  verdi?: string | undefined;
}

/** What running verdi needs: where it is and the profile. */
export type VerdiSettings = Pick<AiidaSettings, "profile" | "verdi">;

/** The outcome of one remote command, as the SSH pool gives it. */
export interface CommandOutcome {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** aiida-core's version, read from `verdi --version`; undefined when it is not there. */
export function parseVerdiVersion(
  stdout: string,
): { major: number; minor: number; patch: number; text: string } | undefined {
  const match = /\bAiiDA version v?(\d+)\.(\d+)(?:\.(\d+))?\S*/i.exec(stdout) ??
    /\bverdi, version v?(\d+)\.(\d+)(?:\.(\d+))?\S*/i.exec(stdout);
  if (match === null) return undefined;
  const text = match[0].replace(/^.*version v?/i, "");
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0), text };
}

/** The entry points `verdi plugin list <group>` lists. */
export function parsePluginList(stdout: string): string[] {
  return stdout.split("\n").flatMap((line) => {
    const match = /^\s*\*\s+(\S+)\s*$/.exec(line);
    return match ? [match[1]!] : [];
  });
}

/** Whether AiiDA is usable on a cluster, and if not, exactly why and what to do. */
export type ProbeVerdict =
  | { usable: true; aiida_version: string }
  | { usable: false; reason: string };

/** The first line of what a failed command said. */
function said(outcome: CommandOutcome): string {
  const line = (outcome.stderr.trim() || outcome.stdout.trim()).split("\n")[0]?.trim() ?? "";
  return line === "" ? `exit code ${outcome.code}` : line;
}

/** Why a cluster has no AiiDA settings, and how to give it some. */
export function notConfigured(cluster: { id: number; name: string }): string {
  return `Cluster "${cluster.name}" has no aiida settings. AiiDA is Python-only: install it on ` +
    `the cluster (${INSTALL_HINT}), make a profile (verdi presto, or verdi profile setup with ` +
    `RabbitMQ so that processes can be submitted), register CRYSTAL as a code (verdi code ` +
    `create), then clusters.update {"id": ${cluster.id}, "aiida": {"profile": "<profile>", ` +
    `"code_label": "<code>@<computer>"}}; or use workflows.create_* (native job graphs) instead`;
}

/** The verdict of `verdi --version`, then (when that passed) of the plugin list. */
export function probeVerdict(
  cluster: { name: string },
  settings: VerdiSettings,
  version: CommandOutcome,
  plugins?: CommandOutcome,
): ProbeVerdict {
  const verdi = settings.verdi ?? "verdi";
  const instead = "or use workflows.create_* (native job graphs) instead";
  if (version.code === 127 || version.code === 126) {
    return {
      usable: false,
      reason: `verdi was not found on "${cluster.name}" (${verdi}: ${said(version)}): ` +
        `install AiiDA there (${INSTALL_HINT}) and set aiida.verdi to its absolute path if it ` +
        `is not on the login shell's PATH; ${instead}`,
    };
  }
  const parsed = parseVerdiVersion(version.stdout);
  if (version.code !== 0 || parsed === undefined) {
    return {
      usable: false,
      reason: `"${verdi} --version" on "${cluster.name}" did not print an AiiDA version ` +
        `(${said(version)}): install AiiDA there (${INSTALL_HINT}); ${instead}`,
    };
  }
  if (parsed.major < 2) {
    return {
      usable: false,
      reason: `"${cluster.name}" has aiida-core ${parsed.text}; workflows.launch_aiida needs ` +
        `aiida-core 2 or later with aiida-crystal-dft: pip install --upgrade 'aiida-core>=2' ` +
        `aiida-crystal-dft (then verdi presto, or migrate the profile with verdi storage ` +
        `migrate); ${instead}`,
    };
  }
  if (plugins === undefined) return { usable: true, aiida_version: parsed.text };
  if (plugins.code !== 0) {
    return {
      usable: false,
      reason: `"${verdi} -p ${settings.profile} plugin list aiida.workflows" failed on ` +
        `"${cluster.name}" (${said(plugins)}): make the profile (verdi presto --profile-name ` +
        `${settings.profile}) or set aiida.profile to one that verdi profile list shows; ${instead}`,
    };
  }
  if (!parsePluginList(plugins.stdout).includes(CRYSTAL_DFT_WORKFLOW)) {
    return {
      usable: false,
      reason: `The AiiDA on "${cluster.name}" has no aiida-crystal-dft (verdi plugin list ` +
        `aiida.workflows does not list ${CRYSTAL_DFT_WORKFLOW}): pip install aiida-crystal-dft ` +
        `in verdi's Python environment; ${instead}`,
    };
  }
  return { usable: true, aiida_version: parsed.text };
}

/** The argv of verdi with the profile: `verdi -p <profile> <args...>`. */
export function verdiArgv(settings: VerdiSettings, args: readonly string[]): string[] {
  return [settings.verdi ?? "verdi", "-p", settings.profile, ...args];
}

/** AiiDA's process states (plumpy ProcessState values). */
export const AIIDA_PROCESS_STATES = [
  "created",
  "waiting",
  "running",
  "finished",
  "excepted",
  "killed",
] as const;
/** One of AiiDA's process states. */
export type AiidaProcessState = typeof AIIDA_PROCESS_STATES[number];

/** What `verdi process show` says of one process. */
export interface ProcessSummary {
  pk: number;
  uuid: string | null;
  process_label: string | null;
  process_state: AiidaProcessState;
  exit_status: number | null;
  /** The exit message of a finished process, or the exception of an excepted one. */
  exit_message: string | null;
  /** Its top-level outputs: link label, node pk and node type. */
  outputs: { label: string; pk: number; type: string }[];
}

/** Reads `verdi process show <pk>`; undefined when it has no process summary in it. */
export function parseProcessShow(stdout: string): ProcessSummary | undefined {
  const lines = stdout.split("\n");
  const property = (name: string): string | undefined => {
    for (const line of lines) {
      const match = new RegExp(`^${name}\\s{2,}(.*?)\\s*$`).exec(line) ??
        new RegExp(`^${name}\\s*$`).exec(line);
      if (match) return match[1] ?? "";
    }
    return undefined;
  };
  const pk = Number(property("pk"));
  const state = property("state");
  if (!Number.isSafeInteger(pk) || pk <= 0 || state === undefined) return undefined;
  const parsed = /^(Created|Waiting|Running|Finished|Excepted|Killed)\b\s*(?:\[(-?\d+)\])?\s*(.*)$/i
    .exec(state);
  if (parsed === null) return undefined;
  const processState = parsed[1]!.toLowerCase() as AiidaProcessState;
  const rest = parsed[3]!.trim();
  const message = processState === "excepted" ? rest.replace(/^<|>$/g, "") : rest;
  return {
    pk,
    uuid: property("uuid") || null,
    process_label: property("type") || null,
    process_state: processState,
    exit_status: parsed[2] === undefined ? null : Number(parsed[2]),
    exit_message: message === "" ? null : message,
    outputs: outputsOf(lines),
  };
}

/** The top-level rows of the `Outputs PK Type` table. */
function outputsOf(lines: readonly string[]): ProcessSummary["outputs"] {
  const header = lines.findIndex((line) => /^Outputs\s+PK\s+Type\s*$/.test(line));
  if (header < 0) return [];
  const rows: ProcessSummary["outputs"] = [];
  for (const line of lines.slice(header + 2)) {
    if (line.trim() === "") break;
    const match = /^(\S+)\s+(\d+)\s+(\S+)\s*$/.exec(line);
    if (match) rows.push({ label: match[1]!, pk: Number(match[2]), type: match[3]! });
  }
  return rows;
}

/**
 * Our state for an AiiDA process: created stays created; waiting and running are running; a
 * finished process completed when its exit status is 0 and failed otherwise; excepted is failed
 * and killed is cancelled.
 */
export function workflowStateOf(
  process: { process_state: AiidaProcessState; exit_status: number | null },
): WorkflowState {
  switch (process.process_state) {
    case "created":
      return "created";
    case "waiting":
    case "running":
      return "running";
    case "finished":
      return process.exit_status === 0 ? "completed" : "failed";
    case "excepted":
      return "failed";
    case "killed":
      return "cancelled";
  }
}

/** Why a process that did not complete ended as it did, for the workflow's error. */
export function failureOf(process: ProcessSummary): string | null {
  switch (process.process_state) {
    case "finished":
      return process.exit_status === 0 ? null : `AiiDA process ${process.pk} finished with ` +
        `exit status ${process.exit_status}${
          process.exit_message ? `: ${process.exit_message}` : ""
        } (verdi process report ${process.pk})`;
    case "excepted":
      return `AiiDA process ${process.pk} excepted${
        process.exit_message ? `: ${process.exit_message}` : ""
      } (verdi process report ${process.pk})`;
    case "killed":
      return `AiiDA process ${process.pk} was killed`;
    default:
      return null;
  }
}

/** The PK the launcher printed: its last line `{"pk": N, ...}`. */
export function parseLaunchOutput(
  stdout: string,
): { pk: number; uuid: string | null; warnings: string[] } | { error: string } | undefined {
  const lines = stdout.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("{"));
  for (const line of lines.reverse()) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof value !== "object" || value === null) continue;
    const record = value as Record<string, unknown>;
    if (typeof record.error === "string") return { error: record.error };
    if (typeof record.pk === "number" && Number.isSafeInteger(record.pk) && record.pk > 0) {
      return {
        pk: record.pk,
        uuid: typeof record.uuid === "string" ? record.uuid : null,
        warnings: Array.isArray(record.warnings)
          ? record.warnings.filter((w): w is string => typeof w === "string")
          : [],
      };
    }
  }
  return undefined;
}
