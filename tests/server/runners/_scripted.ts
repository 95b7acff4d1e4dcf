/**
 * A scripted transport for scheduler and submission tests: each command is answered by the
 * first rule whose pattern matches its argv (joined by spaces), and every call is recorded.
 */
import type { Transport } from "../../../server/runners/remote/scheduler.ts";
import type { CommandResult } from "../../../server/slurm/commands.ts";

/** One rule: argv that matches `match` gets `result` (or what `answer` computes). */
export interface Rule {
  match: RegExp;
  result?: Partial<CommandResult>;
  answer?: (argv: readonly string[]) => Partial<CommandResult>;
  /** Throws this instead of answering (an SSH failure). */
  fail?: Error;
}

/** A transport that answers from `rules`; files read with readText come from `files`. */
export function scriptedTransport(
  rules: Rule[],
  files: Record<string, string> = {},
  listing: { name: string; size: number; isFile: boolean }[] = [],
): Transport & { calls: string[]; written: Map<string, string> } {
  const calls: string[] = [];
  const written = new Map<string, string>();
  return {
    name: "hpc1",
    calls,
    written,
    exec(argv) {
      const line = argv.join(" ");
      calls.push(line);
      const rule = rules.find((r) => r.match.test(line));
      if (rule?.fail) return Promise.reject(rule.fail);
      const partial = rule?.answer ? rule.answer(argv) : rule?.result ?? { code: 127 };
      return Promise.resolve({ stdout: "", stderr: "", code: 0, ...partial });
    },
    upload: () => Promise.resolve(),
    download(local, remote) {
      calls.push(`download ${remote} -> ${local}`);
      return Promise.resolve();
    },
    writeFile(path, text) {
      written.set(path, text);
      return Promise.resolve();
    },
    readdir: () => Promise.resolve(listing),
    readText(path) {
      calls.push(`readText ${path}`);
      return Promise.resolve(files[path] ?? null);
    },
  };
}
