/**
 * Renders the sbatch script that runs CRYSTAL (and optionally properties) for one job. Values
 * reach `#SBATCH` lines only after validation against safe character sets (sbatch parses those
 * lines itself, without a shell); values in the script body are shell-quoted.
 *
 * @module
 */
import { BAND_TOKENS_AWK } from "../crystal/band_window.ts";
import { RESTART_FILES } from "../jobs/job_dir.ts";
import { shellQuote } from "../shell_quote.ts";

/** Everything the batch script needs. */
export interface SbatchSpec {
  /** e.g. "crystalmath-<uuid>". */
  job_name: string;
  /** Also "crystalmath-<uuid>" (belt and braces for finding the job again). */
  comment: string;
  /** Absolute remote job dir (#SBATCH --chdir). */
  work_dir: string;
  /** Slug; CRYSTAL output goes to <output_name>.out, stderr <output_name>.err. */
  output_name: string;
  partition?: string;
  account?: string;
  nodes?: number;
  ntasks?: number;
  cpus_per_task?: number;
  /** "HH:MM:SS" or "D-HH:MM:SS" (any sbatch --time form is accepted). */
  time?: string;
  /** e.g. "4G". */
  mem?: string;
  /** SLURM ids → --dependency=afterok:1:2 and --kill-on-invalid-dep=yes. */
  dependency_after_ok?: string[];
  /** Raw lines like "module load CRYSTAL/23", placed verbatim (the user's own shell). */
  setup_commands: string[];
  crystal: {
    executable: string;
    parallel_executable: string;
    /** e.g. "mpirun -np {ranks}" or "srun"; {ranks} becomes the job's task count. */
    mpirun: string;
  };
  /** When an INPUT.d3 run follows a successful SCF. */
  properties?: { executable: string; parallel_executable: string } | null;
  /** Run properties alone, on the fort.9 already in work_dir: no CRYSTAL run. */
  properties_only?: boolean;
  /** true → mpirun/srun + Pcrystal (reads INPUT file), false → serial crystal < INPUT. */
  parallel: boolean;
  /**
   * The directory, on the same host, of the job this one restarts from: its restart files are
   * copied when the run starts, so a job started after it by afterok gets what it wrote.
   */
  restart_dir?: string | null;
  /**
   * The SCF output, on the same host, that the band tokens of INPUT.d3 are read from
   * (crystal/band_window.ts): they are replaced before properties runs.
   */
  band_tokens_from?: string | null;
}

/**
 * A value sbatch reads from an `#SBATCH` line, and what it may contain. Cluster settings are
 * validated with the same rules when they are saved, so a cluster that was accepted never has its
 * jobs refused for them later.
 */
export interface SbatchRule {
  pattern: RegExp;
  allowed: string;
}

const NAME_RULE: SbatchRule = {
  pattern: /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/,
  allowed: 'letters, digits and "._+-", starting with a letter or digit, at most 128 characters',
};
export const LIST_RULE: SbatchRule = {
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*(,[A-Za-z0-9][A-Za-z0-9._-]*)*$/,
  allowed: 'letters, digits and "._-" (a comma between names), starting with a letter or digit',
};
export const PATH_RULE: SbatchRule = {
  pattern: /^\/[A-Za-z0-9._+@,=/-]*$/,
  allowed: 'an absolute path of letters, digits and "._+@,=/-" (no spaces or quotes)',
};
const TIME_RULE: SbatchRule = {
  pattern: /^(\d+-\d+(:\d+){0,2}|\d+(:\d+){0,2})$/,
  allowed: 'a time limit such as "HH:MM:SS" or "D-HH:MM:SS"',
};
const MEM_RULE: SbatchRule = { pattern: /^\d+[KMGT]?$/, allowed: 'a size such as "4G" or "500M"' };
const JOB_ID_RULE: SbatchRule = { pattern: /^\d+(_\d+)?$/, allowed: "a SLURM job id" };

/** Names a spec field in errors. */
function fail(field: string, message: string): never {
  throw new RangeError(`Cannot render sbatch script: ${field} ${message}`);
}

function checked(field: string, value: string, rule: SbatchRule): string {
  if (typeof value !== "string") {
    throw new TypeError(`Cannot render sbatch script: ${field} must be a string`);
  }
  if (!rule.pattern.test(value)) fail(field, `${JSON.stringify(value)} must be ${rule.allowed}`);
  return value;
}

function count(field: string, value: number): string {
  if (!Number.isSafeInteger(value) || value < 1) {
    fail(field, `must be a positive integer, got ${value}`);
  }
  return String(value);
}

/** One line of shell text: no NUL, no line break. */
function singleLine(field: string, value: string): string {
  if (typeof value !== "string") {
    throw new TypeError(`Cannot render sbatch script: ${field} must be a string`);
  }
  if (/[\0\r\n]/.test(value)) {
    fail(field, `must be a single line without NUL bytes: ${JSON.stringify(value)}`);
  }
  return value;
}

/** A word for the script body: left bare when nothing in it is special to the shell, else quoted. */
function word(value: string): string {
  return /^[A-Za-z0-9_.,/:=@%+-]+$/.test(value) ? value : shellQuote(value);
}

/** The launcher words, with {ranks} replaced by `ranks` (a number, or a shell expansion). */
function launcher(mpirun: string, ranks: string): string[] {
  const words = singleLine("crystal.mpirun", mpirun).trim().split(/\s+/);
  if (words[0] === "") {
    fail("crystal.mpirun", 'must name a launcher, e.g. "srun" or "mpirun -np {ranks}"');
  }
  return words.map((part) =>
    part.split("{ranks}").map((piece) => piece === "" ? "" : word(piece)).join(ranks)
  );
}

function program(field: string, executable: string): string {
  if (singleLine(field, executable).trim() === "") fail(field, "must not be empty");
  return word(executable);
}

/** Writes an exit code file atomically, as the local runner does: the daemon may read it at any time. */
function record(file: string, code: string): string {
  return `printf '%s\\n' ${code} > ${file}.tmp && mv -f ${file}.tmp ${file}`;
}

function sbatchLines(spec: SbatchSpec): string[] {
  const lines = [
    `--job-name=${checked("job_name", spec.job_name, NAME_RULE)}`,
    `--comment=${checked("comment", spec.comment, NAME_RULE)}`,
    `--chdir=${checked("work_dir", spec.work_dir, PATH_RULE)}`,
    "--output=slurm-%j.out",
    "--error=slurm-%j.err",
  ];
  if (spec.partition !== undefined) {
    lines.push(`--partition=${checked("partition", spec.partition, LIST_RULE)}`);
  }
  if (spec.account !== undefined) {
    lines.push(`--account=${checked("account", spec.account, LIST_RULE)}`);
  }
  if (spec.nodes !== undefined) lines.push(`--nodes=${count("nodes", spec.nodes)}`);
  if (spec.ntasks !== undefined) lines.push(`--ntasks=${count("ntasks", spec.ntasks)}`);
  if (spec.cpus_per_task !== undefined) {
    lines.push(`--cpus-per-task=${count("cpus_per_task", spec.cpus_per_task)}`);
  }
  if (spec.time !== undefined) lines.push(`--time=${checked("time", spec.time, TIME_RULE)}`);
  if (spec.mem !== undefined) lines.push(`--mem=${checked("mem", spec.mem, MEM_RULE)}`);
  const after = spec.dependency_after_ok ?? [];
  if (after.length > 0) {
    const ids = after.map((id, i) => checked(`dependency_after_ok[${i}]`, id, JOB_ID_RULE));
    // Without this a job whose parent failed would wait forever (DependencyNeverSatisfied).
    lines.push(`--dependency=afterok:${ids.join(":")}`, "--kill-on-invalid-dep=yes");
  }
  return lines.map((line) => `#SBATCH ${line}`);
}

/** What a run script needs, with or without a batch scheduler. */
export type RunSpec = Pick<
  SbatchSpec,
  | "work_dir"
  | "output_name"
  | "setup_commands"
  | "crystal"
  | "properties"
  | "properties_only"
  | "parallel"
  | "restart_dir"
  | "band_tokens_from"
>;

/**
 * Restart files copied from `restart_dir` (job_dir.ts RESTART_FILES); fort.9 is the fort.20 guess.
 * A file the job brought itself (its own fort.34, uploaded with it) is not overwritten: it wins.
 */
function restartCopy(dir: string): string[] {
  const from = word(checked("restart_dir", dir, PATH_RULE));
  return [
    `for f in ${
      RESTART_FILES.join(" ")
    }; do if [ -f ${from}/"$f" ] && [ ! -e "$f" ]; then cp -- ${from}/"$f" "$f"; fi; done`,
    `if [ -f fort.9 ] && [ ! -f ${from}/fort.20 ]; then cp -- fort.9 fort.20; fi`,
  ];
}

/**
 * Replaces INPUT.d3's band tokens from the SCF output `from` (crystal/band_window.ts). When that
 * output does not place the bands, the run ends here, with the reason in the properties .err
 * file and its exit code recorded as properties' would be.
 */
function fillBandTokens(from: string, out: string): string[] {
  const path = word(checked("band_tokens_from", from, PATH_RULE));
  const reason = `crystalmath: cannot choose the bands: ${from} prints no NUMBER OF AO or ` +
    "N. OF ELECTRONS PER CELL (is it the SCF's output?)";
  return [
    // An empty output would pass awk's first-file test for the deck's own lines: refuse it first.
    `if [ ! -s ${path} ] || ! awk ${
      shellQuote(BAND_TOKENS_AWK)
    } ${path} INPUT.d3 > INPUT.d3.tmp; then`,
    `  printf '%s\\n' ${shellQuote(reason)} > ${out}.err`,
    `  ${record(".exit_code_properties", "2")}`,
    `  ${record(".exit_code", "2")}`,
    "  exit 2",
    "fi",
    "mv -f INPUT.d3.tmp INPUT.d3",
  ];
}

/**
 * The body of a run script: cd to the job directory, the setup commands, the run line writing
 * <output_name>.out/.err, then the exit code recorded in `.exit_code` atomically (tmp + mv), the
 * way the daemon learns the outcome; then, if properties are given and the SCF succeeded, INPUT
 * is swapped (cp INPUT INPUT.d12; cp INPUT.d3 INPUT) and properties runs into
 * <output_name>.properties.out/.err, writing `.exit_code_properties`. It exits with CRYSTAL's
 * code. A properties-only run swaps INPUT and runs properties at once, recording its code in both
 * `.exit_code_properties` and `.exit_code` (the daemon's sign that the run ended). `ranks` and `threads` are shell words: numbers, or the scheduler's variables.
 */
function runBody(
  spec: RunSpec,
  counts: { ranks: string; threads: string; pidFile?: string },
): string[] {
  const name = checked("output_name", spec.output_name, NAME_RULE);
  const setup = spec.setup_commands.map((line, i) => singleLine(`setup_commands[${i}]`, line));
  const launch = spec.parallel ? launcher(spec.crystal.mpirun, counts.ranks) : [];
  const run = (field: string, executable: string, out: string) => {
    const argv = [...launch, program(field, executable)].join(" ");
    // Serial builds read the deck on stdin; parallel ones read the INPUT file themselves.
    return `${argv}${spec.parallel ? "" : " < INPUT"} > ${out}.out 2> ${out}.err`;
  };
  const crystal = spec.parallel
    ? run("crystal.parallel_executable", spec.crystal.parallel_executable, name)
    : run("crystal.executable", spec.crystal.executable, name);
  const head = [
    "set -u",
    // SLURM falls back to /tmp when --chdir fails; never run (or record an outcome) elsewhere.
    `cd ${word(checked("work_dir", spec.work_dir, PATH_RULE))} || exit 1`,
    // A run with no scheduler records its pid first: it leads its own session and process group.
    ...(counts.pidFile === undefined ? [] : [record(counts.pidFile, '"$$"')]),
    `export OMP_NUM_THREADS=${counts.threads}`,
    ...(spec.restart_dir ? restartCopy(spec.restart_dir) : []),
    ...setup,
  ];
  // The properties run line: swap INPUT, then properties into <output_name>.properties.out/.err.
  const properties = spec.properties &&
    `cp INPUT INPUT.d12 && cp INPUT.d3 INPUT && ${
      spec.parallel
        ? run(
          "properties.parallel_executable",
          spec.properties.parallel_executable,
          `${name}.properties`,
        )
        : run("properties.executable", spec.properties.executable, `${name}.properties`)
    }`;
  if (spec.properties_only) {
    if (!properties) throw new TypeError("A properties-only run needs properties programs");
    return [
      ...head,
      ...(spec.band_tokens_from ? fillBandTokens(spec.band_tokens_from, `${name}.properties`) : []),
      properties,
      "rc=$?",
      record(".exit_code_properties", '"$rc"'),
      record(".exit_code", '"$rc"'),
      'exit "$rc"',
    ];
  }
  const body = [
    ...head,
    crystal,
    "rc=$?",
    record(".exit_code", '"$rc"'),
  ];
  if (properties) {
    body.push(
      'if [ "$rc" -eq 0 ]; then',
      `  ${properties}`,
      `  ${record(".exit_code_properties", '"$?"')}`,
      "fi",
    );
  }
  body.push('exit "$rc"');
  return body;
}

/**
 * Renders the batch script. Every value that is not a setup_commands line is shell-quoted (single
 * quotes) or validated; #SBATCH values are validated against safe character sets (throw
 * RangeError/TypeError naming the field otherwise). The script: #!/bin/bash, #SBATCH lines
 * (job-name, comment, chdir, output=slurm-%j.out, error=slurm-%j.err,
 * partition/account/nodes/ntasks/cpus-per-task/time/mem/dependency when given), then the run body
 * (see runBody) with SLURM's task and CPU counts.
 */
export function renderSbatchScript(spec: SbatchSpec): string {
  return [
    "#!/bin/bash",
    ...sbatchLines(spec),
    "# Written by crystalmath-server. The daemon learns the outcome from .exit_code.",
    ...runBody(spec, { ranks: '"${SLURM_NTASKS:-1}"', threads: '"${SLURM_CPUS_PER_TASK:-1}"' }),
  ].join("\n") + "\n";
}

/**
 * Renders the script of a run on a host without a scheduler: the same body as a batch script,
 * with the job's own rank and thread counts, recording its pid in `pid_file` first.
 */
export function renderDirectScript(
  spec: RunSpec & { ranks: number; threads: number; pid_file: string },
): string {
  return [
    "#!/bin/sh",
    "# Written by crystalmath-server. The daemon learns the outcome from .exit_code.",
    ...runBody(spec, {
      ranks: count("ranks", spec.ranks),
      threads: count("threads", spec.threads),
      pidFile: spec.pid_file,
    }),
  ].join("\n") + "\n";
}
