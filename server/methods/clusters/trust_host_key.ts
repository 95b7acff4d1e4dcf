import { z } from "zod";
import { getCluster } from "../../db/clusters.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { clusterOf, sshTargetOf } from "../../clusters/cluster.ts";

/** `clusters.trust_host_key`: accept a host key the user has checked. */
export const trustHostKey = defineMethod({
  name: "clusters.trust_host_key",
  summary: "Add a cluster's host key to known_hosts, by its fingerprint",
  description:
    "Connects, and appends the presented host key to ~/.ssh/known_hosts only if its SHA-256 " +
    "fingerprint equals the one given (as clusters.test reported it and you checked it with the " +
    "cluster's administrators). A changed key is never replaced: edit known_hosts yourself.",
  params: z.strictObject({
    id: z.number().int().positive().describe("Cluster id"),
    fingerprint_sha256: z.string().regex(
      /^SHA256:[A-Za-z0-9+/]{43}$/,
      "expected SHA256:<43 base64 characters>",
    )
      .describe("The fingerprint you checked, e.g. SHA256:uNiVztks..."),
  }),
  result: z.strictObject({
    trusted: z.literal(true).describe("Always true"),
    known_hosts_file: z.string().describe("The file the key was added to"),
    line: z.string().describe("The line added"),
  }),
  errors: ["not_found", "conflict", "ssh_failed"],
  examples: [{
    name: "trust",
    params: { id: 1, fingerprint_sha256: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s" },
    result: {
      trusted: true,
      known_hosts_file: "/home/jdoe/.ssh/known_hosts",
      line:
        "login.hpc.example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
    },
  }],
  async handler(params, ctx: MethodContext) {
    const target = sshTargetOf(clusterOf(getCluster(ctx.db, params.id)));
    const { file, line } = await ctx.ssh.trustHostKey(target, params.fingerprint_sha256, {
      signal: ctx.signal,
    });
    return { trusted: true as const, known_hosts_file: file, line };
  },
});
