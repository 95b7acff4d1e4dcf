import assert from "node:assert/strict";
import { resolveFileSettings as resolveParsed } from "../../server/config_file.ts";
import { parseConfigFile } from "../../server/config_toml.ts";

const FILE = "/home/u/.config/crystalmath/config.toml";

/** Parses the file's text (if any) as the daemon does, then resolves the settings. */
function resolveFileSettings(
  file: { path: string; text: string | undefined },
  env: Record<string, string | undefined>,
): ReturnType<typeof resolveParsed> {
  const data = file.text === undefined ? undefined : parseConfigFile(file.path, file.text);
  return resolveParsed({ path: file.path, data }, env);
}

Deno.test("resolveFileSettings() reads config.toml, then lets the environment override it", () => {
  const text =
    '[crystal]\nexecutable = "/opt/cry/crystal"\nmpirun = "srun -n {ranks}"\n[local]\nmax_concurrent = 3\n';
  const fromFile = resolveFileSettings({ path: FILE, text }, {});
  assert.equal(fromFile.crystal.executable, "/opt/cry/crystal");
  assert.deepEqual(fromFile.crystal.mpirun, ["srun", "-n", "{ranks}"]);
  assert.equal(fromFile.crystal.parallelExecutable, "Pcrystal");
  assert.equal(fromFile.local.maxConcurrent, 3);
  const overridden = resolveFileSettings({ path: FILE, text }, {
    CRYSTALMATH_CRYSTAL_EXECUTABLE: "/x/crystal",
    CRYSTALMATH_LOCAL_MAX_CONCURRENT: "2",
  });
  assert.equal(overridden.crystal.executable, "/x/crystal");
  assert.equal(overridden.local.maxConcurrent, 2);
});

Deno.test("resolveFileSettings() looks bare program names up in CRY23_EXEDIR", () => {
  const settings = resolveFileSettings({ path: FILE, text: undefined }, {
    CRY23_EXEDIR: "/opt/crystal23/bin/",
  });
  assert.equal(settings.crystal.executable, "/opt/crystal23/bin/crystal");
  assert.equal(settings.crystal.parallelProperties, "/opt/crystal23/bin/Pproperties");
  assert.deepEqual(settings.crystal.mpirun, ["mpirun", "-np", "{ranks}"]);
  assert.equal(settings.local.maxConcurrent, 1);
});

Deno.test("resolveFileSettings() names the file and the key that is wrong", () => {
  const bad: [string, RegExp][] = [
    ["[crystal\nexecutable = 1", /Invalid config file ".*config.toml": /],
    ["[crystal]\nexecutable = 1\n", /crystal\.executable: /],
    ['[crystal]\nexecutible = "x"\n', /crystal.*executible/],
    ["[local]\nmax_concurrent = 0\n", /local\.max_concurrent: /],
    ["[materials]\ntimeout_s = 0\n", /materials\.timeout_s: /],
    [
      '[materials]\noptimade_providers = [{ id = "mp", base_url = "ftp://x" }]\n',
      /http or https URL/,
    ],
    ['[materials]\noptimade_providers = [{ id = "MP", base_url = "https://x" }]\n', /lowercase id/],
    [
      '[materials]\noptimade_providers = [{ id = "a", base_url = "https://x" }, { id = "a", base_url = "https://y" }]\n',
      /each provider id once/,
    ],
  ];
  for (const [text, pattern] of bad) {
    assert.throws(() => resolveFileSettings({ path: FILE, text }, {}), pattern, text);
  }
  assert.throws(
    () =>
      resolveFileSettings({ path: FILE, text: undefined }, {
        CRYSTALMATH_LOCAL_MAX_CONCURRENT: "lots",
      }),
    /Invalid CRYSTALMATH_LOCAL_MAX_CONCURRENT "lots"/,
  );
});

Deno.test("resolveFileSettings() reads [materials]: the timeout and a provider list that replaces the built-in one", () => {
  assert.deepEqual(resolveFileSettings({ path: FILE, text: undefined }, {}).materials, {
    timeoutMs: 10_000,
    cacheDays: 30,
    providers: null,
    mpApi: null,
  });
  const text =
    '[materials]\ntimeout_s = 2.5\noptimade_providers = [{ id = "mp", base_url = "https://optimade.materialsproject.org" }]\n';
  assert.deepEqual(resolveFileSettings({ path: FILE, text }, {}).materials, {
    timeoutMs: 2500,
    cacheDays: 30,
    providers: [{ id: "mp", baseUrl: "https://optimade.materialsproject.org" }],
    mpApi: null,
  });
});
