/**
 * `crystalmath-server watch` as a user runs it: it subscribes, prints one line (or one JSON line)
 * per change of the jobs it watches, and exits 0 on Ctrl-C.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { SocketClient } from "../../client/socket_client.ts";
import { cliCommand, makeSandbox, type Sandbox, startDaemon } from "../_harness.ts";

const FAKE = new URL("../fixtures/fake_crystal/", import.meta.url).pathname;
const DECK = (title: string) =>
  `${title}\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\nBASISSET\nPOB-TZVP\nEND\n`;

/** Starts `watch`, and collects its stdout lines as they come. */
function watch(box: Sandbox, args: string[]) {
  const { command, args: argv } = cliCommand(["watch", "--socket", box.socket, ...args]);
  const child = new Deno.Command(command, {
    args: argv,
    env: box.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const notices: string[] = [];
  const reading = Promise.all([collect(child.stdout, lines), collect(child.stderr, notices)]);
  return {
    child,
    lines,
    reading,
    /** Resolves once watch says it is subscribed. */
    subscribed: () =>
      until("the subscription", () => notices.some((l) => l.startsWith("watching"))),
    stderr: () => notices.join("\n"),
  };
}

async function collect(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    const parts = rest.split("\n");
    rest = parts.pop()!;
    into.push(...parts);
  }
  if (rest !== "") into.push(rest);
}

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("watch --json --pk prints one JSON line per change of that job and exits 0 on SIGINT", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box, [], {
    env: { CRYSTALMATH_CRYSTAL_EXECUTABLE: join(FAKE, "crystal") },
  });
  await using client = new SocketClient(box.socket);
  const other = await client.request("jobs.submit", { name: "other", input: DECK("Other") }) as {
    pk: number;
  };
  const watched = watch(box, ["--json", "--pk", String(other.pk + 1)]);
  await watched.subscribed();
  const { pk } = await client.request("jobs.submit", { name: "mine", input: DECK("Mine") }) as {
    pk: number;
  };
  assert.equal(pk, other.pk + 1);
  await until(
    "the completed line",
    () => watched.lines.some((l) => l.includes('"state":"completed"')),
  );
  watched.child.kill("SIGINT");
  const status = await watched.child.status;
  await watched.reading;
  assert.equal(status.code, 0, watched.stderr());
  const changes = watched.lines.map((l) => JSON.parse(l));
  assert.ok(changes.every((c) => c.pk === pk), "only the watched job");
  const states = changes.filter((c) => c.event === "state").map((c) => c.state);
  assert.deepEqual(states, ["created", "queued", "running", "completed"]);
  const seqs = changes.map((c) => c.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
});

Deno.test("watch prints a line per change, naming the job and the transition", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box, [], {
    env: { CRYSTALMATH_CRYSTAL_EXECUTABLE: join(FAKE, "crystal") },
  });
  await using client = new SocketClient(box.socket);
  const watched = watch(box, ["--state", "completed,failed"]);
  await watched.subscribed();
  const { pk } = await client.request("jobs.submit", {
    name: "scf",
    input: DECK("Fails [fail-scf]"),
  }) as {
    pk: number;
  };
  await until("the failed line", () => watched.lines.length > 0);
  watched.child.kill("SIGINT");
  assert.equal((await watched.child.status).code, 0);
  await watched.reading;
  assert.equal(watched.lines.length, 1, watched.lines.join("\n"));
  assert.match(
    watched.lines[0]!,
    new RegExp(`^\\d\\d:\\d\\d:\\d\\d  job ${pk}\\s+local\\s+running -> failed  .*TOO MANY CYCLES`),
  );
});

Deno.test("watch refuses a bad --pk with a usage error", async () => {
  await using box = await makeSandbox();
  const watched = watch(box, ["--pk", "x"]);
  const status = await watched.child.status;
  await watched.reading;
  assert.equal(status.code, 2);
  assert.match(watched.stderr(), /Invalid --pk "x": expected a job id/);
});
