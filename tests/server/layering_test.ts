/**
 * The layering of docs/architecture.md, checked on the source: imports point down, the job store
 * is the only writer of job rows, and no server file grows past 400 lines.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";

const ROOT = new URL("../../server/", import.meta.url).pathname;

async function sources(dir = ROOT): Promise<{ path: string; text: string }[]> {
  const found: { path: string; text: string }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const full = join(dir, entry.name);
    if (entry.isDirectory) found.push(...await sources(full));
    else if (entry.name.endsWith(".ts")) {
      found.push({ path: relative(ROOT, full), text: await Deno.readTextFile(full) });
    }
  }
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

function imports(text: string): string[] {
  return [...text.matchAll(/from "([^"]+)"/g)].map((m) => m[1]!);
}

Deno.test("server files stay under 400 lines", async () => {
  const big = (await sources())
    .map((f) => ({ path: f.path, lines: f.text.split("\n").length - 1 }))
    .filter((f) => f.lines > 400);
  assert.deepEqual(big, []);
});

/**
 * The daemon, what it builds once it listens and the registry it loads on first use: the top,
 * which composes everything.
 */
const TOP = ["daemon.ts", "bring_up.ts", "registry.ts"];

Deno.test("only the daemon and the registry, the top, import server/methods/", async () => {
  const upward = (await sources())
    .filter((f) => !f.path.startsWith("methods/"))
    .filter((f) => !TOP.includes(f.path))
    .filter((f) => imports(f.text).some((i) => /(^|\/)methods\//.test(i)))
    .map((f) => f.path);
  assert.deepEqual(upward, []);
});

Deno.test("db/, ssh/, jobs/, runners/, engine/ and model/ never import rpc/", async () => {
  const layers = ["db/", "ssh/", "jobs/", "runners/", "engine/", "model/", "slurm/", "crystal/"];
  const offenders = (await sources())
    .filter((f) => layers.some((l) => f.path.startsWith(l)))
    .filter((f) => imports(f.text).some((i) => /(^|\/)rpc\//.test(i)))
    .map((f) => f.path);
  assert.deepEqual(offenders, []);
});

Deno.test("jobs/store.ts is the only writer of job rows", async () => {
  const writers = ["insertJobRow", "updateJobRow", "deleteJobRow", "insertJobEvent"];
  const offenders = (await sources())
    .filter((f) => f.path !== "jobs/store.ts" && f.path !== "db/jobs.ts")
    .filter((f) => writers.some((w) => new RegExp(`\\b${w}\\b`).test(f.text)))
    .map((f) => f.path);
  assert.deepEqual(offenders, []);
  const sqlWriters = (await sources())
    .filter((f) => f.path !== "db/jobs.ts" && f.path !== "db/migrations.ts")
    .filter((f) => /\b(INSERT INTO|UPDATE|DELETE FROM) jobs\b/.test(f.text))
    .map((f) => f.path);
  assert.deepEqual(sqlWriters, ["db/clusters.ts"], "only detaching jobs from a deleted cluster");
});

Deno.test("the legacy methods and the old database are imported from the top only", async () => {
  const offenders = (await sources())
    .filter((f) => !f.path.startsWith("legacy/") && !f.path.startsWith("methods/legacy/"))
    .filter((f) => !TOP.includes(f.path))
    .filter((f) => imports(f.text).some((i) => /(^|\/)legacy\//.test(i)))
    .map((f) => f.path);
  assert.deepEqual(offenders, []);
});

Deno.test("no handler branches on runner_type", async () => {
  const offenders = (await sources())
    .filter((f) => f.path.startsWith("methods/"))
    .filter((f) => /runner_type\s*[!=]==|\.runner_type\s*\?(?!\?)/.test(f.text))
    .map((f) => f.path);
  assert.deepEqual(offenders, []);
});
