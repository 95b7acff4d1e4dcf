/**
 * A cluster's settings: the schema that validates every field with a message naming it (shared
 * by clusters.create and clusters.update), the mapping from a stored row, and its SSH target.
 *
 * @module
 */
import { z } from "zod";
import type { ClusterFields, ClusterRow } from "../db/clusters.ts";
import type { SshPool, SshTarget } from "../ssh/pool.ts";
import type { Exec } from "../slurm/commands.ts";
import { LIST_RULE, PATH_RULE } from "../slurm/script.ts";

const SINGLE_LINE = /^[^\n\r\0]*$/;

/** Cluster settings as a client gives them (all but name, type, host and user are optional). */
export const CLUSTER_FIELDS = {
  name: z.string().regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    "use letters, digits, '.', '_' and '-' (at most 64), starting with a letter or digit",
  )
    .describe("Unique cluster name"),
  cluster_type: z.enum(["slurm", "ssh"]).describe(
    "slurm (jobs go through sbatch) or ssh (plain SSH host)",
  ),
  hostname: z.string().regex(
    /^(?:[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?|[0-9A-Fa-f:]+(?:%[A-Za-z0-9]+)?)$/,
    "expected a host name, an IP address or a Host alias from ~/.ssh/config",
  ).max(253).describe("Host name, IP address, or a Host alias from ~/.ssh/config"),
  port: z.number().int().min(1, "must be 1 to 65535").max(65535, "must be 1 to 65535").default(22)
    .describe("SSH port"),
  username: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/, "expected a user name such as jdoe")
    .describe("Remote user"),
  key_file: z.string().regex(
    /^(?:\/|~\/)[^\n\r\0]+$/,
    "expected an absolute path or one starting with ~/",
  ).optional()
    .describe("Private key file (unencrypted; load encrypted keys into ssh-agent instead)"),
  use_agent: z.boolean().default(false).describe("Authenticate through ssh-agent (SSH_AUTH_SOCK)"),
  remote_workdir: z.string().regex(PATH_RULE.pattern, `expected ${PATH_RULE.allowed}`)
    .describe("Absolute directory on the cluster under which job directories are made"),
  partition: z.string().regex(LIST_RULE.pattern, `expected a partition name: ${LIST_RULE.allowed}`)
    .optional()
    .describe("SLURM partition"),
  account: z.string().regex(LIST_RULE.pattern, `expected an account name: ${LIST_RULE.allowed}`)
    .optional()
    .describe("SLURM account"),
  max_concurrent: z.number().int().min(1).max(10_000).default(10).describe(
    "Jobs in SLURM at once from this daemon",
  ),
  crystal: z.strictObject({
    executable: z.string().min(1).regex(SINGLE_LINE).optional().describe(
      "Serial CRYSTAL (default crystal)",
    ),
    parallel_executable: z.string().min(1).regex(SINGLE_LINE).optional().describe(
      "MPI CRYSTAL (default Pcrystal)",
    ),
    mpirun: z.string().min(1).regex(SINGLE_LINE).optional().describe(
      "MPI launcher, e.g. srun or mpirun -np {ranks}",
    ),
    properties: z.string().min(1).regex(SINGLE_LINE).optional().describe(
      "Serial properties (default properties)",
    ),
    parallel_properties: z.string().min(1).regex(SINGLE_LINE).optional().describe(
      "MPI properties (default Pproperties)",
    ),
  }).default({}).describe("How CRYSTAL is run on the cluster"),
  cry23_root: z.string().min(1).max(1024).regex(SINGLE_LINE, "must be one line").optional()
    .describe("Where CRYSTAL23 is installed on the cluster; kept for the terminal UI"),
  vasp_root: z.string().min(1).max(1024).regex(SINGLE_LINE, "must be one line").optional()
    .describe("Where VASP is installed on the cluster; kept for the terminal UI, never used"),
  setup_commands: z.array(z.string().regex(SINGLE_LINE, "each setup command must be one line")).max(
    50,
  ).default([])
    .describe("Shell lines run before CRYSTAL, e.g. module load CRYSTAL/23"),
  aiida: z.strictObject({
    profile: z.string().regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
      "expected an AiiDA profile name (letters, digits, '.', '_', '-')",
    ).describe("The AiiDA profile to run in (verdi -p <profile>)"),
    code_label: z.string().regex(
      /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}(?:@[A-Za-z0-9][A-Za-z0-9._-]{0,99})?$/,
      "expected an AiiDA code label such as crystal@hpc1",
    ).describe("The CRYSTAL code in that profile, e.g. crystal@hpc1 (verdi code list)"),
    verdi: z.string().regex(/^\/[^\n\r\0]{0,1023}$/, "expected an absolute path on the cluster")
      .optional().describe("verdi's absolute path on the cluster (default: verdi on PATH)"),
  }).optional().describe(
    "Drive this host's own AiiDA (aiida-core >= 2 with aiida-crystal-dft): workflows.launch_aiida",
  ),
  default_resources: z.strictObject({
    nodes: z.number().int().min(1).max(100_000).optional(),
    ntasks: z.number().int().min(1).max(1_000_000).optional(),
    cpus_per_task: z.number().int().min(1).max(4096).optional(),
    time: z.string().regex(
      /^(?:\d+-)?\d{1,3}(?::\d{2}){0,2}$/,
      "expected a SLURM time such as 24:00:00 or 1-00:00:00",
    ).optional(),
    mem: z.string().regex(/^\d+[KMGT]?$/, "expected a SLURM memory size such as 4G").optional(),
  }).default({}).describe(
    "Resources when a job gives none: nodes, ntasks, cpus_per_task, time, mem",
  ),
};

type Loose<T extends Record<string, z.ZodType>> = {
  [K in keyof T]: z.ZodOptional<z.ZodType<z.output<T[K]>, z.input<T[K]>>>;
};

/** Fields that clusters.update may clear with null. */
export const CLEARABLE_FIELDS = [
  "key_file",
  "partition",
  "account",
  "cry23_root",
  "vasp_root",
  "aiida",
] as const;

/**
 * The params of clusters.update: every field optional and without a default (a missing field
 * keeps its value), the clearable ones nullable.
 */
export const CLUSTER_UPDATE_FIELDS = Object.fromEntries(
  Object.entries(CLUSTER_FIELDS).map(([key, schema]) => {
    const inner = schema instanceof z.ZodDefault || schema instanceof z.ZodOptional
      ? (schema.unwrap() as z.ZodType)
      : (schema as z.ZodType);
    const field = (CLEARABLE_FIELDS as readonly string[]).includes(key) ? inner.nullable() : inner;
    return [key, field.optional().describe(schema.description ?? key)];
  }),
) as unknown as Loose<typeof CLUSTER_FIELDS> & {
  key_file: z.ZodOptional<z.ZodNullable<z.ZodString>>;
  partition: z.ZodOptional<z.ZodNullable<z.ZodString>>;
  account: z.ZodOptional<z.ZodNullable<z.ZodString>>;
  cry23_root: z.ZodOptional<z.ZodNullable<z.ZodString>>;
  vasp_root: z.ZodOptional<z.ZodNullable<z.ZodString>>;
  aiida: z.ZodOptional<z.ZodNullable<ReturnType<typeof CLUSTER_FIELDS.aiida.unwrap>>>;
};

/** A stored cluster, as methods return it. */
export const CLUSTER = z.strictObject({
  id: z.number().int().describe("Cluster id"),
  ...CLUSTER_FIELDS,
  key_file: CLUSTER_FIELDS.key_file.unwrap().nullable(),
  partition: CLUSTER_FIELDS.partition.unwrap().nullable(),
  account: CLUSTER_FIELDS.account.unwrap().nullable(),
  cry23_root: CLUSTER_FIELDS.cry23_root.unwrap().nullable(),
  vasp_root: CLUSTER_FIELDS.vasp_root.unwrap().nullable(),
  aiida: CLUSTER_FIELDS.aiida.unwrap().nullable(),
  created_at: z.string().describe("ISO-8601"),
  updated_at: z.string().describe("ISO-8601"),
});

/** A cluster on the wire. */
export type Cluster = z.infer<typeof CLUSTER>;

/** The settings of a cluster as given to create/update, after defaults. */
export type ClusterInput = z.output<z.ZodObject<typeof CLUSTER_FIELDS>>;

/** The stored form of validated settings. */
export function clusterFields(input: ClusterInput): ClusterFields {
  const { name, cluster_type, hostname, port, username, ...settings } = input;
  return { name, cluster_type, hostname, port, username, settings_json: JSON.stringify(settings) };
}

/** The wire form of a stored row. */
export function clusterOf(row: ClusterRow): Cluster {
  const settings = JSON.parse(row.settings_json) as Partial<ClusterInput>;
  return {
    id: row.id,
    name: row.name,
    cluster_type: row.cluster_type,
    hostname: row.hostname,
    port: row.port,
    username: row.username,
    key_file: settings.key_file ?? null,
    use_agent: settings.use_agent ?? false,
    remote_workdir: settings.remote_workdir ?? "",
    partition: settings.partition ?? null,
    account: settings.account ?? null,
    max_concurrent: settings.max_concurrent ?? 10,
    crystal: settings.crystal ?? {},
    cry23_root: settings.cry23_root ?? null,
    vasp_root: settings.vasp_root ?? null,
    aiida: settings.aiida ?? null,
    setup_commands: settings.setup_commands ?? [],
    default_resources: settings.default_resources ?? {},
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The SSH target of a cluster; its id changes when the cluster's settings do. */
export function sshTargetOf(cluster: Cluster): SshTarget {
  return {
    id: `cluster:${cluster.id}:${cluster.updated_at}`,
    name: cluster.name,
    hostname: cluster.hostname,
    port: cluster.port,
    username: cluster.username,
    keyFile: cluster.key_file,
    useAgent: cluster.use_agent,
  };
}

/** An example cluster, for the method declarations. */
export const EXAMPLE_CLUSTER: Cluster = {
  id: 1,
  name: "hpc1",
  cluster_type: "slurm",
  hostname: "login.hpc.example.org",
  port: 22,
  username: "jdoe",
  key_file: "~/.ssh/id_ed25519",
  use_agent: false,
  remote_workdir: "/scratch/jdoe/crystalmath",
  partition: "standard",
  account: null,
  max_concurrent: 10,
  crystal: { parallel_executable: "Pcrystal", mpirun: "srun" },
  cry23_root: null,
  vasp_root: null,
  aiida: null,
  setup_commands: ["module load CRYSTAL/23"],
  default_resources: { nodes: 1, ntasks: 32, time: "24:00:00", mem: "64G" },
  created_at: "2026-01-01T12:00:00.000Z",
  updated_at: "2026-01-01T12:00:00.000Z",
};

/** Runs argv on `cluster` over the pool, with a one-minute timeout and the caller's signal. */
export function execOn(ssh: SshPool, cluster: Cluster, signal?: AbortSignal): Exec {
  const target = sshTargetOf(cluster);
  return (argv) => ssh.exec(target, argv, { timeoutMs: 60_000, ...(signal ? { signal } : {}) });
}
