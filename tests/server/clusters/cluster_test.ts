import assert from "node:assert/strict";
import { z } from "zod";
import { CLUSTER_FIELDS, CLUSTER_UPDATE_FIELDS } from "../../../server/clusters/cluster.ts";

const BASE = {
  name: "hpc1",
  cluster_type: "slurm",
  hostname: "hpc1",
  username: "jdoe",
  remote_workdir: "/scratch/jdoe",
};

/** Values sbatch would refuse at submission; the cluster must be refused when it is saved. */
const REFUSED: [string, unknown, RegExp][] = [
  ["remote_workdir", "/scratch/$(id)", /remote_workdir: expected an absolute path of letters/],
  ["remote_workdir", "/scratch/my runs", /remote_workdir: expected an absolute path/],
  ["remote_workdir", "/scratch/'q'", /remote_workdir: expected an absolute path/],
  ["remote_workdir", "scratch", /remote_workdir: expected an absolute path/],
  ["partition", "-gpu", /partition: expected a partition name/],
  ["partition", "gpu;ls", /partition: expected a partition name/],
  ["account", "a b", /account: expected an account name/],
];

const SCHEMAS = [
  ["create", z.strictObject(CLUSTER_FIELDS)],
  ["update", z.strictObject(CLUSTER_UPDATE_FIELDS)],
] as const;

for (const [which, schema] of SCHEMAS) {
  Deno.test(`cluster ${which} fields refuse what sbatch would refuse later`, () => {
    for (const [field, value, pattern] of REFUSED) {
      const result = schema.safeParse({ ...BASE, [field]: value });
      assert.ok(!result.success, `${field}=${value} was accepted`);
      const issue = result.error.issues[0]!;
      assert.match(`${issue.path.join(".")}: ${issue.message}`, pattern);
    }
    const ok = schema.safeParse({ ...BASE, partition: "gpu,debug", account: "proj-42" });
    assert.ok(ok.success, JSON.stringify(ok.error?.issues));
  });
}
