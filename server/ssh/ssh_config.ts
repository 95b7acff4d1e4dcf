/**
 * `~/.ssh/config`: the options OpenSSH would use for one host alias. `Host` blocks, negated
 * patterns, first-value-wins, `Include` (when the caller can read files) and tokens are honoured;
 * `Match` blocks are skipped with a note.
 *
 * @module
 */
import { patternListMatches, wildcardMatch } from "./host_patterns.ts";

/** A jump host from ProxyJump (first hop only). */
export interface ProxyJumpHop {
  host: string;
  port: number | null;
  user: string | null;
}

/** The options for one alias, after `Host` matching and token expansion. */
export interface ResolvedHost {
  hostname: string;
  port: number;
  user: string | null;
  /** `~` expanded, tokens %d %u %r %h %p %n %% expanded. */
  identityFiles: string[];
  identitiesOnly: boolean;
  /** First hop only; "none" → null. */
  proxyJump: ProxyJumpHop | null;
  userKnownHostsFiles: string[];
  hostKeyAlias: string | null;
  serverAliveInterval: number | null;
  /** ServerAliveCountMax; null when not set (OpenSSH's default is 3). */
  serverAliveCountMax: number | null;
  connectTimeout: number | null;
  /** StrictHostKeyChecking as written, lower case; the pool never adds keys on its own whatever it says. */
  strictHostKeyChecking: string | null;
  /** IdentityAgent, `~` expanded ("none" disables the agent; "SSH_AUTH_SOCK" means the environment's). */
  identityAgent: string | null;
  /** Things in the file that were not applied (Match blocks, skipped Includes, ProxyCommand). */
  notes: string[];
}

/** What token expansion and Include need from the caller. */
export interface SshConfigContext {
  home: string;
  localUser: string;
  /** Returns the texts of the files an `Include` argument names (already `~`-expanded and absolute), in lexical order. Without it, Includes are skipped with a note. */
  readInclude?: (pattern: string) => string[];
}

const MAX_INCLUDE_DEPTH = 16;

/** Splits a config line into its keyword and arguments; `Key=Value` and double quotes are accepted. */
function splitLine(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|([^\s"=]+)|=/g;
  let sawEquals = false;
  for (const match of line.matchAll(re)) {
    if (match[0] === "=") {
      // Only the first `=` (between keyword and value) is a separator.
      if (words.length === 1 && !sawEquals) {
        sawEquals = true;
        continue;
      }
      words.push("=");
      continue;
    }
    words.push(match[1] ?? match[2] ?? "");
  }
  return words;
}

type Values = Map<string, string[]>;

interface ParseState {
  values: Values;
  identityFiles: string[];
  notes: string[];
}

function applyText(
  text: string,
  alias: string,
  state: ParseState,
  options: { context: SshConfigContext; depth: number; isActive: boolean },
): void {
  let isActive = options.isActive;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [keywordRaw, ...args] = splitLine(line);
    if (keywordRaw === undefined) continue;
    const keyword = keywordRaw.toLowerCase();
    if (keyword === "host") {
      isActive = options.isActive && patternListMatches(alias, args.join(","));
      continue;
    }
    if (keyword === "match") {
      const isAll = args.length === 1 && args[0]?.toLowerCase() === "all";
      if (!isAll) {
        state.notes.push(`"Match ${args.join(" ")}" block was skipped: Match is not supported`);
      }
      isActive = options.isActive && isAll;
      continue;
    }
    if (!isActive) continue;
    if (keyword === "include") {
      includeFiles(args, alias, state, options);
      continue;
    }
    if (keyword === "identityfile") {
      if (args[0] !== undefined) state.identityFiles.push(args[0]);
      continue;
    }
    // For every other keyword the first value found wins.
    if (!state.values.has(keyword)) state.values.set(keyword, args);
  }
}

function includeFiles(
  args: string[],
  alias: string,
  state: ParseState,
  options: { context: SshConfigContext; depth: number; isActive: boolean },
): void {
  const { context } = options;
  for (const arg of args) {
    if (context.readInclude === undefined) {
      state.notes.push(`"Include ${arg}" was not followed`);
      continue;
    }
    if (options.depth >= MAX_INCLUDE_DEPTH) {
      state.notes.push(`"Include ${arg}" was not followed: includes nest too deep`);
      continue;
    }
    const expanded = expandTilde(arg, context.home);
    // Relative Include paths are relative to ~/.ssh for the user's config.
    const path = expanded.startsWith("/") ? expanded : `${context.home}/.ssh/${expanded}`;
    for (const text of context.readInclude(path)) {
      // An included file's Host lines must not change whether the rest of this block applies.
      applyText(text, alias, state, { ...options, depth: options.depth + 1, isActive: true });
    }
  }
}

function expandTilde(path: string, home: string): string {
  if (path === "~") return home;
  return path.startsWith("~/") ? `${home}${path.slice(1)}` : path;
}

/** Expands `%x` tokens from a table; `%%` is a literal percent, an unknown token is left as written. */
function expandTokens(text: string, tokens: Record<string, string>): string {
  return text.replace(/%(.)/g, (whole, letter: string) => {
    if (letter === "%") return "%";
    return tokens[letter] ?? whole;
  });
}

function parseNumber(words: string[] | undefined): number | null {
  const word = words?.[0];
  if (word === undefined || !/^\d+$/.test(word)) return null;
  return Number(word);
}

/** Parses `[user@]host[:port]`, `[user@][v6]:port` or `ssh://[user@]host[:port]` (the first of a comma list). */
export function parseJumpSpec(spec: string): ProxyJumpHop | null {
  const first = spec.split(",")[0]?.trim() ?? "";
  if (first === "" || first.toLowerCase() === "none") return null;
  const body = first.startsWith("ssh://") ? first.slice("ssh://".length).replace(/\/$/, "") : first;
  const at = body.lastIndexOf("@");
  const user = at >= 0 ? body.slice(0, at) : null;
  const hostPort = at >= 0 ? body.slice(at + 1) : body;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
  if (bracketed) {
    return { host: bracketed[1] ?? "", port: bracketed[2] ? Number(bracketed[2]) : null, user };
  }
  const colon = hostPort.lastIndexOf(":");
  if (colon >= 0 && /^\d+$/.test(hostPort.slice(colon + 1))) {
    return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)), user };
  }
  return { host: hostPort, port: null, user };
}

/** Resolves the options for `alias` from config text (undefined when there is no file); hostname = alias when no HostName. */
export function resolveSshHost(
  configText: string | undefined,
  alias: string,
  context: SshConfigContext,
): ResolvedHost {
  const state: ParseState = { values: new Map(), identityFiles: [], notes: [] };
  if (configText !== undefined) {
    applyText(configText, alias, state, { context, depth: 0, isActive: true });
  }
  const get = (keyword: string): string | undefined => state.values.get(keyword)?.[0];
  const hostname = expandTokens(get("hostname") ?? alias, { h: alias });
  const port = parseNumber(state.values.get("port")) ?? 22;
  const user = get("user") ?? null;
  const tokens: Record<string, string> = {
    d: context.home,
    u: context.localUser,
    r: user ?? context.localUser,
    h: hostname,
    p: String(port),
    n: alias,
    k: get("hostkeyalias") ?? hostname,
  };
  const expandPath = (path: string): string =>
    expandTilde(expandTokens(path, tokens), context.home);

  const identityFiles = state.identityFiles
    .filter((file) => file.toLowerCase() !== "none")
    .map(expandPath);
  const knownHostsWords = state.values.get("userknownhostsfile");
  const userKnownHostsFiles = knownHostsWords === undefined
    ? [`${context.home}/.ssh/known_hosts`, `${context.home}/.ssh/known_hosts2`]
    : knownHostsWords.filter((file) => file.toLowerCase() !== "none").map(expandPath);

  // Whichever of ProxyJump and ProxyCommand comes first wins; the first value was kept above.
  let proxyJump: ProxyJumpHop | null = null;
  const jump = get("proxyjump");
  const command = state.values.get("proxycommand");
  if (jump !== undefined && command === undefined) proxyJump = parseJumpSpec(jump);
  else if (jump !== undefined && command !== undefined) {
    const isJumpFirst = [...state.values.keys()].indexOf("proxyjump") <
      [...state.values.keys()].indexOf("proxycommand");
    if (isJumpFirst) proxyJump = parseJumpSpec(jump);
  }
  if (proxyJump === null && command !== undefined && command[0]?.toLowerCase() !== "none") {
    state.notes.push(`ProxyCommand "${command.join(" ")}" is not supported: use ProxyJump`);
  }

  const agent = get("identityagent");
  return {
    hostname,
    port,
    user,
    identityFiles,
    identitiesOnly: get("identitiesonly")?.toLowerCase() === "yes",
    proxyJump,
    userKnownHostsFiles,
    hostKeyAlias: get("hostkeyalias") ?? null,
    serverAliveInterval: parseNumber(state.values.get("serveraliveinterval")),
    serverAliveCountMax: parseNumber(state.values.get("serveralivecountmax")),
    connectTimeout: parseNumber(state.values.get("connecttimeout")),
    strictHostKeyChecking: get("stricthostkeychecking")?.toLowerCase() ?? null,
    identityAgent: agent === undefined ? null : expandPath(agent),
    notes: state.notes,
  };
}

/** Reads the files an `Include` path names (wildcards in its last component), in lexical order; like OpenSSH, a pattern matching nothing is no error. */
export function readIncludeFiles(pattern: string): string[] {
  const slash = pattern.lastIndexOf("/");
  const dir = slash <= 0 ? "/" : pattern.slice(0, slash);
  const glob = pattern.slice(slash + 1);
  let names: string[];
  if (!/[*?]/.test(glob)) names = [glob];
  else {
    try {
      names = [...Deno.readDirSync(dir)]
        .filter((entry) => !entry.isDirectory && wildcardMatch(entry.name, glob))
        .map((entry) => entry.name)
        .sort();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
  }
  const texts: string[] = [];
  for (const name of names) {
    try {
      texts.push(Deno.readTextFileSync(`${dir}/${name}`));
    } catch (error) {
      // A missing included file is skipped, as OpenSSH does.
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return texts;
}
