import assert from "node:assert/strict";
import { selfCommand } from "../../client/auto_start.ts";
import { EXIT_CODES } from "../../cli/exit_codes.ts";
import { makeSandbox } from "../_harness.ts";

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

/** The modules a `deno run main.ts` loads before any dynamic import: static code edges only. */
async function staticGraph(entry: string): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: new URL("../..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const modules = new Map<string, InfoModule>();
  for (const m of JSON.parse(new TextDecoder().decode(out.stdout)).modules as InfoModule[]) {
    modules.set(m.specifier, m);
  }
  const root = [...modules.keys()].find((s) => s.endsWith(`/${entry}`))!;
  const seen = new Set<string>();
  const todo = [root];
  while (todo.length > 0) {
    const specifier = todo.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of modules.get(specifier)?.dependencies ?? []) {
      if (dep.code && !dep.isDynamic) todo.push(dep.code.specifier);
    }
  }
  return seen;
}

Deno.test("main.ts loads no command's module, and no command loads server, npm or Node code", async () => {
  const main = [...await staticGraph("main.ts")];
  assert.ok(
    main.some((s) => s.endsWith("/cli/command_table.ts")),
    "the graph walk found the table",
  );
  assert.deepEqual(main.filter((s) => s.includes("/cli/commands/")), []);
  const root = new URL("../..", import.meta.url).pathname;
  const names = [...Deno.readDirSync(`${root}cli/commands`)].map((e) => e.name).sort();
  assert.ok(names.includes("call.ts"), "found the commands");
  for (const name of names) {
    const graph = [...await staticGraph(`cli/commands/${name}`)];
    const offending = graph.filter((s) =>
      s.includes("/server/") || s.startsWith("npm:") || s.startsWith("node:")
    );
    assert.deepEqual(offending, [], name);
  }
});

Deno.test("a one-off call from a checkout reads only its own modules, no other command's or the daemon's", async () => {
  await using box = await makeSandbox();
  // Launched as auto-start and the installed command launch it, with Deno's debug log on: it
  // names every module Deno reads, including those it would read ahead for a literal import().
  const { command, args } = selfCommand([
    "call",
    "system.ping",
    "--socket",
    box.socket,
    "--no-start",
  ]);
  const out = await new Deno.Command(command, {
    args: ["run", "--log-level=debug", ...args.slice(1).filter((a) => a !== "--quiet")],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(out.code, EXIT_CODES.unreachable, "no daemon there");
  const root = new URL("../..", import.meta.url).href;
  const read = new Set(
    [...new TextDecoder().decode(out.stderr).matchAll(/fetch_no_follow - specifier: (\S+)/g)]
      .map((m) => m[1]!.slice(root.length)),
  );
  assert.ok(
    read.has("cli/commands/call.ts") && read.has("client/socket_client.ts"),
    [...read].join(" "),
  );
  assert.deepEqual(
    [...read].filter((s) =>
      s.startsWith("server/") || (s.startsWith("cli/commands/") && s !== "cli/commands/call.ts")
    ),
    [],
  );
});

/** What a daemon loads before its socket listens: `serve` imports server/mod.ts, and no more. */
function beforeListen(): Promise<Set<string>> {
  return staticGraph("server/mod.ts");
}

/** What a plain start loads in all: that, then the services, once it listens. */
async function plainStart(): Promise<string[]> {
  return [...await beforeListen(), ...await staticGraph("server/bring_up.ts")];
}

Deno.test("a daemon loads no npm package, Node module or zod before its socket listens", async () => {
  const graph = [...await beforeListen()];
  assert.ok(graph.some((s) => s.endsWith("/server/daemon.ts")), "the graph walk found the daemon");
  assert.ok(graph.some((s) => s.endsWith("/server/socket.ts")), "found the listener");
  assert.deepEqual(graph.filter((s) => s.startsWith("npm:") || s.startsWith("node:")), []);
});

Deno.test("a daemon loads no SSH, SLURM, CRYSTAL, template or structure code before it listens", async () => {
  const graph = [...await beforeListen()];
  assert.deepEqual(
    graph.filter((s) =>
      /\/server\/(ssh|slurm|runners|crystal|templates|structures|jobs|db)\//.test(s)
    ),
    [],
  );
});

Deno.test("the daemon loads ssh2, moyo, yaml, liquidjs and d3 only when it first needs them", async () => {
  const graph = await plainStart();
  assert.ok(graph.some((s) => s.endsWith("/server/templates/renderer.ts")), "found the renderer");
  assert.deepEqual(
    graph.filter((s) =>
      /^npm:\/?(ssh2|@spglib\/moyo-wasm|yaml|liquidjs|d3-scale|d3-shape)@/.test(s) ||
      s.endsWith("/server/structures/_moyo.ts")
    ),
    [],
  );
});

Deno.test("the daemon loads node:crypto and node:buffer (and the code that dials) only for SSH", async () => {
  const graph = await plainStart();
  assert.ok(graph.some((s) => s.endsWith("/server/ssh/pool.ts")), "the graph walk found the pool");
  assert.deepEqual(
    graph.filter((s) =>
      s === "node:crypto" || s === "node:buffer" || s.endsWith("/server/ssh/_connect.ts") ||
      s.endsWith("/server/ssh/known_hosts.ts")
    ),
    [],
  );
});

Deno.test("a daemon loads no method declaration until a request asks for one", async () => {
  const graph = await plainStart();
  assert.ok(
    graph.some((s) => s.endsWith("/server/methods/system/answers.ts")),
    "found the early answers",
  );
  assert.deepEqual(
    graph.filter((s) =>
      (s.includes("/server/methods/") && !s.endsWith("/server/methods/system/answers.ts")) ||
      s.endsWith("/server/registry.ts") || s.endsWith("/server/methods/legacy/mod.ts")
    ),
    [],
  );
});
