/**
 * Bad input to jobs.submit through the real daemon: refused with a clear error that names what
 * was wrong, quickly, without quoting a file read by path, and with nothing recorded.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ServerError } from "../../client/errors.ts";
import { SocketClient } from "../../client/socket_client.ts";
import { makeSandbox, startDaemon } from "../_harness.ts";

const DECK =
  "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\nBASISSET\nPOB-TZVP\nEND\n";

function refusedWith(code: number, pattern: RegExp) {
  return (e: unknown) => e instanceof ServerError && e.code === code && pattern.test(e.message);
}

Deno.test("jobs.submit refuses input_path that is a device, a FIFO, a directory or too large", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket, { timeoutMs: 10_000 });
  const fifo = join(box.dir, "deck.fifo");
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  const huge = join(box.dir, "huge.d12");
  using file = await Deno.open(huge, { create: true, write: true });
  await file.truncate(65 * 1024 * 1024); // sparse: no disk used
  const cases: [string, RegExp][] = [
    ["/dev/zero", /input_path "\/dev\/zero": not a regular file/],
    [fifo, /: not a regular file/],
    [box.dir, /: not a regular file/],
    [huge, /: larger than 64 MiB/],
    [join(box.dir, "missing.d12"), /: no such file/],
  ];
  for (const [path, pattern] of cases) {
    await assert.rejects(
      client.request("jobs.submit", { name: "bad", input_path: path }),
      refusedWith(-32007, pattern),
      path,
    );
  }
  const { total } = await client.request("jobs.list", {}) as { total: number };
  assert.equal(total, 0);
  assert.deepEqual(
    await client.request("system.ping", {}).then((r) => (r as { pong: boolean }).pong),
    true,
  );
});

Deno.test("jobs.submit never quotes a file read by input_path in its error", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket);
  const secret = join(box.dir, "shadow");
  await Deno.writeTextFile(secret, "root:$6$s3cr3tHash:19000:0:99999:7:::\nbin:*:19000\n");
  await assert.rejects(
    client.request("jobs.submit", { name: "leak", input_path: secret }),
    (e) =>
      e instanceof ServerError && e.code === -32007 && e.message.includes(secret) &&
      !JSON.stringify({ message: e.message, data: e.data }).includes("s3cr3t"),
  );
  const ok = join(box.dir, "mgo.d12");
  await Deno.writeTextFile(ok, DECK);
  const job = await client.request("jobs.submit", { name: "ok", input_path: ok }) as { pk: number };
  assert.ok(job.pk > 0);
});

Deno.test("jobs.submit refuses control characters in a job name, naming the field", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket);
  for (const name of ["a\u0000b", "a\rb", "two\nlines", "evil\u202egnp.exe", "tab\there"]) {
    await assert.rejects(
      client.request("jobs.submit", { name, input: DECK }),
      refusedWith(-32602, /name: must not contain control characters/),
      JSON.stringify(name),
    );
  }
  await assert.rejects(
    client.request("jobs.submit", { name: "ok", input: DECK, tags: ["x\ny"] }),
    refusedWith(-32602, /tags\.0: must not contain control characters/),
  );
});

Deno.test("jobs.submit with a client_token gives back the same job when sent again", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket);
  const token = crypto.randomUUID();
  const params = { name: "once", input: DECK, client_token: token };
  // A client that lost the answer sends again, even twice at once.
  const [a, b] = await Promise.all([
    client.request("jobs.submit", params),
    client.request("jobs.submit", params),
  ]) as { pk: number }[];
  const c = await client.request("jobs.submit", params) as { pk: number };
  assert.deepEqual([b!.pk, c.pk], [a!.pk, a!.pk]);
  const { total } = await client.request("jobs.list", {}) as { total: number };
  assert.equal(total, 1, "one job, not three");
  await assert.rejects(
    client.request("jobs.submit", { ...params, name: "other" }),
    refusedWith(-32005, new RegExp(`client_token "${token}" was used for job ${a!.pk}`)),
  );
});
