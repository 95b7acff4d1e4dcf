/**
 * Where to connect and how to authenticate: a cluster target (or its jump host) resolved through
 * `~/.ssh/config` into an Endpoint.
 *
 * @module
 */
import { readIncludeFiles, type ResolvedHost, resolveSshHost } from "./ssh_config.ts";
import type { PoolOptions, SshTarget } from "./pool.ts";

/** Pool options with every default filled in. */
export type PoolSettings = Required<Omit<PoolOptions, "agentSocket">> & {
  agentSocket: string | null;
};

/** Where to connect and how to check and authenticate, for the target or its jump host. */
export interface Endpoint {
  /** `"hpc1" (host:port)` or `jump host "bastion" (host:port)`, for messages. */
  label: string;
  host: string;
  port: number;
  user: string;
  /** The name and port known_hosts is searched by (HostKeyAlias, else the host). */
  keyHost: string;
  keyPort: number;
  /** The user's known_hosts files; the first is where trusted keys are written. */
  knownHostsFiles: string[];
  /** Key files to try, and whether failing to load one is the user's error (key_file) or skipped. */
  keyFiles: { path: string; isExplicit: boolean }[];
  agent: string | null;
  keepaliveMs: number;
  keepaliveCountMax: number;
  readyTimeoutMs: number;
}

/** What endpoints are resolved from: the `~/.ssh/config` text (if any) and the pool settings. */
export interface HostLookup {
  config: string | undefined;
  settings: PoolSettings;
}

function expandHome(path: string, home: string): string {
  if (path === "~") return home;
  return path.startsWith("~/") ? `${home}${path.slice(1)}` : path;
}

/** A text file's contents, or "" when it does not exist. */
export async function readOptional(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  }
}

/** The user's `~/.ssh/config`, or undefined when it is missing or empty. */
export async function readSshConfig(home: string): Promise<string | undefined> {
  const text = await readOptional(`${home}/.ssh/config`);
  return text === "" ? undefined : text;
}

function resolveHost(lookup: HostLookup, alias: string): ResolvedHost {
  const { settings } = lookup;
  const resolved = resolveSshHost(lookup.config, alias, {
    home: settings.home,
    localUser: settings.localUser,
    readInclude: readIncludeFiles,
  });
  for (const note of resolved.notes) settings.log.debug("ssh config note", { alias, note });
  return resolved;
}

/** The endpoint of the target itself. */
export function targetEndpoint(target: SshTarget, lookup: HostLookup): Endpoint {
  const { settings } = lookup;
  const resolved = resolveHost(lookup, target.hostname);
  const port = target.port ?? resolved.port;
  const explicit = target.keyFile === null
    ? []
    : [{ path: expandHome(target.keyFile, settings.home), isExplicit: true }];
  return makeEndpoint(resolved, {
    settings,
    label: `"${target.name}" (${resolved.hostname}:${port})`,
    port,
    user: target.username ?? resolved.user ?? settings.localUser,
    keyFiles: [
      ...explicit,
      ...resolved.identityFiles.map((path) => ({ path, isExplicit: false })),
    ],
    useAgent: target.useAgent,
  });
}

/** The endpoint of the target's ProxyJump host, or null when it has none. */
export function jumpEndpoint(target: SshTarget, lookup: HostLookup): Endpoint | null {
  const { settings } = lookup;
  const hop = resolveHost(lookup, target.hostname).proxyJump;
  if (hop === null) return null;
  // The target's options do not carry over to the jump host: look it up on its own.
  const resolved = resolveHost(lookup, hop.host);
  const port = hop.port ?? resolved.port;
  const fallback = target.keyFile === null
    ? []
    : [{ path: expandHome(target.keyFile, settings.home), isExplicit: false }];
  return makeEndpoint(resolved, {
    settings,
    label: `"${target.name}" through jump host "${hop.host}" (${resolved.hostname}:${port})`,
    port,
    user: hop.user ?? resolved.user ?? settings.localUser,
    keyFiles: [
      ...resolved.identityFiles.map((path) => ({ path, isExplicit: false })),
      ...fallback,
    ],
    useAgent: target.useAgent,
  });
}

function makeEndpoint(
  resolved: ResolvedHost,
  o: {
    settings: PoolSettings;
    label: string;
    port: number;
    user: string;
    keyFiles: Endpoint["keyFiles"];
    useAgent: boolean;
  },
): Endpoint {
  const home = o.settings.home;
  // Like OpenSSH, fall back to the usual key names only when no key is configured.
  const defaults = o.keyFiles.length > 0
    ? []
    : ["id_ed25519", "id_ecdsa", "id_rsa"].map((name) => ({
      path: `${home}/.ssh/${name}`,
      isExplicit: false,
    }));
  const agentSetting = resolved.identityAgent;
  const agent = !o.useAgent || agentSetting === "none"
    ? null
    : agentSetting === null || agentSetting === "SSH_AUTH_SOCK"
    ? o.settings.agentSocket
    : agentSetting;
  const userFiles = resolved.userKnownHostsFiles.length > 0
    ? resolved.userKnownHostsFiles
    : [`${home}/.ssh/known_hosts`];
  return {
    label: o.label,
    host: resolved.hostname,
    port: o.port,
    user: o.user,
    keyHost: resolved.hostKeyAlias ?? resolved.hostname,
    // OpenSSH looks a HostKeyAlias up as written, without the port.
    keyPort: resolved.hostKeyAlias === null ? o.port : 22,
    // ~/.ssh/known_hosts is always read; trusted keys go to the first UserKnownHostsFile.
    knownHostsFiles: [...new Set([...userFiles, `${home}/.ssh/known_hosts`])],
    keyFiles: [...o.keyFiles, ...defaults].filter((key) => !key.path.endsWith(".pub")),
    agent,
    keepaliveMs: resolved.serverAliveInterval
      ? resolved.serverAliveInterval * 1000
      : o.settings.keepaliveMs,
    keepaliveCountMax: resolved.serverAliveCountMax ?? 3,
    readyTimeoutMs: resolved.connectTimeout
      ? resolved.connectTimeout * 1000
      : o.settings.connectTimeoutMs,
  };
}
