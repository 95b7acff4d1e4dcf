import { resolveSocketPath } from "../../common/paths.ts";
import { connect } from "../../client/mod.ts";
import type { NotificationParamsOf } from "../../server/methods/mod.ts";
import { type CommandModule, type FlagValues } from "../command.ts";
import { EXIT_CODES, UsageError } from "../exit_codes.ts";
import { printJson, printNotice, printText } from "../output.ts";

type Change = NotificationParamsOf<"jobs.changed">;

function listFlag(flags: FlagValues, name: "state" | "pk"): string[] | undefined {
  const text = flags[name];
  if (typeof text !== "string") return undefined;
  const items = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) throw new UsageError(`Invalid --${name} "${text}": give a value`);
  return items;
}

function pksOf(flags: FlagValues): number[] | undefined {
  return listFlag(flags, "pk")?.map((text) => {
    const pk = Number(text);
    if (!Number.isSafeInteger(pk) || pk <= 0) {
      throw new UsageError(`Invalid --pk "${text}": expected a job id such as 12`);
    }
    return pk;
  });
}

/** One line per change, `squeue -i` style. */
function lineOf(change: Change): string {
  const time = change.at.slice(11, 19);
  const what = change.event === "deleted"
    ? "deleted"
    : change.event === "progress"
    ? `${change.state} ${Math.round(change.progress_percent)}%`
    : `${change.previous_state ?? "new"} -> ${change.state}`;
  const where = change.cluster_id === null
    ? change.runner_type
    : `${change.runner_type}:${change.cluster_id}`;
  const reason = change.event === "state" && change.reason ? `  ${change.reason}` : "";
  return `${time}  job ${String(change.pk).padEnd(6)} ${where.padEnd(10)} ${what}${reason}`;
}

/** `watch`: print job changes as they happen, until Ctrl-C. */
export const watchCommand: CommandModule = {
  async run({ flags, facts }) {
    const socket = resolveSocketPath(facts, flags.socket as string | undefined);
    const pks = pksOf(flags);
    const states = listFlag(flags, "state");
    await using client = await connect({ socket, timeoutMs: 30_000 });
    const { promise: interrupted, resolve: stop } = Promise.withResolvers<number>();
    const onSignal = () => stop(EXIT_CODES.ok);
    Deno.addSignalListener("SIGINT", onSignal);
    try {
      client.on("jobs.changed", (change) => {
        if (flags.json) printJson(change, { compact: true });
        else printText(lineOf(change));
      });
      client.on("jobs.resync_required", (params) => {
        if (flags.json) printJson({ resync_required: true, ...params }, { compact: true });
        else {printText(
            `-- some changes were dropped (up to seq ${params.seq}): run "call jobs.list"`,
          );}
      });
      const { seq } = await client.call("jobs.subscribe", {
        ...(pks ? { pks } : {}),
        ...(states ? { states: states as NonNullable<Change["state"]>[] } : {}),
      });
      printNotice(`watching job changes after seq ${seq} (Ctrl-C to stop)`);
      const lost = client.disconnected().then(() => EXIT_CODES.unreachable);
      return await Promise.race([interrupted, lost]);
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
    }
  },
};
