import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import {
  checkHostKey,
  fingerprintSha256,
  type HostKeyStatus,
  keyTypeOfBlob,
  knownHostsLine,
  knownKeyTypes,
} from "../../../server/ssh/known_hosts.ts";
import { patternListMatches } from "../../../server/ssh/host_patterns.ts";

const decoder = new TextDecoder();

interface PublicKey {
  type: string;
  base64: string;
  blob: Uint8Array;
  path: string;
}

async function run(command: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
    .output();
  assert.equal(output.code, 0, decoder.decode(output.stderr));
  return decoder.decode(output.stdout);
}

async function makeKey(dir: string, name: string, type: string): Promise<PublicKey> {
  const path = join(dir, name);
  await run("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", path]);
  const [keyType, base64] = (await Deno.readTextFile(`${path}.pub`)).trim().split(" ");
  assert.ok(keyType && base64);
  return {
    type: keyType,
    base64,
    blob: new Uint8Array(Buffer.from(base64, "base64")),
    path: `${path}.pub`,
  };
}

async function withKeys(
  fn: (
    keys: { a: PublicKey; b: PublicKey; r: PublicKey; ec: PublicKey },
    dir: string,
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const keys = {
      a: await makeKey(dir, "a", "ed25519"),
      b: await makeKey(dir, "b", "ed25519"),
      r: await makeKey(dir, "r", "ed25519"),
      ec: await makeKey(dir, "ec", "ecdsa"),
    };
    await fn(keys, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("fingerprintSha256() equals ssh-keygen -lf and keyTypeOfBlob() reads the blob's type", async () => {
  await withKeys(async (keys) => {
    for (const key of [keys.a, keys.ec]) {
      const printed =
        (await run("ssh-keygen", ["-l", "-E", "sha256", "-f", key.path])).split(" ")[1];
      assert.equal(fingerprintSha256(key.blob), printed);
      assert.equal(keyTypeOfBlob(key.blob), key.type);
    }
    assert.equal(keyTypeOfBlob(new Uint8Array([0, 0])), null);
  });
});

Deno.test("patternListMatches() honours wildcards, negation and case", () => {
  const table: [string, string, boolean][] = [
    ["host.example.org", "host.example.org", true],
    ["HOST.example.org", "host.EXAMPLE.org", true],
    ["a.example.org", "*.example.org", true],
    ["example.org", "*.example.org", false],
    ["node7", "node?", true],
    ["node17", "node?", false],
    ["bad.example.org", "*.example.org,!bad.example.org", false],
    ["good.example.org", "*.example.org,!bad.example.org", true],
    ["anything", "!other", false],
    ["[h]:2222", "[h]:*", true],
    ["x", "a,b,x", true],
  ];
  for (const [name, patterns, expected] of table) {
    assert.equal(patternListMatches(name, patterns), expected, `${name} vs ${patterns}`);
  }
});

Deno.test("checkHostKey() classifies keys against plain, port, wildcard, marker and type entries", async () => {
  await withKeys(async ({ a, b, r, ec }) => {
    const text = [
      "# a comment",
      "",
      `example.com ssh-ed25519 ${a.base64}`,
      `[example.com]:2222 ssh-ed25519 ${b.base64} comment here`,
      `*.wild.org,!bad.wild.org ssh-ed25519 ${a.base64}`,
      `node?.cluster ssh-ed25519 ${a.base64}`,
      `@cert-authority *.ca.org ssh-ed25519 ${a.base64}`,
      `@revoked * ssh-ed25519 ${r.base64}`,
      `multi.org,alias.org ecdsa-sha2-nistp256 ${ec.base64}`,
      `Mixed.Case.org ssh-ed25519 ${a.base64}`,
      "garbage line",
      `broken.org ssh-ed25519 !!!notbase64`,
    ].join("\n");
    const fpA = fingerprintSha256(a.blob);
    const fpB = fingerprintSha256(b.blob);
    const table: [string, number, PublicKey, HostKeyStatus][] = [
      ["example.com", 22, a, { status: "known" }],
      ["EXAMPLE.com", 22, a, { status: "known" }],
      ["example.com", 22, b, { status: "mismatch", expected: [fpA] }],
      ["example.com", 2222, b, { status: "known" }],
      ["example.com", 2222, a, { status: "mismatch", expected: [fpB] }],
      ["example.com", 2200, a, { status: "unknown" }],
      ["a.wild.org", 22, a, { status: "known" }],
      ["bad.wild.org", 22, a, { status: "unknown" }],
      ["node1.cluster", 22, a, { status: "known" }],
      ["node12.cluster", 22, a, { status: "unknown" }],
      ["x.ca.org", 22, a, { status: "unknown" }],
      ["example.com", 22, r, { status: "revoked" }],
      ["alias.org", 22, ec, { status: "known" }],
      ["multi.org", 22, a, { status: "unknown" }],
      ["mixed.case.org", 22, a, { status: "known" }],
      ["broken.org", 22, a, { status: "unknown" }],
    ];
    for (const [host, port, key, expected] of table) {
      const actual = await checkHostKey(text, host, port, key.type, key.blob);
      assert.deepEqual(actual, expected, `${host}:${port} ${key.path}`);
    }
    assert.deepEqual(knownKeyTypes(text, { host: "multi.org", port: 22 }), ["ecdsa-sha2-nistp256"]);
    assert.deepEqual(knownKeyTypes(text, { host: "example.com", port: 2222 }), ["ssh-ed25519"]);
    assert.deepEqual(knownKeyTypes(text, { host: "nowhere", port: 22 }), []);
  });
});

Deno.test("checkHostKey() matches entries hashed by ssh-keygen -H, with and without a port", async () => {
  await withKeys(async ({ a, b }, dir) => {
    const file = join(dir, "known_hosts");
    await Deno.writeTextFile(
      file,
      `cluster.example.org ssh-ed25519 ${a.base64}\n[cluster.example.org]:2222 ssh-ed25519 ${b.base64}\n`,
    );
    await run("ssh-keygen", ["-H", "-f", file]);
    const text = await Deno.readTextFile(file);
    assert.ok(!text.includes("cluster.example.org"), "names are hashed");
    assert.equal(text.match(/^\|1\|/gm)?.length, 2);
    const table: [string, number, PublicKey, HostKeyStatus][] = [
      ["cluster.example.org", 22, a, { status: "known" }],
      ["cluster.example.org", 2222, b, { status: "known" }],
      ["cluster.example.org", 22, b, { status: "mismatch", expected: [fingerprintSha256(a.blob)] }],
      ["other.example.org", 22, a, { status: "unknown" }],
      ["cluster.example.org", 2200, b, { status: "unknown" }],
    ];
    for (const [host, port, key, expected] of table) {
      assert.deepEqual(
        await checkHostKey(text, host, port, key.type, key.blob),
        expected,
        `${host}:${port}`,
      );
    }
  });
});

Deno.test("knownHostsLine() writes lines that ssh-keygen -F finds and checkHostKey() accepts", async () => {
  await withKeys(async ({ a, b }, dir) => {
    const plain = knownHostsLine("Cluster.Example.org", 22, a.type, a.blob);
    const ported = knownHostsLine("127.0.0.1", 2222, b.type, b.blob);
    assert.equal(plain, `cluster.example.org ssh-ed25519 ${a.base64}`);
    assert.equal(ported, `[127.0.0.1]:2222 ssh-ed25519 ${b.base64}`);
    const file = join(dir, "known_hosts");
    await Deno.writeTextFile(file, `${plain}\n${ported}\n`);
    assert.ok((await run("ssh-keygen", ["-F", "[127.0.0.1]:2222", "-f", file])).includes(b.base64));
    assert.ok(
      (await run("ssh-keygen", ["-F", "cluster.example.org", "-f", file])).includes(a.base64),
    );
    const text = await Deno.readTextFile(file);
    assert.deepEqual(await checkHostKey(text, "127.0.0.1", 2222, b.type, b.blob), {
      status: "known",
    });
  });
});
