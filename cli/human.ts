/**
 * What the commands people type share: a connection that starts the daemon when none runs, a
 * compact table, colour only on a terminal (never with NO_COLOR), and names resolved the way a
 * user gives them (`--cluster hpc1`).
 *
 * @module
 */
import { resolveSocketPath } from "../common/paths.ts";
import { type Client, connect } from "../client/mod.ts";
import type { CommandContext } from "./command.ts";
import { serveArgsFrom } from "./daemon_args.ts";
import { UsageError } from "./exit_codes.ts";
import { isStdoutTerminal } from "./output.ts";

/** Connects, starting the daemon unless --no-start. */
export function clientFor(ctx: Pick<CommandContext, "flags" | "facts">): Promise<Client> {
  const { flags, facts } = ctx;
  return connect({
    socket: resolveSocketPath(facts, flags.socket as string | undefined),
    autoStart: flags["no-start"] ? false : { serveArgs: serveArgsFrom(flags) },
  });
}

/** True when output may be coloured: a terminal, and NO_COLOR unset. */
export function canColour(env: Readonly<Record<string, string | undefined>>): boolean {
  return isStdoutTerminal() && !env.NO_COLOR;
}

const STATE_COLOURS: Record<string, string> = {
  completed: "32",
  failed: "31",
  cancelled: "33",
  running: "36",
  unknown: "35",
};

/** A job state, coloured when `colour` is true. */
export function stateText(state: string, colour: boolean): string {
  const code = STATE_COLOURS[state];
  return colour && code ? `\u001b[${code}m${state}\u001b[0m` : state;
}

/** The visible width of text that may hold colour codes. */
function width(text: string): number {
  // deno-lint-ignore no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, "").length;
}

/** A table with a header row, columns padded to their widest cell, two spaces apart. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => width(r[i] ?? ""))));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => i === cells.length - 1 ? c : c + " ".repeat(widths[i]! - width(c)))
      .join("  ").trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** Seconds as "1h02m", "3m05s" or "12.5s". */
export function durationText(seconds: number | null): string {
  if (seconds === null) return "-";
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

/** A list of job ids from a flag or the arguments. @throws {UsageError} naming a bad one */
export function pksOf(texts: readonly string[], what: string): number[] {
  if (texts.length === 0) throw new UsageError(`Missing ${what}: give a job id such as 12`);
  return texts.flatMap((t) => t.split(",")).filter((t) => t.trim() !== "").map((text) => {
    const pk = Number(text);
    if (!Number.isSafeInteger(pk) || pk <= 0) {
      throw new UsageError(`Invalid ${what} "${text}": expected a job id such as 12`);
    }
    return pk;
  });
}

/** The cluster named `name`. @throws {UsageError} listing the known names */
export async function clusterNamed(
  client: Client,
  name: string,
): Promise<{ id: number; name: string; cluster_type: "slurm" | "ssh" }> {
  const { clusters } = await client.call("clusters.list", {});
  const found = clusters.find((c) => c.name === name);
  if (!found) {
    const known = clusters.map((c) => c.name).join(", ") || "none yet";
    throw new UsageError(`Unknown cluster "${name}": the clusters are ${known}`);
  }
  return found;
}
