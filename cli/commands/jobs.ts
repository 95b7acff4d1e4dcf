import type { CommandModule } from "../command.ts";
import { EXIT_CODES, UsageError } from "../exit_codes.ts";
import {
  canColour,
  clientFor,
  clusterNamed,
  durationText,
  renderTable,
  stateText,
} from "../human.ts";
import { printJson, printText } from "../output.ts";
import { JOB_STATES, type JobState } from "../../common/job_states.ts";

function isState(text: string): text is JobState {
  return (JOB_STATES as readonly string[]).includes(text);
}

/** `jobs`: a compact table of jobs, newest first. */
export const jobsCommand: CommandModule = {
  async run({ flags, facts }) {
    const state = flags.state as string | undefined;
    if (state !== undefined && !isState(state)) {
      throw new UsageError(`Invalid --state "${state}": expected one of ${JOB_STATES.join(", ")}`);
    }
    const limit = flags.limit === undefined ? 50 : Number(flags.limit);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      throw new UsageError(`Invalid --limit "${flags.limit}": expected a number from 1 to 1000`);
    }
    await using client = await clientFor({ flags, facts });
    const { clusters } = await client.call("clusters.list", {});
    const clusterName = flags.cluster as string | undefined;
    const cluster = clusterName === undefined ? undefined : await clusterNamed(client, clusterName);
    const { jobs, total } = await client.call("jobs.list", {
      limit,
      ...(state !== undefined && isState(state) ? { state } : {}),
      ...(cluster ? { cluster_id: cluster.id } : {}),
    });
    if (flags.json) {
      printJson({ jobs, total }, { compact: true });
      return EXIT_CODES.ok;
    }
    const names = new Map(clusters.map((c) => [c.id, c.name]));
    const colour = canColour(facts.env);
    printText(renderTable(
      ["PK", "NAME", "STATE", "WHERE", "PROGRESS", "WALL", "ENERGY (Ha)"],
      jobs.map((j) => [
        String(j.pk),
        j.name.length > 32 ? `${j.name.slice(0, 31)}…` : j.name,
        stateText(j.state, colour),
        j.cluster_id === null
          ? j.runner_type
          : names.get(j.cluster_id) ?? `cluster ${j.cluster_id}`,
        `${Math.round(j.progress_percent)}%`,
        durationText(j.wall_time_seconds),
        j.final_energy === null ? "-" : j.final_energy.toFixed(8),
      ]),
    ));
    if (total > jobs.length) printText(`(${jobs.length} of ${total}: --limit for more)`);
    return EXIT_CODES.ok;
  },
};
