import assert from "node:assert/strict";
import { systemdQuote, xmlEscape } from "../../cli/commands/service.ts";
import { makeSandbox, runCli } from "../_harness.ts";

Deno.test("systemdQuote() doubles $ and % and quotes what is not plain", () => {
  const cases: [string, string][] = [
    ["/usr/bin/crystalmath-server", "/usr/bin/crystalmath-server"],
    ["/home/me/50%/x", "/home/me/50%%/x"],
    ["/home/$USER/s.sock", '"/home/$$USER/s.sock"'],
    ["/a b/${HOME}", '"/a b/$${HOME}"'],
    ['/q"uote\\d', '"/q\\"uote\\\\d"'],
  ];
  for (const [arg, quoted] of cases) assert.equal(systemdQuote(arg), quoted, arg);
});

Deno.test("xmlEscape() leaves no markup in a plist string", () => {
  assert.equal(xmlEscape("/a&b/<c>/d"), "/a&amp;b/&lt;c&gt;/d");
});

Deno.test("service install --dry-run escapes a hostile socket path and refuses a control character", async () => {
  await using box = await makeSandbox();
  const hostile = `${box.dir}/$HOME %h "q"/s.sock`;
  const ok = await runCli(["service", "install", "--dry-run", "--socket", hostile], {
    env: box.env,
  });
  assert.equal(ok.code, 0, ok.stderr);
  const exec = ok.stdout.split("\n").find((l) => l.startsWith("ExecStart="))!;
  assert.ok(exec.includes(`"${box.dir}/$$HOME %%h \\"q\\"/s.sock"`), exec);
  const broken = await runCli(
    ["service", "install", "--dry-run", "--socket", `${box.dir}/a\nExecStartPre=/bin/evil`],
    { env: box.env },
  );
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /holds a control character/);
  assert.ok(!broken.stdout.includes("ExecStartPre"));
});

Deno.test({
  name:
    "service install writes a unit that systemd-analyze verify accepts, even for a hostile path",
  ignore: !(await Deno.stat("/usr/bin/systemd-analyze").then(() => true, () => false)),
  async fn() {
    await using box = await makeSandbox();
    const socket = `${box.dir}/$HOME 50% "q" dir/s.sock`;
    const dry = await runCli(["service", "install", "--dry-run", "--socket", socket], {
      env: box.env,
    });
    assert.equal(dry.code, 0, dry.stderr);
    const unit = `${box.dir}/crystalmath-server.service`;
    await Deno.writeTextFile(unit, dry.stdout.split("\n").slice(1).join("\n"));
    const verified = await new Deno.Command("systemd-analyze", {
      args: ["verify", unit],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const said = new TextDecoder().decode(verified.stderr);
    assert.ok(verified.success, said);
    assert.ok(!/Ignoring|Invalid|bad/i.test(said), said);
  },
});

Deno.test("service install is idempotent, status reports it, and uninstall removes it", async () => {
  await using box = await makeSandbox();
  const service = (...args: string[]) =>
    runCli(["service", ...args, "--socket", box.socket], { env: box.env });
  const first = await service("install");
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^Wrote .*crystalmath-server\.service$/m);
  const again = await service("install");
  assert.match(again.stdout, /is already current/);
  const status = await service("status", "--json");
  const report = JSON.parse(status.stdout);
  assert.deepEqual([report.installed, report.current], [true, true]);
  const removed = await service("uninstall");
  assert.equal(removed.code, 0);
  const after = JSON.parse((await service("status", "--json")).stdout);
  assert.equal(after.installed, false);
  assert.equal((await service("status")).code, 3);
});
