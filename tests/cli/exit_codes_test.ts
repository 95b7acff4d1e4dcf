import assert from "node:assert/strict";
import { EXIT_CODES, exitCodeFor, UsageError } from "../../cli/exit_codes.ts";
import { ClientError, ServerError } from "../../client/errors.ts";
import { ERROR_KINDS } from "../../common/error_codes.ts";

Deno.test("exitCodeFor() maps every error kind through the one table", () => {
  const server = (code: number, kind?: string) =>
    new ServerError({ code, message: "m", ...(kind ? { data: { kind } } : {}) });
  const cases: [unknown, number][] = [
    [new UsageError("x"), 2],
    [server(-32602, "invalid_params"), 2],
    [server(-32601), 2],
    [server(-32004, "not_found"), 4],
    [server(-32005, "conflict"), 5],
    [server(-32006, "invalid_state"), 5],
    [server(-32002, "host_key_mismatch"), 6],
    [server(-32002), 6],
    [server(-32003, "slurm_rejected"), 6],
    [server(-32603, "internal_error"), 1],
    [server(-32009, "cancelled"), 130],
    [new ClientError("not_running", "x"), 3],
    [new ClientError("unsafe_socket", "x"), 3],
    [new ClientError("timeout", "x"), 3],
    [new ClientError("aborted", "x"), 130],
    [new Error("boom"), 1],
    ["string", 1],
  ];
  for (const [error, code] of cases) {
    assert.equal(exitCodeFor(error), code, String((error as Error).message ?? error));
  }
});

Deno.test("exitCodeFor() knows every kind in the error table", () => {
  for (const [kind, { code }] of Object.entries(ERROR_KINDS)) {
    const mapped = exitCodeFor(new ServerError({ code, message: "m", data: { kind } }));
    assert.ok(Object.values(EXIT_CODES).includes(mapped as never), kind);
    if (kind !== "internal_error" && kind !== "server_error" && kind !== "database") {
      assert.notEqual(mapped, 1, kind);
    }
  }
});
