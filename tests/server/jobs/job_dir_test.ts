import assert from "node:assert/strict";
import { join } from "node:path";
import { prepareJobDir, resolveJobFile } from "../../../server/jobs/job_dir.ts";

/**
 * A job directory and, beside it, what a probe might try to reach:
 *
 * ```text
 * <root>/job/output.out            a plain file
 * <root>/job/sub/fort.34           a nested file
 * <root>/job/link_in -> output.out a symlink that stays inside
 * <root>/job/link_out -> ../secret a symlink to a file outside
 * <root>/job/link_dir -> ../job2   a symlink to a directory outside
 * <root>/job/dangling -> nowhere   a symlink to nothing
 * <root>/job2/secret               a sibling whose name starts like the job's
 * <root>/secret
 * <root>/alias -> job              the job directory reached through a symlink
 * ```
 */
interface Layout {
  root: string;
  dir: string;
  /** The real path of `root`: the temp dir itself may sit behind a symlink (macOS /var). */
  realRoot: string;
}

async function withJobDir(fn: (layout: Layout) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir();
  try {
    const dir = join(root, "job");
    await Deno.mkdir(join(dir, "sub"), { recursive: true });
    await Deno.mkdir(join(root, "job2"));
    await Deno.writeTextFile(join(dir, "output.out"), "EEEEEEEEEE TERMINATION\n");
    await Deno.writeTextFile(join(dir, "sub", "fort.34"), "3 1 4\n");
    await Deno.writeTextFile(join(root, "secret"), "outside\n");
    await Deno.writeTextFile(join(root, "job2", "secret"), "sibling\n");
    await Deno.symlink("output.out", join(dir, "link_in"));
    await Deno.symlink(join(root, "secret"), join(dir, "link_out"));
    await Deno.symlink(join(root, "job2"), join(dir, "link_dir"));
    await Deno.symlink(join(dir, "nowhere"), join(dir, "dangling"));
    await Deno.symlink(dir, join(root, "alias"));
    await fn({ root, dir, realRoot: await Deno.realPath(root) });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Asserts the NotFound refusal the guard gives: it names the path as asked, and why. */
async function assertRefused(promise: Promise<unknown>, name: string, why: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof Error, `not an Error: ${String(error)}`);
    const { kind, data } = error as Error & { kind?: unknown; data?: unknown };
    assert.equal(error.name, "NotFoundError");
    // A refused path is "not found" too, so a probe cannot learn what exists outside the job.
    assert.equal(kind, "not_found");
    assert.equal(error.message, `Cannot read "${name}": ${why}`);
    assert.deepEqual(data, { name });
    return true;
  });
}

const ACCEPTED: { name: string; file: string; real: string[] }[] = [
  {
    name: "resolveJobFile() resolves a plain file to its real path",
    file: "output.out",
    real: ["job", "output.out"],
  },
  {
    name: "resolveJobFile() resolves a file in a subdirectory",
    file: "sub/fort.34",
    real: ["job", "sub", "fort.34"],
  },
  {
    name: "resolveJobFile() accepts a leading ./",
    file: "./output.out",
    real: ["job", "output.out"],
  },
  {
    name: "resolveJobFile() accepts a .. in the middle that stays inside",
    file: "sub/../output.out",
    real: ["job", "output.out"],
  },
  {
    name: "resolveJobFile() judges the resolved path, not the spelling, of a .. that comes back in",
    file: "sub/../../job/sub/fort.34",
    real: ["job", "sub", "fort.34"],
  },
  {
    name: "resolveJobFile() follows a symlink to a file inside and returns the target",
    file: "link_in",
    real: ["job", "output.out"],
  },
];

for (const { name, file, real } of ACCEPTED) {
  Deno.test(name, () =>
    withJobDir(async ({ dir, realRoot }) => {
      assert.equal(await resolveJobFile(dir, file), join(realRoot, ...real));
    }));
}

const REFUSED: { name: string; file: string | ((layout: Layout) => string); why: string }[] = [
  {
    name: "resolveJobFile() refuses an empty name",
    file: "",
    why: "not a file name",
  },
  {
    name: "resolveJobFile() refuses a name with a NUL byte",
    file: "output.out\0.txt",
    why: "not a file name",
  },
  {
    name: "resolveJobFile() refuses an absolute path outside the job",
    file: "/etc/passwd",
    why: "absolute paths are not allowed",
  },
  {
    name: "resolveJobFile() refuses an absolute path even when it points inside the job",
    file: ({ dir }) => join(dir, "output.out"),
    why: "absolute paths are not allowed",
  },
  {
    name: "resolveJobFile() refuses ../ out of the job",
    file: "../secret",
    why: "it is outside the job directory",
  },
  {
    name: "resolveJobFile() refuses a .. in the middle that leaves the job",
    file: "sub/../../secret",
    why: "it is outside the job directory",
  },
  {
    name: "resolveJobFile() refuses a .. into a sibling whose name starts like the job's",
    file: "../job2/secret",
    why: "it is outside the job directory",
  },
  {
    name: "resolveJobFile() refuses the job directory itself",
    file: ".",
    why: "it is outside the job directory",
  },
  {
    name: "resolveJobFile() refuses a symlink to a file outside the job",
    file: "link_out",
    why: "it links outside the job directory",
  },
  {
    name: "resolveJobFile() refuses a path through a symlinked directory outside the job",
    file: "link_dir/secret",
    why: "it links outside the job directory",
  },
  {
    name: "resolveJobFile() reports a file that does not exist",
    file: "missing.out",
    why: "no such file in the job directory",
  },
  {
    name: "resolveJobFile() reports a dangling symlink as a missing file",
    file: "dangling",
    why: "no such file in the job directory",
  },
  {
    name: "resolveJobFile() refuses a directory",
    file: "sub",
    why: "not a regular file",
  },
];

for (const { name, file, why } of REFUSED) {
  Deno.test(name, () =>
    withJobDir(async (layout) => {
      const spelled = typeof file === "string" ? file : file(layout);
      await assertRefused(resolveJobFile(layout.dir, spelled), spelled, why);
    }));
}

Deno.test("resolveJobFile() works on a job directory reached through a symlink", () =>
  withJobDir(async ({ root, realRoot }) => {
    const alias = join(root, "alias");
    assert.equal(await resolveJobFile(alias, "output.out"), join(realRoot, "job", "output.out"));
    await assertRefused(
      resolveJobFile(alias, "link_out"),
      "link_out",
      "it links outside the job directory",
    );
  }));

Deno.test("resolveJobFile() reports a file of a job directory that does not exist", () =>
  withJobDir(async ({ root }) => {
    const gone = join(root, "never-created");
    await assertRefused(
      resolveJobFile(gone, "output.out"),
      "output.out",
      "no such file in the job directory",
    );
  }));

Deno.test("resolveJobFile() accepts a file whose name starts with two dots", () =>
  withJobDir(async ({ dir }) => {
    await Deno.writeTextFile(join(dir, "..notes"), "kept");
    assert.equal(await Deno.readTextFile(await resolveJobFile(dir, "..notes")), "kept");
  }));

Deno.test("prepareJobDir() writes the job's fort.34 after the restart copies, so it wins", async () => {
  const root = await Deno.makeTempDir();
  try {
    const old = join(root, "old");
    await Deno.mkdir(old);
    await Deno.writeTextFile(join(old, "fort.34"), "the earlier job's geometry\n");
    await Deno.writeTextFile(join(old, "fort.9"), "wave function\n");
    const dir = join(root, "new");
    const copied = await prepareJobDir(dir, {
      input: "NiO\nEXTERNAL\n",
      propertiesInput: null,
      restartDir: old,
      fort34: "3 1 4\n",
    });
    assert.deepEqual(copied.sort(), ["fort.20", "fort.34", "fort.9"]);
    assert.equal(await Deno.readTextFile(join(dir, "fort.34")), "3 1 4\n");
    assert.equal((await Deno.stat(join(dir, "fort.34"))).mode! & 0o777, 0o600);
    const plain = join(root, "plain");
    await prepareJobDir(plain, { input: "MgO\n", propertiesInput: null, restartDir: null });
    assert.ok(!(await Deno.stat(join(plain, "fort.34")).then(() => true, () => false)));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
