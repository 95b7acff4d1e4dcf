import { z } from "zod";
import { insertCluster } from "../../db/clusters.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import {
  CLUSTER,
  CLUSTER_FIELDS,
  clusterFields,
  clusterOf,
  EXAMPLE_CLUSTER,
} from "../../clusters/cluster.ts";
import { isoNow } from "../../clock.ts";

/** `clusters.create`: register a cluster. */
export const create = defineMethod({
  name: "clusters.create",
  summary: "Register a cluster reached over SSH",
  description:
    "Validates every field and stores the cluster. `hostname` may be a Host alias from " +
    "~/.ssh/config (its HostName, User, Port, IdentityFile and ProxyJump are honoured). Nothing " +
    "connects yet: run clusters.test to check the connection and the host key.",
  params: z.strictObject(CLUSTER_FIELDS),
  result: CLUSTER,
  errors: ["conflict"],
  examples: [{
    name: "a SLURM cluster",
    params: {
      name: "hpc1",
      cluster_type: "slurm",
      hostname: "login.hpc.example.org",
      username: "jdoe",
      key_file: "~/.ssh/id_ed25519",
      remote_workdir: "/scratch/jdoe/crystalmath",
      partition: "standard",
      crystal: { parallel_executable: "Pcrystal", mpirun: "srun" },
      setup_commands: ["module load CRYSTAL/23"],
      default_resources: { nodes: 1, ntasks: 32, time: "24:00:00", mem: "64G" },
    },
    result: EXAMPLE_CLUSTER,
  }],
  handler(params, ctx: MethodContext) {
    const row = insertCluster(ctx.db, clusterFields(params), isoNow(ctx.clock));
    return Promise.resolve(clusterOf(row));
  },
});
