import assert from "node:assert/strict";
import { z } from "zod";
import { AppError, NotFoundError } from "../../../server/errors.ts";
import {
  defineLegacy,
  envelopeCode,
  withDeadline,
} from "../../../server/methods/legacy/define_legacy.ts";
import type { MethodContext } from "../../../server/methods/context.ts";
import { asciiOnly } from "../../../server/methods/legacy/shapes.ts";

const never = (signal: AbortSignal) =>
  new Promise<never>((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(new Error("aborted inside")), { once: true });
  });

Deno.test("withDeadline() answers a timeout error when the work is still waiting", async () => {
  const caller = new AbortController();
  await assert.rejects(
    withDeadline({ ms: 20, signal: caller.signal, what: '"fetch_slurm_queue"' }, never),
    (error: unknown) =>
      error instanceof AppError && error.kind === "timeout" &&
      /Cannot answer "fetch_slurm_queue" within 0.02 s/.test(error.message),
  );
});

Deno.test("withDeadline() passes the answer and the work's own errors through", async () => {
  const signal = new AbortController().signal;
  assert.equal(await withDeadline({ ms: 1000, signal, what: "x" }, () => Promise.resolve(4)), 4);
  await assert.rejects(
    withDeadline({ ms: 1000, signal, what: "x" }, () => Promise.reject(new NotFoundError("gone"))),
    NotFoundError,
  );
});

Deno.test("envelopeCode() spells kinds as upstream's codes", () => {
  assert.equal(envelopeCode("not_found"), "NOT_FOUND");
  assert.equal(envelopeCode("ssh_failed"), "CONNECTION_FAILED");
  assert.equal(envelopeCode("invalid_params"), "VALIDATION_ERROR");
});

Deno.test("a legacy envelope method answers ok:false for an app error, a JSON-RPC error for a timeout", async () => {
  const make = (error: Error) =>
    defineLegacy({
      name: "x_legacy",
      summary: "s",
      description: "d",
      backing: [],
      envelope: "api",
      params: z.strictObject({}),
      value: z.number(),
      errors: [],
      examples: [],
      run: () => Promise.reject(error),
    });
  const ctx = { signal: new AbortController().signal } as MethodContext;
  assert.deepEqual(await make(new NotFoundError("Job 3 does not exist")).handler({}, ctx), {
    ok: false,
    error: { code: "NOT_FOUND", message: "Job 3 does not exist" },
  });
  await assert.rejects(
    make(new AppError("timeout", "slow")).handler({}, ctx),
    (e: unknown) => e instanceof AppError && e.kind === "timeout",
  );
});

Deno.test("asciiOnly() drops accents and replaces other characters", () => {
  assert.equal(asciiOnly("Énergie ≥ 5 Å"), "Energie ? 5 A");
  assert.equal(asciiOnly("plain"), "plain");
});
