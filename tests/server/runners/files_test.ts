import assert from "node:assert/strict";
import type { JobRow } from "../../../server/model/job.ts";
import { fetchResults, isPlainName, uploadJob } from "../../../server/runners/remote/files.ts";
import { scriptedTransport } from "./_scripted.ts";

Deno.test("isPlainName() accepts file names and refuses paths, dot names and control characters", () => {
  for (const name of ["mgo.out", "..notes", "fort.34", ".exit_code", "a b"]) {
    assert.ok(isPlainName(name), name);
  }
  for (
    const name of ["", ".", "..", "../../.bashrc", "a/b", "/etc/passwd", "a\u0000b", "x\ny", "c\\d"]
  ) {
    assert.ok(!isPlainName(name), JSON.stringify(name));
  }
});

Deno.test("fetchResults() downloads only plain names and reports the rest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const row = { pk: 1, remote_dir: "/scratch/job1", work_dir: `${dir}/job1` } as JobRow;
    const file = (name: string) => ({ name, size: 10, isFile: true });
    const transport = scriptedTransport([], {}, [
      file("mgo.out"),
      file("../../.ssh/authorized_keys"),
      file(".."),
      file("evil\nname"),
      file("INPUT"),
      file("fort.9"),
    ]);
    const refused = await fetchResults(transport, row);
    assert.deepEqual(refused, ["../../.ssh/authorized_keys", "..", "evil\nname"]);
    assert.deepEqual(transport.calls, [`download /scratch/job1/mgo.out -> ${dir}/job1/mgo.out`]);
    assert.equal((await Deno.stat(`${dir}/job1`)).mode! & 0o777, 0o700);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("uploadJob() sends the job's own fort.34; same-cluster restart files are the script's", async () => {
  const transport = scriptedTransport([{ match: /^(mkdir|sh) /, result: { code: 0 } }]);
  const uploads: string[] = [];
  transport.upload = (local, remote) => {
    uploads.push(`${local} -> ${remote}`);
    transport.calls.push(`upload ${remote}`);
    return Promise.resolve();
  };
  const base = { pk: 2, work_dir: "/data/jobs/2-nio", remote_dir: "/scratch/2", cluster_id: 1 };
  const row = { ...base, properties_input: null, restart_from: 1, fort34: "3 1 4\n" } as JobRow;
  const source = { pk: 1, cluster_id: 1, remote_dir: "/scratch/1" } as JobRow;
  await uploadJob(transport, { row, source, script: { name: "run.sh", text: "#!/bin/sh\n" } });
  // The source ran on this cluster: its files are copied by the run script when the job starts
  // (after it, by afterok), and that copy leaves the job's own fort.34 alone (script_test.ts).
  assert.deepEqual(transport.calls.map((c) => c.split(" ").slice(0, 2).join(" ")), [
    "mkdir -p",
    "upload /scratch/2/INPUT",
    "upload /scratch/2/fort.34",
  ]);
  assert.equal(uploads.at(-1), "/data/jobs/2-nio/fort.34 -> /scratch/2/fort.34");
  // Without a fort.34 of its own, nothing is sent in its place.
  transport.calls.length = 0;
  await uploadJob(transport, {
    row: { ...row, fort34: null, restart_from: null },
    source: null,
    script: { name: "run.sh", text: "" },
  });
  assert.deepEqual(transport.calls.map((c) => c.split(" ")[0]), ["mkdir", "upload"]);
});
