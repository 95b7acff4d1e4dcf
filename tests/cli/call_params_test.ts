import assert from "node:assert/strict";
import { parseCallParams } from "../../cli/call_params.ts";
import { UsageError } from "../../cli/exit_codes.ts";

const files: Record<string, string> = { "mgo.d12": "MGO\nCRYSTAL\n" };
const read = (path: string) => {
  const text = files[path];
  if (text === undefined) throw new Error("No such file");
  return text;
};

Deno.test("parseCallParams() turns key=value pairs into typed, nested params", () => {
  assert.deepEqual(
    parseCallParams([
      "name=mgo",
      "delay_ms=5",
      "flag=true",
      'tags=["a"]',
      "resources.mpi_ranks=4",
      "input=@mgo.d12",
    ], read),
    {
      name: "mgo",
      delay_ms: 5,
      flag: true,
      tags: ["a"],
      resources: { mpi_ranks: 4 },
      input: "MGO\nCRYSTAL\n",
    },
  );
});

Deno.test("parseCallParams() takes one JSON object or array as the params", () => {
  assert.deepEqual(parseCallParams(['{"a":1}']), { a: 1 });
  assert.deepEqual(parseCallParams(["[1,2]"]), [1, 2]);
  assert.equal(parseCallParams([]), undefined);
});

Deno.test("parseCallParams() rejects malformed arguments with a usage error", () => {
  const bad: [string[], RegExp][] = [
    [["{oops"], /Invalid params JSON/],
    [["novalue"], /expected key=value/],
    [["=x"], /expected key=value/],
    [["a..b=1"], /Invalid key/],
    [["a=1", "a.b=2"], /already set/],
    [["input=@missing.d12"], /Cannot read "missing.d12"/],
  ];
  for (const [args, pattern] of bad) {
    assert.throws(
      () => parseCallParams(args, read),
      (e) => e instanceof UsageError && pattern.test(e.message),
      args.join(" "),
    );
  }
});
