/**
 * OpenSSH's host patterns, as known_hosts and ssh_config use them: `*` and `?` wildcards and
 * comma-separated lists with `!` negations. Pure, so that reading ssh_config loads no crypto.
 *
 * @module
 */

/** Matches `*` and `?` wildcards, case-insensitively, against the whole name. */
export function wildcardMatch(name: string, pattern: string): boolean {
  const text = name.toLowerCase();
  const pat = pattern.toLowerCase();
  // Iterative glob matcher with backtracking to the last `*`.
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pat.length && (pat[p] === "?" || pat[p] === text[t])) {
      t++;
      p++;
    } else if (p < pat.length && pat[p] === "*") {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pat.length && pat[p] === "*") p++;
  return p === pat.length;
}

/** True when a comma-separated pattern list matches: some positive pattern matches and no `!` pattern does. */
export function patternListMatches(name: string, patterns: string): boolean {
  let isMatched = false;
  for (const pattern of patterns.split(",")) {
    if (pattern === "") continue;
    if (pattern.startsWith("!")) {
      if (wildcardMatch(name, pattern.slice(1))) return false;
    } else if (wildcardMatch(name, pattern)) {
      isMatched = true;
    }
  }
  return isMatched;
}
