/**
 * OpenSSH known_hosts: look a server's host key up, fingerprint it, and format a line to append.
 * Plain, wildcard, negated, `[host]:port` and hashed (`|1|salt|hash`) host patterns are understood.
 *
 * @module
 */
import { createHash, createHmac } from "node:crypto";
import { patternListMatches } from "./host_patterns.ts";

/** The result of looking a presented host key up in known_hosts text. */
export type HostKeyStatus =
  | { status: "known" }
  | { status: "unknown" }
  | { status: "mismatch"; expected: string[] }
  | { status: "revoked" };

/** One parsed known_hosts line. */
interface KnownHostsEntry {
  marker: "revoked" | null;
  hosts: string;
  keyType: string;
  key: Uint8Array;
}

const HASH_MAGIC = "|1|";

/** Parses the lines that can match a host; `@cert-authority` lines are left out because ssh2 offers no certificate host keys. */
function parseEntries(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostsEntry["marker"] = null;
    if (fields[0]?.startsWith("@")) {
      const word = fields.shift();
      if (word === "@cert-authority") continue;
      if (word !== "@revoked") continue; // An unknown marker makes OpenSSH skip the line too.
      marker = "revoked";
    }
    const [hosts, keyType, keyBase64] = fields;
    if (hosts === undefined || keyType === undefined || keyBase64 === undefined) continue;
    const key = decodeBase64(keyBase64);
    if (key === null) continue;
    entries.push({ marker, hosts, keyType, key });
  }
  return entries;
}

function decodeBase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  try {
    return Uint8Array.fromBase64(text);
  } catch {
    return null; // A length no base64 text has.
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function hashedNameMatches(name: string, hashed: string): boolean {
  const [salt, hash] = hashed.slice(HASH_MAGIC.length).split("|");
  if (salt === undefined || hash === undefined) return false;
  const saltBytes = decodeBase64(salt);
  const expected = decodeBase64(hash);
  if (saltBytes === null || expected === null) return false;
  const actual = createHmac("sha1", saltBytes).update(name).digest();
  return bytesEqual(new Uint8Array(actual), expected);
}

/** The name OpenSSH looks a host up by: the bare host on port 22, else `[host]:port`. */
export function lookupName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

function hostsMatch(hosts: string, name: string): boolean {
  // A hashed entry holds exactly one name, with no wildcards or negation.
  if (hosts.startsWith(HASH_MAGIC)) return hashedNameMatches(name, hosts);
  return patternListMatches(name, hosts);
}

/** `SHA256:` plus unpadded base64 of the SHA-256 of a public key blob, as `ssh-keygen -lf` prints it. */
export function fingerprintSha256(keyBlob: Uint8Array): string {
  const digest = createHash("sha256").update(keyBlob).digest("base64");
  return `SHA256:${digest.replace(/=+$/, "")}`;
}

/** The key type named inside an SSH public key blob (its first string), or null for a malformed blob. */
export function keyTypeOfBlob(keyBlob: Uint8Array): string | null {
  if (keyBlob.length < 4) return null;
  const length = new DataView(keyBlob.buffer, keyBlob.byteOffset, keyBlob.length).getUint32(0);
  if (length === 0 || length > 64 || 4 + length > keyBlob.length) return null;
  return new TextDecoder().decode(keyBlob.subarray(4, 4 + length));
}

/** Looks the presented key of `host:port` up in known_hosts text; `host` is the name connected to (or the HostKeyAlias). */
export function checkHostKey(
  text: string,
  host: string,
  port: number,
  keyType: string,
  keyBlob: Uint8Array,
): Promise<HostKeyStatus> {
  return Promise.resolve(checkHostKeySync(text, { host, port, keyType, keyBlob }));
}

/**
 * checkHostKey() without the promise. ssh2's hostVerifier must answer synchronously: with its
 * async callback, the handshake hangs whenever the server's NEWKEYS is read before the answer.
 */
export function checkHostKeySync(
  text: string,
  key: { host: string; port: number; keyType: string; keyBlob: Uint8Array },
): HostKeyStatus {
  const name = lookupName(key.host, key.port);
  const entries = parseEntries(text);
  // A revoked key is never accepted, whichever host pattern its line carries.
  if (entries.some((e) => e.marker === "revoked" && bytesEqual(e.key, key.keyBlob))) {
    return { status: "revoked" };
  }
  const expected: string[] = [];
  for (const entry of entries) {
    if (entry.marker !== null || !hostsMatch(entry.hosts, name)) continue;
    if (entry.keyType === key.keyType && bytesEqual(entry.key, key.keyBlob)) {
      return { status: "known" };
    }
    // Keys of other types on file do not make this one wrong: OpenSSH treats it as new.
    if (entry.keyType === key.keyType) expected.push(fingerprintSha256(entry.key));
  }
  if (expected.length > 0) return { status: "mismatch", expected: [...new Set(expected)] };
  return { status: "unknown" };
}

/** Key types on file for `host:port`, in file order, so the client can ask the server for one of them first. */
export function knownKeyTypes(text: string, at: { host: string; port: number }): string[] {
  const name = lookupName(at.host, at.port);
  const types = parseEntries(text)
    .filter((entry) => entry.marker === null && hostsMatch(entry.hosts, name))
    .map((entry) => entry.keyType);
  return [...new Set(types)];
}

/** A known_hosts line for the key: `host type base64` on port 22, `[host]:port type base64` otherwise. */
export function knownHostsLine(
  host: string,
  port: number,
  keyType: string,
  keyBlob: Uint8Array,
): string {
  return `${lookupName(host, port)} ${keyType} ${keyBlob.toBase64()}`;
}
