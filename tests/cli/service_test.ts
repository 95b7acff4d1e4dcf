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
