/**
 * ssh2, loaded on first use: importing it costs a start-up tens of milliseconds, and a daemon that
 * never talks to a cluster (a laptop, or the terminal UI's ping) should not pay them. The
 * specifier is a literal, so `deno compile` still bundles it.
 *
 * @module
 */
import type { Client } from "./_ssh2_types.ts";

/** What the daemon uses of ssh2. */
export interface Ssh2 {
  Client: new () => Client;
  utils: { parseKey(data: string): unknown };
}

let loading: Promise<Ssh2> | undefined;

/** ssh2, imported once. */
export function loadSsh2(): Promise<Ssh2> {
  loading ??= import("ssh2").then((module) => (module.default ?? module) as unknown as Ssh2);
  return loading;
}
