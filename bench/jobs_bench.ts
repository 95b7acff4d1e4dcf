/**
 * Benchmarks for jobs.*: cost as data grows, as ratios measured side by side in one run.
 * - jobs.list: a page of 100 from 100 000 jobs against the same page from 1 000 jobs;
 * - jobs.log: the last 100 lines of a 500 MB output against those of a 1 MB output;
 * - the CRYSTAL output parser's throughput on the largest fixture, against splitting the same
 *   text into lines without parsing.
 *
 * @module
 */
import { join } from "node:path";
import { SocketClient } from "../client/socket_client.ts";
import { createOutputParser } from "../server/crystal/output_parser.ts";
import { Database } from "../server/db/open.ts";
import { type Sandbox, startDaemon } from "../tests/_harness.ts";
import { CRYSTAL_FIXTURES, listCrystalFixtures, readCrystalFixture } from "../tests/_fixtures.ts";

// deno-lint-ignore no-console
const say = console.log;
const MB = 1024 * 1024;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Fills a database with `count` finished local jobs whose directories are `dirOf(pk)`. */
function seedJobs(path: string, count: number, dirOf: (pk: number) => string): void {
  using db = Database.open(path);
  db.transaction((c) => {
    const insert = c.prepare(
      `INSERT INTO jobs (uuid, name, state, runner_type, input, created_at, updated_at, started_at,
         finished_at, work_dir, output_name, final_energy, progress_percent)
       VALUES (?, ?, ?, 'local', 'deck', ?, ?, ?, ?, ?, 'out', ?, 100)`,
    );
    const at = new Date(0).toISOString();
    for (let pk = 1; pk <= count; pk++) {
      const state = pk % 10 === 0 ? "failed" : "completed";
      insert.run(
        crypto.randomUUID(),
        `job-${pk}`,
        state,
        at,
        at,
        at,
        at,
        dirOf(pk),
        -275.4 - pk / 1e6,
      );
    }
  });
}

/** Median milliseconds of `runs` calls of `method` on one connection, after a warm-up. */
async function timeCalls(
  socket: string,
  method: string,
  params: Record<string, unknown>,
  runs: number,
): Promise<number> {
  await using client = new SocketClient(socket);
  for (let i = 0; i < 20; i++) await client.request(method, params);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await client.request(method, params);
    samples.push(performance.now() - started);
  }
  return median(samples);
}

/** Writes an output file of about `bytes`, made of SCF-like lines. */
async function writeOutput(path: string, bytes: number): Promise<void> {
  const line = " CYC   7 ETOT(AU) -2.754485911374E+02 DETOT -3.85E-09 tst  3.11E-11 PX  3.11E-07\n";
  const block = new TextEncoder().encode(line.repeat(Math.ceil(MB / line.length)));
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let written = 0; written < bytes; written += block.length) {
    let offset = 0;
    while (offset < block.length) offset += await file.write(block.subarray(offset));
  }
}

async function listBench(box: Sandbox): Promise<void> {
  const figures: Record<string, { page: number; filtered: number; search: number }> = {};
  for (const count of [1_000, 100_000]) {
    const db = join(box.dir, `list-${count}.db`);
    seedJobs(db, count, (pk) => join(box.dir, "jobs", String(pk)));
    await using _daemon = await startDaemon(box, ["--no-timeout", "--db", db]);
    figures[count] = {
      page: await timeCalls(box.socket, "jobs.list", { limit: 100 }, 200),
      filtered: await timeCalls(
        box.socket,
        "jobs.list",
        { limit: 100, state: "failed", offset: 0 },
        200,
      ),
      search: await timeCalls(box.socket, "jobs.list", { limit: 100, search: "job-9" }, 50),
    };
  }
  const small = figures[1_000]!;
  const large = figures[100_000]!;
  for (const key of ["page", "filtered", "search"] as const) {
    say(
      `jobs.list ${key.padEnd(8)}: 1 000 jobs ${small[key].toFixed(2)} ms, 100 000 jobs ` +
        `${large[key].toFixed(2)} ms: ${(large[key] / small[key]).toFixed(2)}×${
          key === "page" ? " (target ≤ 2)" : ""
        }`,
    );
  }
}

async function logBench(box: Sandbox): Promise<void> {
  const db = join(box.dir, "log.db");
  const dirs = [join(box.dir, "small"), join(box.dir, "large")];
  for (const dir of dirs) await Deno.mkdir(dir, { recursive: true });
  await writeOutput(join(dirs[0]!, "out.out"), MB);
  await writeOutput(join(dirs[1]!, "out.out"), 500 * MB);
  seedJobs(db, 2, (pk) => dirs[pk - 1]!);
  await using _daemon = await startDaemon(box, ["--no-timeout", "--db", db]);
  const small = await timeCalls(box.socket, "jobs.log", { pk: 1, tail_lines: 100 }, 200);
  const large = await timeCalls(box.socket, "jobs.log", { pk: 2, tail_lines: 100 }, 200);
  say(
    `jobs.log tail 100: 1 MB output ${small.toFixed(2)} ms, 500 MB output ${
      large.toFixed(2)
    } ms: ` +
      `${(large / small).toFixed(2)}× (target ≤ 2)`,
  );
  await Deno.remove(dirs[1]!, { recursive: true });
}

function parseBench(): void {
  let present = true;
  try {
    Deno.statSync(CRYSTAL_FIXTURES);
  } catch {
    present = false;
  }
  if (!present) {
    say("output parser: skipped (../shared/fixtures/crystal is absent)");
    return;
  }
  const largest = listCrystalFixtures(".out", ".outp")
    .map((name) => ({ name, text: readCrystalFixture(name) }))
    .sort((a, b) => b.text.length - a.text.length)[0]!;
  const text = largest.text.repeat(Math.ceil(50 * MB / largest.text.length));
  const megabytes = new TextEncoder().encode(text).length / MB;
  const rates = { parse: [] as number[], split: [] as number[] };
  for (let round = 0; round < 5; round++) {
    let started = performance.now();
    let count = 0;
    for (const line of text.split("\n")) count += line.length > 0 ? 1 : 0;
    rates.split.push(megabytes / ((performance.now() - started) / 1000));
    started = performance.now();
    const parser = createOutputParser();
    for (const line of text.split("\n")) parser.pushLine(line);
    parser.result();
    rates.parse.push(megabytes / ((performance.now() - started) / 1000));
    if (count === 0) throw new Error("no lines");
  }
  const parse = median(rates.parse);
  const split = median(rates.split);
  say(
    `output parser on ${largest.name} ×${Math.round(text.length / largest.text.length)} (${
      megabytes.toFixed(0)
    } MB): ` +
      `${parse.toFixed(0)} MB/s, against ${split.toFixed(0)} MB/s for splitting lines alone (${
        (split / parse).toFixed(1)
      }× the cost)`,
  );
}

/** Runs the jobs benchmarks in `box`. */
export async function benchJobs(box: Sandbox): Promise<void> {
  say("\njobs.*");
  await listBench(box);
  await logBench(box);
  parseBench();
}
