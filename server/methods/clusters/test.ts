import { z } from "zod";
import { getCluster } from "../../db/clusters.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { AppError } from "../../errors.ts";
import type { MethodContext } from "../context.ts";
import { clusterOf, sshTargetOf } from "../../clusters/cluster.ts";

const CALL = { timeoutMs: 30_000 };

/** `clusters.test`: connect and report each part. */
export const test = defineMethod({
  name: "clusters.test",
  summary: "Check the connection, host key, SLURM and CRYSTAL on a cluster",
  description: "Connects (checking the host key against known_hosts), runs `uname -a`, " +
    "`sinfo --version` and a lookup of the CRYSTAL executables, and reports each part. An unknown " +
    "host key is reported with its fingerprint (known: false) and nothing else is run: check the " +
    "fingerprint, then call clusters.trust_host_key. A changed key is an error, never accepted.",
  params: z.strictObject({ id: z.number().int().positive().describe("Cluster id") }),
  result: z.strictObject({
    success: z.boolean().describe("True when SSH works and every check ran"),
    hostname: z.string().describe("The host name as configured"),
    system_info: z.string().nullable().describe("uname -a"),
    slurm_version: z.string().nullable().describe("sinfo --version, for SLURM clusters"),
    crystal_found: z.boolean().describe(
      "True when the configured CRYSTAL executable is on the cluster",
    ),
    latency_ms: z.number().nullable().describe(
      "Round trip of a trivial command over the pooled connection",
    ),
    host_key: z.strictObject({
      type: z.string(),
      fingerprint_sha256: z.string(),
      known: z.boolean(),
    }).nullable().describe("The host key the server presented"),
    error: z.string().optional().describe("What failed, when something did"),
  }),
  errors: ["not_found"],
  examples: [{
    name: "a working cluster",
    params: { id: 1 },
    result: {
      success: true,
      hostname: "login.hpc.example.org",
      system_info: "Linux login01 5.14.0 #1 SMP x86_64 GNU/Linux",
      slurm_version: "slurm 22.05.8",
      crystal_found: true,
      latency_ms: 18.4,
      host_key: {
        type: "ssh-ed25519",
        fingerprint_sha256: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
        known: true,
      },
    },
  }],
  async handler(params, ctx: MethodContext) {
    const cluster = clusterOf(getCluster(ctx.db, params.id));
    const target = sshTargetOf(cluster);
    const options = { ...CALL, signal: ctx.signal };
    const base = {
      hostname: cluster.hostname,
      system_info: null,
      slurm_version: null,
      crystal_found: false,
    };
    const probe = await ctx.ssh.probe(target, options);
    const hostKey = {
      type: probe.hostKey.type,
      fingerprint_sha256: probe.hostKey.fingerprint_sha256,
      known: probe.hostKey.known,
    };
    if (probe.error !== undefined || !probe.hostKey.known) {
      const error = probe.error ??
        `Host key ${probe.hostKey.fingerprint_sha256} is not in known_hosts: check it, then call clusters.trust_host_key`;
      return { ...base, success: false, latency_ms: probe.latencyMs, host_key: hostKey, error };
    }
    try {
      const uname = await ctx.ssh.exec(target, ["uname", "-a"], options);
      const sinfo = cluster.cluster_type === "slurm"
        ? await ctx.ssh.exec(target, ["sinfo", "--version"], options)
        : undefined;
      const executable = cluster.crystal.executable ?? "crystal";
      const parallel = cluster.crystal.parallel_executable ?? "Pcrystal";
      const lookup = await ctx.ssh.exec(
        target,
        [
          "sh",
          "-c",
          'command -v "$1" >/dev/null 2>&1 || command -v "$2" >/dev/null 2>&1',
          "sh",
          executable,
          parallel,
        ],
        options,
      );
      const problems = [
        uname.code !== 0 ? `uname failed: ${uname.stderr.trim()}` : null,
        sinfo && sinfo.code !== 0
          ? `sinfo --version failed: ${sinfo.stderr.trim() || `exit code ${sinfo.code}`}`
          : null,
      ].filter((p): p is string => p !== null);
      return {
        success: problems.length === 0,
        hostname: cluster.hostname,
        system_info: uname.code === 0 ? uname.stdout.trim() : null,
        slurm_version: sinfo?.code === 0 ? sinfo.stdout.trim() : null,
        crystal_found: lookup.code === 0,
        latency_ms: probe.latencyMs,
        host_key: hostKey,
        ...(problems.length ? { error: problems.join("; ") } : {}),
      };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return {
        ...base,
        success: false,
        latency_ms: probe.latencyMs,
        host_key: hostKey,
        error: error.message,
      };
    }
  },
});
