import assert from "node:assert/strict";
import type { JobRow } from "../../../server/model/job.ts";
import { fetchResults, isPlainName } from "../../../server/runners/remote/files.ts";
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
