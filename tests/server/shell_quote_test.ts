import assert from "node:assert/strict";
import { commandLine, loginCommand, shellQuote } from "../../server/shell_quote.ts";

const HOSTILE: string[] = [
  "plain",
  "",
  " ",
  "two words",
  "it's",
  "'",
  "''",
  `"double"`,
  "$(touch pwned)",
  "`touch pwned2`",
  "`id`",
  "${HOME}",
  "$HOME",
  "a;b",
  "; rm -rf ~",
  "a && b || c",
  "x | y > z < w",
  "line1\nline2",
  "\n",
  "tab\there",
  "cr\rhere",
  "-n",
  "--help",
  "-e",
  "*",
  "~",
  "!!",
  "#comment",
  "back\\slash",
  "\\",
  "'\\''",
  "héllo ✓ 日本語 🚀",
  "%s%d%%",
  "a\u00a0b",
];

const decoder = new TextDecoder();

/** Runs `shell -c script` with HOME in a temp dir and returns the NUL-separated words printf wrote. */
async function printedWords(shell: string, script: string, home: string): Promise<string[]> {
  const output = await new Deno.Command(shell, {
    args: ["-c", script],
    env: { HOME: home, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    clearEnv: true,
    cwd: home,
    stdout: "piped",
    stderr: "piped",
  }).output();
  // A quoting bug would have run one of the hostile commands in the working directory.
  assert.deepEqual([...Deno.readDirSync(home)].map((entry) => entry.name), []);
  assert.equal(output.code, 0, decoder.decode(output.stderr));
  const words = decoder.decode(output.stdout).split("\0");
  assert.equal(words.pop(), "", "output ends with a NUL");
  return words;
}

Deno.test("shellQuote() wraps in single quotes and escapes embedded quotes", () => {
  const table: [string, string][] = [
    ["", "''"],
    ["abc", "'abc'"],
    ["it's", `'it'\\''s'`],
    ["$(x)", "'$(x)'"],
    ["a\nb", "'a\nb'"],
  ];
  for (const [input, expected] of table) assert.equal(shellQuote(input), expected, input);
});

Deno.test("shellQuote() refuses a NUL byte with a TypeError", () => {
  assert.throws(() => shellQuote("a\0b"), TypeError);
  assert.throws(() => commandLine(["echo", "\0"]), TypeError);
});

Deno.test("commandLine() refuses an empty argv", () => {
  assert.throws(() => commandLine([]), TypeError);
});

Deno.test("loginCommand() nests the quoted command line in bash -l -c", () => {
  assert.equal(
    loginCommand(["echo", "it's"]),
    `bash -l -c ''\\''echo'\\'' '\\''it'\\''\\'\\'''\\''s'\\'''`,
  );
});

Deno.test("commandLine() round-trips hostile values through a real sh -c", async () => {
  const home = await Deno.makeTempDir();
  try {
    const words = await printedWords("sh", commandLine(["printf", "%s\\0", ...HOSTILE]), home);
    assert.deepEqual(words, HOSTILE);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("loginCommand() round-trips hostile values through sh -c and then bash -l -c", async () => {
  const home = await Deno.makeTempDir();
  try {
    // sshd hands the command string to the user's shell with -c, which then starts bash -l -c.
    for (const shell of ["sh", "bash"]) {
      const words = await printedWords(shell, loginCommand(["printf", "%s\\0", ...HOSTILE]), home);
      assert.deepEqual(words, HOSTILE, shell);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("loginCommand() keeps every hostile value a single argument", async () => {
  const home = await Deno.makeTempDir();
  try {
    for (const value of HOSTILE) {
      const words = await printedWords("sh", loginCommand(["printf", "%s\\0", value]), home);
      assert.deepEqual(words, [value], JSON.stringify(value));
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
