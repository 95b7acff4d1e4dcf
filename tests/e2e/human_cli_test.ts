/**
 * The commands people type, as they type them: submit, jobs, job, log -f, cancel, clusters and
 * completions, against a real daemon running the stand-in CRYSTAL.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, runCli, type Sandbox, startDaemon } from "../_harness.ts";
import { deck, FAKE_CRYSTAL_ENV } from "../_jobs.ts";

function cliIn(box: Sandbox) {
  return (...args: string[]) =>
    runCli([...args, ...(args[0] === "completions" ? [] : ["--socket", box.socket])], {
      env: { ...box.env, ...FAKE_CRYSTAL_ENV },
    });
}

async function deckFile(box: Sandbox, name: string, title: string): Promise<string> {
  const path = join(box.dir, `${name}.d12`);
  await Deno.writeTextFile(path, deck(title));
  return path;
}

Deno.test("submit, log -f, jobs and job follow a run from a deck file to its energy", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box, [], { env: FAKE_CRYSTAL_ENV });
  const cli = cliIn(box);
  const submitted = await cli("submit", await deckFile(box, "mgo", "MgO [slow]"));
  assert.equal(submitted.code, 0, submitted.stderr);
  const pk = Number(/Submitted job (\d+) \("mgo"\) here/.exec(submitted.stdout)?.[1]);
  assert.ok(pk > 0, submitted.stdout);
  // -f follows through jobs.subscribe until the job ends, and exits 0.
  const followed = await cli("log", String(pk), "-f");
  assert.equal(followed.code, 0, followed.stderr);
  assert.equal(
    followed.stdout.match(/EEEEEEEEEE TERMINATION/g)?.length,
    1,
    "the end of the output, printed once",
  );
  assert.equal(followed.stdout.match(/EEEEEEEEEE STARTING/g)?.length, 1, "and its start, once");
  const jobs = await cli("jobs");
  assert.equal(jobs.code, 0, jobs.stderr);
  const [header, row] = jobs.stdout.trim().split("\n");
  assert.match(header!, /^PK +NAME +STATE +WHERE +PROGRESS +WALL +ENERGY \(Ha\)$/);
  assert.match(row!, new RegExp(`^${pk} +mgo +completed +local +100% +\\S+ +-275\\.44859114$`));
  assert.ok(!jobs.stdout.includes("\u001b["), "no colour when stdout is not a terminal");
  const listed = JSON.parse((await cli("jobs", "--json", "--state", "completed")).stdout);
  assert.deepEqual(listed.jobs.map((j: { pk: number }) => j.pk), [pk]);
  const job = await cli("job", String(pk));
  assert.match(job.stdout, /^state +completed/m);
  assert.match(job.stdout, /^energy +-275\.4485911374 Ha/m);
});

Deno.test("job shows what to change for a failed run; cancel reports each job", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box, [], {
    env: { ...FAKE_CRYSTAL_ENV, CRYSTALMATH_LOCAL_MAX_CONCURRENT: "2" },
  });
  const cli = cliIn(box);
  const failed = JSON.parse(
    (await cli("submit", await deckFile(box, "scf", "Bad [fail-scf] [slow]"), "--json")).stdout,
  );
  const slow = JSON.parse(
    (await cli(
      "submit",
      await deckFile(box, "slow", "Slow [slow]"),
      "--json",
      "--after",
      String(failed.pk),
    )).stdout,
  );
  assert.equal((await cli("log", String(failed.pk), "-f")).code, 0);
  const job = await cli("job", String(failed.pk));
  assert.match(job.stdout, /^state +failed/m);
  assert.match(job.stdout, /change: [^\n]*\n {4}- more cycles[\s\S]*\n {4}MAXCYCLE\n/);
  // Its dependent was cancelled when it failed; cancelling it again is refused, and said.
  const cancel = await cli("cancel", String(slow.pk), "99999");
  assert.notEqual(cancel.code, 0);
  assert.match(cancel.stderr, new RegExp(`Cannot cancel job ${slow.pk}: it is already cancelled`));
  assert.match(cancel.stderr, /Job 99999 does not exist/);
});

Deno.test("clusters and --cluster speak of clusters by name", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  const cli = cliIn(box);
  assert.match((await cli("clusters")).stdout, /No clusters yet/);
  const unknown = await cli("submit", await deckFile(box, "x", "X"), "--cluster", "hpc9");
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown cluster "hpc9": the clusters are none yet/);
});

Deno.test("completions bash completes commands and each command's flags", async () => {
  await using box = await makeSandbox();
  const script = (await cliIn(box)("completions", "bash")).stdout;
  const complete = async (words: string[]) => {
    const out = await new Deno.Command("bash", {
      args: [
        "-c",
        `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); ` +
        `COMP_CWORD=${words.length - 1}; _crystalmath_server; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      stdout: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).trim().split("\n");
  };
  assert.deepEqual((await complete(["crystalmath-server", "jo"])).sort(), ["job", "jobs"]);
  assert.ok((await complete(["crystalmath-server", "log", "--f"])).includes("--follow"));
  const bad = await cliIn(box)("completions", "tcsh");
  assert.equal(bad.code, 2);
});
