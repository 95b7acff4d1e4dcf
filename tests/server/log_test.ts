import assert from "node:assert/strict";
import { createLogger, MAX_LOG_LINE_CHARS } from "../../server/log.ts";

function capture() {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", sink: { write: (l) => lines.push(l), close() {} } });
  return { log, lines };
}

Deno.test("createLogger() escapes line breaks in messages, field values and error messages", () => {
  const { log, lines } = capture();
  const forged = 'x"\n2026-01-01T00:00:00.000Z ERROR forged line';
  log.warn(`Method not found: ${forged}`, {
    method: forged,
    error: new Error(`Method not found: ${forged}`),
  });
  const text = lines.join("");
  const logged = text.split("\n").filter((l) => l !== "");
  assert.ok(!logged.some((l) => l.startsWith("2026-01-01T00:00:00.000Z ERROR")), text);
  assert.match(logged[0]!, /WARN Method not found: x"\\u000a2026/);
  assert.ok(logged.slice(1).every((l) => /^\s+at /.test(l)), "only stack frames follow");
});

Deno.test("createLogger() cuts a line longer than the cap and says how much went", () => {
  const { log, lines } = capture();
  log.info("big", { payload: "y".repeat(MAX_LOG_LINE_CHARS * 2) });
  assert.ok(lines[0]!.length < MAX_LOG_LINE_CHARS + 100);
  assert.match(lines[0]!, /… \(\d+ more characters\)\n$/);
});
