/**
 * Loading private key files for ssh2, with errors that say what the user can do: passphrases are
 * never stored, and some ECDSA keys cannot be used by ssh2 under Deno.
 *
 * @module
 */
import { loadSsh2 } from "./_ssh2.ts";
import { SshFailedError } from "../errors.ts";

/** ssh2's parsed key, as far as it is used here (the package ships no types). */
interface ParsedKey {
  type: string;
  isPrivateKey(): boolean;
  sign(data: Uint8Array): Uint8Array | Error;
}

/** A private key that ssh2 can sign with. */
export interface LoadedKey {
  /** The file it came from. */
  path: string;
  /** The SSH key type, e.g. `ssh-ed25519`. */
  type: string;
  /** The file's text, as ssh2's `privateKey` and publickey auth take it. */
  text: string;
}

const ENCRYPTED_PKCS8 = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
const PKCS8 = "-----BEGIN PRIVATE KEY-----";
const SIGN_PROBE = new TextEncoder().encode("crystalmath key check");

function keyError(path: string, detail: string, reason: string, cause?: unknown): Error {
  return new SshFailedError(`Cannot use SSH key "${path}": ${detail}`, {
    data: { reason, key_file: path },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The message for an encrypted key: a daemon cannot prompt, and passphrases are never stored. */
function encryptedKeyError(path: string, cause: unknown): Error {
  return keyError(
    path,
    `the key is protected by a passphrase, which is never stored: load it into your SSH agent with "ssh-add ${path}" and use the agent`,
    "key_encrypted",
    cause,
  );
}

/** The message for OpenSSH ECDSA keys that ssh2 under Deno cannot sign with. */
function ecdsaSec1Error(path: string, cause: unknown): Error {
  return keyError(
    path,
    `ssh2 under Deno cannot read this OpenSSH-format ECDSA key: "invalid SEC1 private key" (its private scalar has the high bit set, as about half of P-256/P-384 keys do); the same key works through ssh-agent ("ssh-add ${path}" and use the agent), or once converted to PEM with "ssh-keygen -p -m PEM -f ${path}"`,
    "key_unsupported",
    cause,
  );
}

async function readKeyText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw keyError(path, "the file does not exist", "key_missing", error);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw keyError(path, "the file is not readable", "key_unreadable", error);
    }
    if (error instanceof Deno.errors.IsADirectory) {
      throw keyError(path, "it is a directory", "key_unreadable", error);
    }
    throw keyError(path, "the file cannot be read", "key_unreadable", error);
  }
}

/** Checks private key text and returns its type; throws SshFailedError saying what to do when ssh2 cannot use it. */
export async function checkPrivateKey(path: string, text: string): Promise<string> {
  const utils = (await loadSsh2()).utils as {
    parseKey(data: string): ParsedKey | ParsedKey[] | Error;
  };
  const parsed = utils.parseKey(text);
  if (parsed instanceof Error) {
    // ssh2 says "Encrypted private OpenSSH key detected, but no passphrase given" (or the PEM form).
    if (/encrypted|passphrase/i.test(parsed.message) || text.includes(ENCRYPTED_PKCS8)) {
      throw encryptedKeyError(path, parsed);
    }
    if (text.includes(PKCS8)) {
      // ssh2 reads OpenSSH, PEM (PKCS#1/SEC1) and PuTTY keys, not PKCS#8.
      throw keyError(
        path,
        `ssh2 cannot read PKCS#8 keys: convert it with "ssh-keygen -p -m PEM -f ${path}"`,
        "key_unsupported",
        parsed,
      );
    }
    throw keyError(
      path,
      `it is not a private key ssh2 can read: ${parsed.message}`,
      "key_invalid",
      parsed,
    );
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || !key.isPrivateKey()) {
    throw keyError(path, "the file holds a public key, not a private key", "key_invalid");
  }
  // ssh2 parses the bad ECDSA keys fine and only fails when signing, midway through
  // authentication; a trial signature finds that (and any other crypto gap) before connecting.
  let signature: unknown;
  try {
    signature = key.sign(SIGN_PROBE);
  } catch (error) {
    signature = error;
  }
  if (signature instanceof Error) {
    if (/invalid SEC1 private key/i.test(signature.message) && key.type.startsWith("ecdsa-")) {
      throw ecdsaSec1Error(path, signature);
    }
    throw keyError(
      path,
      `ssh2 cannot sign with it: ${signature.message}`,
      "key_unsupported",
      signature,
    );
  }
  return key.type;
}

/** Reads and checks a private key file for ssh2; throws SshFailedError with advice for missing, encrypted or unusable keys. */
export async function loadPrivateKey(path: string): Promise<LoadedKey> {
  const text = await readKeyText(path);
  const type = await checkPrivateKey(path, text);
  return { path, type, text };
}
