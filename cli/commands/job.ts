import type { CommandModule } from "../command.ts";
import { EXIT_CODES } from "../exit_codes.ts";
import { canColour, clientFor, durationText, pksOf, stateText } from "../human.ts";
import { printJson, printText } from "../output.ts";

/** `job PK`: one job's details, its parsed results and, when it failed, what to change. */
export const jobCommand: CommandModule = {
  async run({ flags, args, facts }) {
    const [pk] = pksOf(args.slice(0, 1), "PK");
    await using client = await clientFor({ flags, facts });
    const job = await client.call("jobs.get", { pk: pk! });
    const isDone = ["completed", "failed", "cancelled"].includes(job.state);
    const analysis = job.state === "failed" || (isDone && job.errors.length > 0)
      ? await client.call("jobs.analyze_errors", { pk: pk! })
      : null;
    if (flags.json) {
      printJson({ job, analysis }, { compact: true });
      return EXIT_CODES.ok;
    }
    const colour = canColour(facts.env);
    const where = job.remote_dir === null ? job.work_dir : `${job.remote_dir} (on the cluster)`;
    const lines: [string, string | null][] = [
      ["job", `${job.pk}  ${job.name}`],
      [
        "state",
        `${stateText(job.state, colour)}${job.state_reason ? `: ${job.state_reason}` : ""}`,
      ],
      [
        "runner",
        job.cluster_id === null
          ? job.runner_type
          : `${job.runner_type} (cluster ${job.cluster_id})`,
      ],
      ["slurm job", job.slurm_job_id],
      ["folder", where],
      ["progress", `${Math.round(job.progress_percent)}%`],
      ["wall time", durationText(job.wall_time_seconds)],
      [
        "energy",
        job.final_energy === null ? null : `${job.final_energy.toFixed(10)} Ha` +
          (job.final_energy_ev === null ? "" : ` (${job.final_energy_ev.toFixed(6)} eV)`),
      ],
      ["converged", job.convergence_met === null ? null : String(job.convergence_met)],
      ["scf cycles", job.scf_cycles === null ? null : String(job.scf_cycles)],
      ["band gap", job.band_gap_ev === null ? null : `${job.band_gap_ev} eV`],
      ["crystal", job.crystal_version],
      ["depends on", job.depends_on.length ? job.depends_on.join(", ") : null],
    ];
    const width = Math.max(...lines.map(([k]) => k.length));
    const out = lines.filter(([, v]) => v !== null && v !== "")
      .map(([k, v]) => `${k.padEnd(width)}  ${v}`);
    for (const warning of job.warnings.slice(0, 5)) {
      out.push(`${"warning".padEnd(width)}  ${warning}`);
    }
    for (const issue of analysis?.issues ?? []) {
      out.push("", `${issue.line === null ? "" : `line ${issue.line}: `}${issue.message}`);
      out.push(`  change: ${issue.suggestion.replaceAll("\n", "\n    ")}`);
    }
    printText(out.join("\n"));
    return EXIT_CODES.ok;
  },
};
