import assert from "node:assert/strict";
import { join } from "node:path";
import {
  parseJumpSpec,
  type ResolvedHost,
  resolveSshHost,
} from "../../../server/ssh/ssh_config.ts";

const CONTEXT = { home: "/home/u", localUser: "u" };

const CONFIG = `
# Specific blocks first: for every keyword the first value wins.
Host hpc1
  HostName login.%h.example.org
  User alice
  Port 2222
  IdentityFile ~/.ssh/id_%r_%h_%p
  IdentityFile %d/keys/%u_%n_%%
  UserKnownHostsFile ~/.ssh/kh_%h %d/kh2
  ProxyJump bob@bastion.example.org:2200,second
  HostKeyAlias hpc1-key
  ServerAliveInterval 15
  ServerAliveCountMax 4
  ConnectTimeout 7

Host *.cluster !bad.cluster
  User clusteruser
  IdentityFile none

Host=eq-host
  HostName="eq.example.org"
  ProxyJump none

Match host foo exec "true"
  User matched

Host cmd
  ProxyCommand ssh -W %h:%p gateway
  ProxyJump ignored

Host *
  User fallback
  IdentitiesOnly yes
  IdentityFile ~/.ssh/id_all
  StrictHostKeyChecking Accept-New
  IdentityAgent ~/agent.sock
`;

Deno.test("resolveSshHost() applies matching blocks with the first value winning", () => {
  const table: [string, Partial<ResolvedHost>][] = [
    ["hpc1", {
      hostname: "login.hpc1.example.org",
      port: 2222,
      user: "alice",
      identityFiles: [
        "/home/u/.ssh/id_alice_login.hpc1.example.org_2222",
        "/home/u/keys/u_hpc1_%",
        "/home/u/.ssh/id_all",
      ],
      identitiesOnly: true,
      proxyJump: { host: "bastion.example.org", port: 2200, user: "bob" },
      userKnownHostsFiles: ["/home/u/.ssh/kh_login.hpc1.example.org", "/home/u/kh2"],
      hostKeyAlias: "hpc1-key",
      serverAliveInterval: 15,
      serverAliveCountMax: 4,
      connectTimeout: 7,
      strictHostKeyChecking: "accept-new",
      identityAgent: "/home/u/agent.sock",
    }],
    ["a.cluster", {
      hostname: "a.cluster",
      port: 22,
      user: "clusteruser",
      identityFiles: ["/home/u/.ssh/id_all"],
      proxyJump: null,
      userKnownHostsFiles: ["/home/u/.ssh/known_hosts", "/home/u/.ssh/known_hosts2"],
      hostKeyAlias: null,
      serverAliveInterval: null,
      connectTimeout: null,
    }],
    ["bad.cluster", { user: "fallback" }],
    ["eq-host", { hostname: "eq.example.org", proxyJump: null, user: "fallback" }],
    ["cmd", { proxyJump: null }],
    ["plain.example.org", { hostname: "plain.example.org", user: "fallback", port: 22 }],
  ];
  for (const [alias, expected] of table) {
    const resolved = resolveSshHost(CONFIG, alias, CONTEXT);
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(resolved[key as keyof ResolvedHost], value, `${alias}: ${key}`);
    }
  }
});

Deno.test("resolveSshHost() notes Match blocks, ProxyCommand and unfollowed Includes", () => {
  const resolved = resolveSshHost(`Include config.d/*\n${CONFIG}`, "cmd", CONTEXT);
  assert.deepEqual(resolved.notes, [
    `"Include config.d/*" was not followed`,
    `"Match host foo exec true" block was skipped: Match is not supported`,
    `ProxyCommand "ssh -W %h:%p gateway" is not supported: use ProxyJump`,
  ]);
});

Deno.test("resolveSshHost() follows Includes through readInclude, only inside matching blocks", () => {
  const files: Record<string, string[]> = {
    "/home/u/.ssh/config.d/*": ["Host inc\n  HostName included.example.org\n  Port 2022\n"],
    "/etc/other": ["User from-other\n"],
  };
  const seen: string[] = [];
  const context = {
    ...CONTEXT,
    readInclude(pattern: string): string[] {
      seen.push(pattern);
      return files[pattern] ?? [];
    },
  };
  const text = "Include config.d/*\nHost nomatch\n  Include /etc/other\nHost inc\n  User after\n";
  const resolved = resolveSshHost(text, "inc", context);
  assert.equal(resolved.hostname, "included.example.org");
  assert.equal(resolved.port, 2022);
  assert.equal(resolved.user, "after");
  assert.deepEqual(seen, ["/home/u/.ssh/config.d/*"]);
  assert.deepEqual(resolved.notes, []);
});

Deno.test("resolveSshHost() uses the alias as hostname when there is no config", () => {
  const resolved = resolveSshHost(undefined, "hpc.example.org", CONTEXT);
  assert.equal(resolved.hostname, "hpc.example.org");
  assert.equal(resolved.port, 22);
  assert.equal(resolved.user, null);
  assert.deepEqual(resolved.identityFiles, []);
  assert.equal(resolved.identitiesOnly, false);
});

Deno.test("parseJumpSpec() reads the first hop of each ProxyJump form", () => {
  const table: [string, ReturnType<typeof parseJumpSpec>][] = [
    ["bastion", { host: "bastion", port: null, user: null }],
    ["bob@bastion:2200", { host: "bastion", port: 2200, user: "bob" }],
    ["ssh://bob@bastion:2200", { host: "bastion", port: 2200, user: "bob" }],
    ["[::1]:2222", { host: "::1", port: 2222, user: null }],
    ["first,second", { host: "first", port: null, user: null }],
    ["none", null],
    ["NONE", null],
  ];
  for (const [spec, expected] of table) assert.deepEqual(parseJumpSpec(spec), expected, spec);
});

/** Fields of `ssh -G` output (lower-case keyword → value). */
async function sshG(configPath: string, alias: string): Promise<Map<string, string>> {
  const output = await new Deno.Command("ssh", {
    args: ["-G", "-F", configPath, alias],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(output.code, 0);
  const fields = new Map<string, string>();
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    const space = line.indexOf(" ");
    if (space > 0 && !fields.has(line.slice(0, space))) {
      fields.set(line.slice(0, space), line.slice(space + 1));
    }
  }
  return fields;
}

Deno.test("resolveSshHost() agrees with ssh -G on the options both resolve", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const configPath = join(dir, "config");
    await Deno.writeTextFile(configPath, CONFIG.replace(/^Match[^\n]*\n[^\n]*\n/m, ""));
    const user = new TextDecoder().decode(
      (await new Deno.Command("id", { args: ["-un"] }).output()).stdout,
    ).trim();
    const passwd = await new Deno.Command("getent", { args: ["passwd", user], stdout: "piped" })
      .output();
    const home = new TextDecoder().decode(passwd.stdout).split(":")[5] ?? "";
    const context = { home, localUser: user };
    for (const alias of ["hpc1", "a.cluster", "bad.cluster", "eq-host", "plain.example.org"]) {
      const ssh = await sshG(configPath, alias);
      const ours = resolveSshHost(await Deno.readTextFile(configPath), alias, context);
      assert.equal(ours.hostname, ssh.get("hostname"), `${alias}: hostname`);
      assert.equal(String(ours.port), ssh.get("port"), `${alias}: port`);
      assert.equal(ours.user ?? user, ssh.get("user"), `${alias}: user`);
      assert.equal(
        ours.userKnownHostsFiles.join(" "),
        ssh.get("userknownhostsfile"),
        `${alias}: known hosts`,
      );
      assert.equal(ours.hostKeyAlias ?? undefined, ssh.get("hostkeyalias"), `${alias}: alias`);
      assert.equal(
        String(ours.connectTimeout ?? "none"),
        ssh.get("connecttimeout"),
        `${alias}: timeout`,
      );
      assert.equal(
        String(ours.serverAliveInterval ?? 0),
        ssh.get("serveraliveinterval"),
        `${alias}: alive`,
      );
      assert.equal(ours.identitiesOnly ? "yes" : "no", ssh.get("identitiesonly"), `${alias}: only`);
      const jump = ssh.get("proxyjump");
      assert.equal(
        ours.proxyJump?.host,
        jump === undefined ? undefined : parseJumpSpec(jump)?.host,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
