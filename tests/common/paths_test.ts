import assert from "node:assert/strict";
import { posix } from "node:path";
import {
  dirname,
  pidFilePath,
  resolveDbPath,
  resolveLogPath,
  resolveSocketPath,
} from "../../common/paths.ts";

const linux = (env: Record<string, string>) => ({ os: "linux", env: { HOME: "/home/u", ...env } });
const mac = (env: Record<string, string>) => ({ os: "darwin", env: { HOME: "/Users/u", ...env } });

Deno.test("resolveSocketPath() follows flag, env, XDG_RUNTIME_DIR, then the user cache dir", () => {
  const cases: [ReturnType<typeof linux>, string | undefined, string][] = [
    [
      linux({ CRYSTALMATH_SOCKET: "/e.sock", XDG_RUNTIME_DIR: "/run/user/1" }),
      "/f.sock",
      "/f.sock",
    ],
    [
      linux({ CRYSTALMATH_SOCKET: "/e.sock", XDG_RUNTIME_DIR: "/run/user/1" }),
      undefined,
      "/e.sock",
    ],
    [linux({ XDG_RUNTIME_DIR: "/run/user/1" }), undefined, "/run/user/1/crystalmath.sock"],
    [linux({ XDG_CACHE_HOME: "/c" }), undefined, "/c/crystalmath.sock"],
    [linux({}), undefined, "/home/u/.cache/crystalmath.sock"],
    [linux({ XDG_CACHE_HOME: "relative/ignored" }), undefined, "/home/u/.cache/crystalmath.sock"],
    [mac({}), undefined, "/Users/u/Library/Caches/crystalmath.sock"],
    [mac({ XDG_RUNTIME_DIR: "/tmp/r" }), undefined, "/tmp/r/crystalmath.sock"],
  ];
  for (const [facts, flag, expected] of cases) {
    assert.equal(resolveSocketPath(facts, flag), expected);
  }
});

Deno.test("resolveDbPath() prefers --db, then CRYSTALMATH_DB, then CRYSTAL_TUI_DB, then the data dir", () => {
  const env = { CRYSTALMATH_DB: "/a.db", CRYSTAL_TUI_DB: "/tui.db" };
  assert.equal(resolveDbPath(linux(env), "/flag.db"), "/flag.db");
  assert.equal(resolveDbPath(linux(env)), "/a.db");
  assert.equal(resolveDbPath(linux({ CRYSTAL_TUI_DB: "/tui.db" })), "/tui.db");
  assert.equal(resolveDbPath(linux({})), "/home/u/.local/share/crystalmath/crystalmath.db");
  assert.equal(resolveDbPath(linux({ XDG_DATA_HOME: "/d" })), "/d/crystalmath/crystalmath.db");
  assert.equal(
    resolveDbPath(mac({})),
    "/Users/u/Library/Application Support/crystalmath/crystalmath.db",
  );
});

Deno.test("resolveLogPath() uses the user state dir, or ~/Library/Logs on macOS", () => {
  assert.equal(resolveLogPath(linux({})), "/home/u/.local/state/crystalmath/crystalmath.log");
  assert.equal(resolveLogPath(linux({ XDG_STATE_HOME: "/s" })), "/s/crystalmath/crystalmath.log");
  assert.equal(resolveLogPath(mac({})), "/Users/u/Library/Logs/crystalmath/crystalmath.log");
  assert.equal(resolveLogPath(linux({}), "/x.log"), "/x.log");
});

Deno.test("resolveSocketPath() without HOME names the problem", () => {
  assert.throws(() => resolveSocketPath({ os: "linux", env: {} }), /HOME is not set/);
});

Deno.test("pidFilePath() sits beside the socket", () => {
  assert.equal(pidFilePath("/run/user/1/crystalmath.sock"), "/run/user/1/crystalmath.pid");
  assert.equal(pidFilePath("/tmp/x"), "/tmp/x.pid");
});

Deno.test("dirname() agrees with node:path, which the daemon's start-up does not load", () => {
  const paths = ["", "/", "//", "a", "a/", "/a", "/a/", "/a/b", "/a/b/", "a/b", "a//b", "/a//b//"];
  for (const path of [...paths, "//a", "///a/b", ".", "..", "./x", "/tmp/d/crystalmath.sock"]) {
    assert.equal(dirname(path), posix.dirname(path), JSON.stringify(path));
  }
});
