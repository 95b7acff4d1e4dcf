import assert from "node:assert/strict";
import { join } from "node:path";
import { AppError } from "../../../server/errors.ts";
import { loadPrivateKey } from "../../../server/ssh/keys.ts";

/** Runs ssh-keygen quietly and fails the test when it fails. */
async function sshKeygen(args: string[]): Promise<void> {
  const output = await new Deno.Command("ssh-keygen", {
    args: ["-q", ...args],
    stdout: "null",
    stderr: "piped",
  })
    .output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
}

/** Rejects with an SshFailedError whose data.reason is `reason` and whose message has every fragment. */
async function assertKeyError(path: string, reason: string, fragments: string[]): Promise<void> {
  await assert.rejects(loadPrivateKey(path), (error: unknown) => {
    assert.ok(error instanceof AppError);
    assert.equal(error.kind, "ssh_failed");
    assert.equal(error.data?.["reason"], reason, error.message);
    assert.ok(error.message.startsWith(`Cannot use SSH key "${path}": `), error.message);
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), error.message);
    return true;
  });
}

/**
 * Test oracle: whether an unencrypted OpenSSH-format ECDSA key stores its private scalar with a
 * leading zero byte, which an mpint has exactly when the scalar's high bit is set.
 */
function scalarHasHighBit(text: string, curveBytes: number): boolean {
  const base64 = text.split("\n").filter((line) => !line.startsWith("-----")).join("");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  let offset = "openssh-key-v1\0".length;
  function readString(): Uint8Array {
    const length = new DataView(bytes.buffer, offset, 4).getUint32(0);
    const value = bytes.subarray(offset + 4, offset + 4 + length);
    offset += 4 + length;
    return value;
  }
  readString(); // cipher
  readString(); // kdf
  readString(); // kdf options
  offset += 4; // number of keys
  readString(); // public key
  const privateBlock = readString();
  offset = privateBlock.byteOffset + 8; // two check integers
  readString(); // key type
  readString(); // curve name
  readString(); // public point
  return readString().length > curveBytes;
}

Deno.test("loadPrivateKey() loads usable keys and explains each unusable one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await sshKeygen(["-t", "ed25519", "-N", "", "-f", join(dir, "ed25519")]);
    await sshKeygen(["-t", "rsa", "-b", "2048", "-N", "", "-f", join(dir, "rsa")]);
    await sshKeygen(["-t", "ecdsa", "-b", "521", "-N", "", "-f", join(dir, "p521")]);
    await sshKeygen(["-t", "ed25519", "-N", "secret123", "-f", join(dir, "ed25519_enc")]);
    await sshKeygen(["-t", "ecdsa", "-m", "PEM", "-N", "secret123", "-f", join(dir, "pem_enc")]);
    await sshKeygen([
      "-t",
      "rsa",
      "-b",
      "2048",
      "-m",
      "PKCS8",
      "-N",
      "secret123",
      "-f",
      join(dir, "p8_enc"),
    ]);
    await sshKeygen(["-t", "rsa", "-b", "2048", "-m", "PKCS8", "-N", "", "-f", join(dir, "p8")]);
    await Deno.writeTextFile(join(dir, "garbage"), "not a key\n");
    await Deno.mkdir(join(dir, "folder"));

    const usable: [string, string][] = [
      ["ed25519", "ssh-ed25519"],
      ["rsa", "ssh-rsa"],
      ["p521", "ecdsa-sha2-nistp521"],
    ];
    for (const [file, type] of usable) {
      const key = await loadPrivateKey(join(dir, file));
      assert.equal(key.type, type);
      assert.equal(key.path, join(dir, file));
      assert.ok(key.text.includes("PRIVATE KEY"));
    }

    const unusable: [string, string, string[]][] = [
      ["ed25519_enc", "key_encrypted", ["passphrase", "never stored", "ssh-add"]],
      ["pem_enc", "key_encrypted", ["passphrase", "ssh-add"]],
      ["p8_enc", "key_encrypted", ["passphrase", "ssh-add"]],
      ["p8", "key_unsupported", ["PKCS#8", "ssh-keygen -p -m PEM -f"]],
      ["ed25519.pub", "key_invalid", ["public key"]],
      ["garbage", "key_invalid", ["not a private key"]],
      ["missing", "key_missing", ["does not exist"]],
      ["folder", "key_unreadable", ["directory"]],
    ];
    for (const [file, reason, fragments] of unusable) {
      await assertKeyError(join(dir, file), reason, fragments);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadPrivateKey() refuses exactly the OpenSSH ECDSA keys whose scalar has its high bit set", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const [bits, curveBytes] of [[256, 32], [384, 48]] as const) {
      const seen = { failing: 0, working: 0 };
      // Each key has its high bit set with probability 1/2; keep going until both kinds appear.
      for (let i = 0; i < 64 && (seen.failing < 3 || seen.working < 3); i++) {
        const path = join(dir, `p${bits}_${i}`);
        await sshKeygen(["-t", "ecdsa", "-b", String(bits), "-N", "", "-f", path]);
        const hasHighBit = scalarHasHighBit(await Deno.readTextFile(path), curveBytes);
        if (!hasHighBit) {
          seen.working++;
          assert.equal((await loadPrivateKey(path)).type, `ecdsa-sha2-nistp${bits}`);
          continue;
        }
        seen.failing++;
        await assertKeyError(path, "key_unsupported", [
          "invalid SEC1 private key",
          "ssh-agent",
          `ssh-add ${path}`,
          `ssh-keygen -p -m PEM -f ${path}`,
        ]);
        // The advice works: the same key converted to PEM loads.
        await sshKeygen(["-p", "-m", "PEM", "-P", "", "-N", "", "-f", path]);
        assert.equal((await loadPrivateKey(path)).type, `ecdsa-sha2-nistp${bits}`);
      }
      assert.ok(seen.failing >= 3 && seen.working >= 3, JSON.stringify(seen));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
