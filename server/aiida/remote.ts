/**
 * The remote side of an AiiDA workflow: probing a cluster's verdi, putting the launcher and its
 * inputs in a private directory, running it, and asking for a process. Every command goes
 * through the pooled SSH exec of the cluster (host keys checked there), as argv that the pool
 * quotes word by word.
 *
 * @module
 */
import { type Cluster, sshTargetOf } from "../clusters/cluster.ts";
import type { SshPool } from "../ssh/pool.ts";
import { InvalidStateError } from "../errors.ts";
import LAUNCHER from "./launcher.py" with { type: "text" };
import type { LauncherInputs } from "./inputs.ts";
import {
  type CommandOutcome,
  parseLaunchOutput,
  parseProcessShow,
  type ProbeVerdict,
  probeVerdict,
  type ProcessSummary,
  verdiArgv,
  type VerdiSettings,
} from "./verdi.ts";

/** Probes and process checks: half a minute. */
const CHECK_MS = 30_000;
/** verdi run loads the profile and submits: up to five minutes. */
const RUN_MS = 5 * 60_000;

/** The launcher's file name in its directory, and its record of a submission. */
export const LAUNCHER_FILE = "launcher.py";
/** The inputs file the launcher reads. */
export const INPUTS_FILE = "inputs.json";
/** What the launcher leaves once it has submitted: `{pk, uuid, warnings}`. */
export const SUBMITTED_FILE = "submitted.json";

/** A cluster's AiiDA over the pool. */
export class RemoteAiida {
  readonly #ssh: SshPool;
  readonly #cluster: Cluster;
  readonly #settings: VerdiSettings;
  readonly #signal: AbortSignal | undefined;

  constructor(
    ssh: SshPool,
    cluster: Cluster,
    settings: VerdiSettings,
    signal?: AbortSignal | undefined,
  ) {
    this.#ssh = ssh;
    this.#cluster = cluster;
    this.#settings = settings;
    this.#signal = signal;
  }

  #exec(argv: string[], timeoutMs = CHECK_MS): Promise<CommandOutcome> {
    return this.#ssh.exec(sshTargetOf(this.#cluster), argv, {
      timeoutMs,
      ...(this.#signal ? { signal: this.#signal } : {}),
    });
  }

  /**
   * `verdi --version`, then `verdi -p <profile> plugin list aiida.workflows`.
   * @throws {SshFailedError} when the cluster cannot be reached
   */
  async probe(): Promise<ProbeVerdict> {
    const version = await this.#exec([this.#settings.verdi ?? "verdi", "--version"]);
    const first = probeVerdict(this.#cluster, this.#settings, version);
    if (!first.usable) return first;
    const plugins = await this.#exec(
      verdiArgv(this.#settings, ["plugin", "list", "aiida.workflows"]),
    );
    return probeVerdict(this.#cluster, this.#settings, version, plugins);
  }

  /**
   * Makes `dir` (mode 700) and writes the launcher and its inputs there.
   * @throws {InvalidStateError} when the directory cannot be made
   */
  async upload(dir: string, inputs: LauncherInputs): Promise<void> {
    const made = await this.#exec(["mkdir", "-p", "-m", "700", "--", dir]);
    if (made.code !== 0) {
      throw new InvalidStateError(
        `Cannot create "${dir}" on "${this.#cluster.name}": ${lastLine(made)}`,
      );
    }
    const target = sshTargetOf(this.#cluster);
    const options = { timeoutMs: CHECK_MS, ...(this.#signal ? { signal: this.#signal } : {}) };
    await this.#ssh.writeFile(
      target,
      `${dir}/${INPUTS_FILE}`,
      `${JSON.stringify(inputs)}\n`,
      options,
    );
    await this.#ssh.writeFile(target, `${dir}/${LAUNCHER_FILE}`, LAUNCHER, options);
  }

  /**
   * `verdi -p <profile> run launcher.py inputs.json`: the process it submitted, or why not.
   * @throws {SshFailedError} / {TimeoutError} when the answer was lost (the process may exist)
   */
  async run(dir: string): Promise<
    { pk: number; uuid: string | null; warnings: string[] } | { error: string }
  > {
    const argv = verdiArgv(this.#settings, [
      "run",
      `${dir}/${LAUNCHER_FILE}`,
      `${dir}/${INPUTS_FILE}`,
    ]);
    const outcome = await this.#exec(argv, RUN_MS);
    const printed = parseLaunchOutput(outcome.stdout);
    if (printed !== undefined && ("error" in printed || outcome.code === 0)) return printed;
    return {
      error: `verdi run on "${this.#cluster.name}" printed no process (exit code ` +
        `${outcome.code}): ${lastLine(outcome)}`,
    };
  }

  /** What the launcher left in `dir` once it submitted, or undefined when it never did. */
  async submitted(dir: string): Promise<{ pk: number; uuid: string | null } | undefined> {
    const outcome = await this.#exec(["cat", "--", `${dir}/${SUBMITTED_FILE}`]);
    if (outcome.code !== 0) return undefined;
    const printed = parseLaunchOutput(outcome.stdout);
    return printed === undefined || "error" in printed ? undefined : printed;
  }

  /** `verdi process show <pk>`: its summary, or what went wrong. */
  async show(pk: number): Promise<ProcessSummary | { error: string }> {
    const outcome = await this.#exec(verdiArgv(this.#settings, ["process", "show", String(pk)]));
    const summary = outcome.code === 0 ? parseProcessShow(outcome.stdout) : undefined;
    if (summary !== undefined && summary.pk === pk) return summary;
    return { error: `verdi process show ${pk} on "${this.#cluster.name}": ${lastLine(outcome)}` };
  }

  /** `verdi process kill <pk>`: undefined once accepted, else what verdi said. */
  async kill(pk: number): Promise<string | undefined> {
    const outcome = await this.#exec(verdiArgv(this.#settings, ["process", "kill", String(pk)]));
    return outcome.code === 0 ? undefined : lastLine(outcome);
  }
}

function lastLine(outcome: CommandOutcome): string {
  const line = (outcome.stderr.trim() || outcome.stdout.trim()).split("\n").at(-1)?.trim() ?? "";
  return line === "" ? `exit code ${outcome.code}` : line;
}
