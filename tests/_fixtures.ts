/**
 * Access to the real CRYSTAL inputs and outputs in `../shared/fixtures/crystal/` (they are not
 * copied into this repository; see their SOURCES.md for licences). A contributor's clone may not
 * have `../shared`: tests that need it are then skipped, and say so. In CI (`CI` set) a missing
 * fixture folder is a failure, never a skip.
 *
 * @module
 */

/** The folder of shared CRYSTAL fixtures, as a file URL. */
export const CRYSTAL_FIXTURES = new URL("../../shared/fixtures/crystal/", import.meta.url);

function hasFixtures(): boolean {
  try {
    return Deno.statSync(CRYSTAL_FIXTURES).isDirectory;
  } catch {
    return false; // Absent: a contributor's clone.
  }
}

/** Reads one fixture file as text. */
export function readCrystalFixture(name: string): string {
  return Deno.readTextFileSync(new URL(name, CRYSTAL_FIXTURES));
}

/** Names of the fixture files with one of the given extensions, sorted. */
export function listCrystalFixtures(...extensions: string[]): string[] {
  return [...Deno.readDirSync(CRYSTAL_FIXTURES)]
    .map((entry) => entry.name)
    .filter((name) => extensions.some((ext) => name.endsWith(ext)))
    .sort();
}

/**
 * Registers a test that needs the shared fixtures: skipped (with the reason in its name) when
 * they are absent, unless CI is set, in which case it runs and fails.
 */
export function fixtureTest(name: string, fn: () => void | Promise<void>): void {
  const isPresent = hasFixtures();
  const isCi = Boolean(Deno.env.get("CI"));
  if (!isPresent && !isCi) {
    Deno.test({
      name: `${name} (skipped: ../shared/fixtures/crystal is absent)`,
      ignore: true,
      fn,
    });
    return;
  }
  Deno.test(name, () => {
    if (!isPresent) throw new Error(`CI is set but ${CRYSTAL_FIXTURES.pathname} is missing`);
    return fn();
  });
}
