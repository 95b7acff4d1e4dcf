/**
 * The CLI as a user runs it: `deno run` with the compile task's permission set (or the compiled
 * binary when CRYSTALMATH_BIN is set), default paths inside a sandboxed HOME and XDG dirs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { VERSION } from "../../common/version.ts";
import { makeSandbox, runCli } from "../_harness.ts";

Deno.test("CLI start → status → call → stop works on the default socket and database", async () => {
  await using box = await makeSandbox();
  const cli = (...args: string[]) => runCli(args, { env: box.env });
  const socket = join(box.env.XDG_RUNTIME_DIR, "crystalmath.sock");
  const db = join(box.env.XDG_DATA_HOME, "crystalmath", "crystalmath.db");
  try {
    const notRunning = await cli("status");
    assert.equal(notRunning.code, 3);
    assert.match(notRunning.stdout, /not running/);

    const start = await cli("start", "--json");
    assert.equal(start.code, 0, start.stderr);
    const started = JSON.parse(start.stdout);
    assert.deepEqual([started.running, started.started, started.socket], [true, true, socket]);
    assert.equal(start.stderr, "");

    const again = await cli("start");
    assert.equal(again.code, 0);
    assert.match(again.stdout, new RegExp(`already running: pid ${started.pid}`));

    const status = await cli("status", "--json");
    assert.equal(status.code, 0);
    const s = JSON.parse(status.stdout);
    assert.deepEqual([s.running, s.pid, s.socket, s.db_path, s.version], [
      true,
      started.pid,
      socket,
      db,
      VERSION,
    ]);
    const human = await cli("status");
    assert.match(human.stdout, new RegExp(`pid\\s+${started.pid}`));

    const ping = await cli("call", "system.ping");
    assert.equal(ping.code, 0);
    assert.equal(JSON.parse(ping.stdout).pong, true);
    assert.match(ping.stdout, /\n {2}"pong": true/, "pretty JSON by default");
    const compact = await cli("call", "system.ping", "payload=abc", "--json");
    assert.equal(compact.stdout.trim().split("\n").length, 1);
    assert.equal(JSON.parse(compact.stdout).payload_length, 3);
    const positional = await cli("call", "system.ping", '[0, "abcd"]');
    assert.equal(JSON.parse(positional.stdout).payload_length, 4);

    const invalid = await cli("call", "system.ping", "delay_ms=soon");
    assert.equal(invalid.code, 2);
    assert.equal(invalid.stdout, "");
    assert.match(
      invalid.stderr,
      /^crystalmath-server: Invalid params for "system.ping": delay_ms: .*\(code -32602, invalid_params\)\n$/,
    );
    const unknown = await cli("call", "jobs.nothing");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Method not found: "jobs.nothing"/);
    const jsonError = await cli("call", "jobs.nothing", "--json");
    assert.equal(JSON.parse(jsonError.stderr).error.code, -32601);

    const list = await cli("call", "--list");
    assert.equal(list.code, 0);
    for (
      const name of [
        "system.ping",
        "system.version",
        "system.status",
        "system.shutdown",
        "rpc.discover",
      ]
    ) {
      assert.match(list.stdout, new RegExp(`^${name.replace(".", "\\.")} +\\S`, "m"));
    }
    // The terminal UI's legacy methods only with --all.
    assert.doesNotMatch(list.stdout, /^fetch_jobs /m);
    const all = await cli("call", "--list", "--all");
    assert.equal(all.code, 0);
    assert.match(all.stdout, /^fetch_jobs +The UI's jobs list/m);
    assert.match(all.stdout, /^system\.ping +\S/m);
    const help = await cli("call", "system.ping", "--help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /delay_ms +integer +Wait this many milliseconds/);
    assert.match(help.stdout, /Example:\n {2}crystalmath-server call system.ping/);

    const stop = await cli("stop");
    assert.equal(stop.code, 0);
    assert.match(stop.stdout, new RegExp(`stopped \\(pid ${started.pid}\\)`));
    assert.equal(await Deno.lstat(socket).then(() => true, () => false), false);
    const stopAgain = await cli("stop");
    assert.equal(stopAgain.code, 0);
    assert.match(stopAgain.stdout, /not running/);
    assert.equal((await cli("status")).code, 3);
  } finally {
    await cli("stop");
  }
});

Deno.test("CLI call starts the daemon when none runs, unless --no-start", async () => {
  await using box = await makeSandbox();
  const cli = (...args: string[]) => runCli(args, { env: box.env });
  try {
    const refused = await cli("call", "system.ping", "--no-start");
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /not running/);
    const ping = await cli("call", "system.ping", "--timeout", "10");
    assert.equal(ping.code, 0, ping.stderr);
    assert.equal(JSON.parse(ping.stdout).pong, true);
    assert.equal((await cli("status")).code, 0);
  } finally {
    await cli("stop");
  }
});

Deno.test("CLI usage errors exit 2 with one clear line", async () => {
  await using box = await makeSandbox();
  const cases: [string[], RegExp][] = [
    [["frobnicate"], /Unknown command "frobnicate"/],
    [["status", "--bogus"], /Unknown option '--bogus'/],
    [["serve", "--timeout", "soon"], /Invalid --timeout "soon"/],
    [["call"], /Missing METHOD/],
    [["call", "system.ping", "notkeyvalue"], /expected key=value/],
    [["service", "restart"], /Unknown service action "restart"/],
  ];
  for (const [args, pattern] of cases) {
    const out = await runCli(args, { env: box.env });
    assert.equal(out.code, 2, args.join(" "));
    assert.match(out.stderr.split("\n")[0]!, pattern, args.join(" "));
  }
});

Deno.test("CLI version and help need no daemon", async () => {
  await using box = await makeSandbox();
  const version = await runCli(["version"], { env: box.env });
  assert.equal(version.code, 0);
  assert.match(
    version.stdout,
    new RegExp(`^crystalmath-server ${VERSION.replaceAll(".", "\\.")} \\(deno `),
  );
  const help = await runCli(["help"], { env: box.env });
  assert.equal(help.code, 0);
  for (
    const command of ["serve", "start", "stop", "status", "call", "service", "version", "help"]
  ) {
    assert.match(help.stdout, new RegExp(`^  ${command} `, "m"));
  }
  const serveHelp = await runCli(["serve", "--help"], { env: box.env });
  assert.match(serveHelp.stdout, /--no-timeout/);
});

Deno.test("CLI service install writes a systemd user unit that runs serve", async () => {
  await using box = await makeSandbox();
  const dry = await runCli(["service", "install", "--dry-run"], { env: box.env });
  assert.equal(dry.code, 0);
  assert.match(dry.stdout, /^ExecStart=.* serve --socket \S+crystalmath\.sock --no-timeout$/m);
  const install = await runCli(["service", "install"], { env: box.env });
  assert.equal(install.code, 0);
  const unit = join(box.env.XDG_CONFIG_HOME, "systemd", "user", "crystalmath-server.service");
  assert.equal(await Deno.readTextFile(unit), dry.stdout.split("\n").slice(1).join("\n"));
  assert.equal((await runCli(["service", "uninstall"], { env: box.env })).code, 0);
  assert.equal(await Deno.lstat(unit).then(() => true, () => false), false);
});

Deno.test("CLI submits a deck from a file with input=@file and follows the job to completion", async () => {
  await using box = await makeSandbox();
  const fake = new URL("../fixtures/fake_crystal/crystal", import.meta.url).pathname;
  const env = { ...box.env, CRYSTALMATH_CRYSTAL_EXECUTABLE: fake };
  const cli = (...args: string[]) => runCli(args, { env });
  const deck = join(box.dir, "mgo.d12");
  await Deno.writeTextFile(
    deck,
    "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\nBASISSET\nPOB-TZVP\nSHRINK\n8 8\nEND\n",
  );
  try {
    const submitted = await cli(
      "call",
      "jobs.submit",
      "name=mgo",
      `input=@${deck}`,
      'tags=["cli"]',
      "--json",
    );
    assert.equal(submitted.code, 0, submitted.stderr);
    const { pk } = JSON.parse(submitted.stdout);
    let state = "";
    for (let i = 0; i < 100 && state !== "completed"; i++) {
      state = JSON.parse((await cli("call", "jobs.get", `pk=${pk}`, "--json")).stdout).state;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(state, "completed");
    const log = await cli("call", "jobs.log", `pk=${pk}`, "tail_lines=1", "--json");
    assert.match(JSON.parse(log.stdout).lines[0], /TERMINATION/);
    const missing = await cli("call", "jobs.get", "pk=999");
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /Job 999 does not exist/);
    const cancelDone = await cli("call", "jobs.cancel", `pk=${pk}`);
    assert.equal(cancelDone.code, 5);
    await Deno.writeTextFile(deck, "Title\nCRYSTAL\n0 0 0\nabc\n");
    const bad = await cli("call", "jobs.submit", "name=bad", `input=@${deck}`);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /line 4: expected a space group number/);
  } finally {
    await cli("stop");
  }
});
