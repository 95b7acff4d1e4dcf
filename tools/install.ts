/**
 * `deno task install` / `deno task uninstall`: puts a `crystalmath-server` command on the user's
 * PATH that runs this checkout (`deno install --global`), or takes it away. The command gets the
 * `daemon` permission set of deno.json, spelled out as flags (deno install does not keep a `-P`
 * set), and the V8 flags every launch uses, so it behaves like `deno run -P=daemon`.
 *
 * Usage: `deno task install [--root DIR]`, `deno task uninstall [--root DIR]`
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { PERMISSION_SET, RUN_FLAGS, V8_FLAGS } from "../client/auto_start.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const NAME = "crystalmath-server";

/** The `--allow-*` flags for a deno.json permission set: `true` allows all, a list scopes it. */
export function permissionFlags(set: Record<string, boolean | string[]>): string[] {
  return Object.entries(set).flatMap(([name, value]) =>
    value === true
      ? [`--allow-${name}`]
      : Array.isArray(value) && value.length > 0
      ? [`--allow-${name}=${value.join(",")}`]
      : []
  );
}

/** The `deno install` (or `uninstall`) arguments. */
export async function installArgs(
  action: "install" | "uninstall",
  root: string | undefined,
): Promise<string[]> {
  const rootArgs = root === undefined ? [] : ["--root", root];
  if (action === "uninstall") return ["uninstall", "--global", ...rootArgs, NAME];
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as {
    permissions: Record<string, Record<string, boolean | string[]>>;
  };
  const set = config.permissions[PERMISSION_SET];
  if (set === undefined) throw new Error(`deno.json has no "${PERMISSION_SET}" permission set`);
  return [
    "install",
    "--global",
    "--force",
    "--quiet",
    ...rootArgs,
    "--name",
    NAME,
    "--config",
    `${ROOT}deno.json`,
    ...permissionFlags(set),
    "--no-prompt",
    `--v8-flags=${V8_FLAGS}`,
    ...RUN_FLAGS,
    `${ROOT}main.ts`,
  ];
}

if (import.meta.main) {
  const [action, ...rest] = Deno.args;
  if (action !== "install" && action !== "uninstall") {
    throw new Error("Usage: deno run tools/install.ts install|uninstall [--root DIR]");
  }
  const rootAt = rest.indexOf("--root");
  const root = rootAt >= 0 ? rest[rootAt + 1] : undefined;
  const status = await new Deno.Command(Deno.execPath(), {
    args: await installArgs(action, root),
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  Deno.exit(status.code);
}
