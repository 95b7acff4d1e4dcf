/**
 * Under umask 000, with the database outside the data directory (as the terminal UI puts it),
 * every file and directory the daemon makes is the user's alone.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { SocketClient } from "../../client/socket_client.ts";
import { cliCommand, makeSandbox, waitForPing } from "../_harness.ts";

const FAKE = new URL("../fixtures/fake_crystal/", import.meta.url).pathname;
const DECK =
  "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\nBASISSET\nPOB-TZVP\nEND\n";

async function modesUnder(dir: string): Promise<{ path: string; mode: number }[]> {
  const found: { path: string; mode: number }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    const info = await Deno.lstat(path);
    if (info.isSymlink) continue;
    found.push({ path, mode: info.mode! & 0o777 });
    if (info.isDirectory) found.push(...await modesUnder(path));
  }
  return found;
}

Deno.test("a daemon under umask 000 makes every database, job and output file 0600 and every directory 0700", async () => {
  await using box = await makeSandbox();
  const dbDir = join(box.dir, "elsewhere");
  await Deno.mkdir(dbDir);
  const db = join(dbDir, "elsewhere.db");
  const { command, args } = cliCommand(["serve", "--socket", box.socket, "--log-file", box.log]);
  const child = new Deno.Command("sh", {
    args: ["-c", 'umask 000; exec "$@"', "sh", command, ...args],
    env: { ...box.env, CRYSTALMATH_DB: db, CRYSTALMATH_CRYSTAL_EXECUTABLE: join(FAKE, "crystal") },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitForPing(box.socket);
    await using client = new SocketClient(box.socket);
    const { pk } = await client.request("jobs.submit", { name: "mgo", input: DECK }) as {
      pk: number;
    };
    for (;;) {
      const job = await client.request("jobs.get", { pk }) as { state: string };
      if (job.state === "completed" || job.state === "failed") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const files = [
      ...(await modesUnder(dbDir)),
      ...(await modesUnder(box.env.XDG_DATA_HOME)),
    ];
    assert.ok(files.some((f) => f.path.endsWith("-wal")), "the WAL file was looked at");
    assert.ok(files.some((f) => f.path.endsWith(".out")), "the job's output was looked at");
    const loose = files.filter((f) => f.mode & 0o077);
    assert.deepEqual(loose.map((f) => `${f.path} ${f.mode.toString(8)}`), []);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
});
