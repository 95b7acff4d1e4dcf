import assert from "node:assert/strict";
import { parseArgv } from "../../cli/argv.ts";
import { UsageError } from "../../cli/exit_codes.ts";

const OPTIONS = {
  socket: { type: "string" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
} as const;

Deno.test("parseArgv() reads every accepted flag form and keeps positionals in order", () => {
  assert.deepEqual(parseArgv(["a", "--socket", "/s", "-v", "b=1", "--", "--socket"], OPTIONS), {
    values: { socket: "/s", verbose: true },
    positionals: ["a", "b=1", "--socket"],
  });
  assert.deepEqual(parseArgv(["--socket=/x=y", "-h", "-"], OPTIONS), {
    values: { socket: "/x=y", help: true },
    positionals: ["-"],
  });
});

Deno.test("parseArgv() rejects unknown flags, missing values and values on booleans", () => {
  const bad: [string[], RegExp][] = [
    [["--bogus"], /Unknown option '--bogus'/],
    [["-x"], /Unknown option '-x'/],
    [["-vh"], /Unknown option '-vh'/],
    [["--socket"], /Option '--socket' needs a value/],
    [["--socket", "--verbose"], /needs a value/],
    [["--verbose=yes"], /does not take a value/],
  ];
  for (const [argv, pattern] of bad) {
    assert.throws(
      () => parseArgv(argv, OPTIONS),
      (e) => e instanceof UsageError && pattern.test(e.message),
      argv.join(" "),
    );
  }
});
