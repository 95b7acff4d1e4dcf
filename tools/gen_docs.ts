/**
 * Generates the README's reference tables, each from its one source: the method registry
 * (`server/methods/mod.ts`), the error-code table (`common/error_codes.ts`) and the exit-code
 * table (`cli/exit_codes.ts`). `deno task docs` rewrites the marked sections of README.md, and
 * `tests/docs_test.ts` fails when they are stale.
 *
 * @module
 */
import type { z } from "zod";
import { EXIT_CODES, exitCodeFor, type ExitName } from "../cli/exit_codes.ts";
import { printNotice, printText } from "../cli/output.ts";
import type { ClientErrorKind } from "../client/errors.ts";
import { ERROR_KINDS, type ErrorKind } from "../common/error_codes.ts";
import { LEGACY_METHODS } from "../server/methods/legacy/mod.ts";
import { METHODS, NOTIFICATIONS } from "../server/methods/mod.ts";

/** What each exit code means to a user; keyed by the names in `EXIT_CODES`. */
const EXIT_MEANINGS: Record<ExitName, string> = {
  ok: "Success",
  internal: "A bug or an unexpected failure",
  usage: "Usage error or invalid params",
  unreachable: "The daemon is unreachable, or a call timed out",
  not_found: "The named object does not exist",
  conflict: "Conflict or invalid state, including a daemon already on the socket",
  remote: "A remote service failed or cannot do it: SSH, SLURM, a materials provider, AiiDA",
  interrupted: "Interrupted (Ctrl-C) or cancelled; also a daemon stopped by a second signal",
};

/**
 * The client-side error kinds. A `Record` over the union, so adding a kind to `ClientErrorKind`
 * fails the type check here until the exit-code table knows it.
 */
const CLIENT_KINDS: Record<ClientErrorKind, true> = {
  not_running: true,
  unsafe_socket: true,
  timeout: true,
  connection_lost: true,
  aborted: true,
};

/** The kind a `UsageError` carries. */
const USAGE_KIND = "usage";

/** Escapes a table cell: pipes would end the cell, and a newline would end the row. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function code(text: string): string {
  return `\`${text}\``;
}

/**
 * Renders a Markdown table with padded columns, the way `deno fmt` lays tables out, so that
 * formatting the README never changes a generated section.
 */
function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows].map((row) => row.map(cell));
  const widths = header.map((_, i) => Math.max(3, ...all.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) =>
    `| ${row.map((text, i) => text.padEnd(widths[i]!)).join(" | ")} |`;
  const [head, ...body] = all;
  return [line(head!), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/** A method's params: names in declared order, with `?` after the optional ones. */
function paramList(shape: Record<string, z.ZodType>): string {
  const names = Object.entries(shape).map(([name, schema]) =>
    code(schema.safeParse(undefined).success ? `${name}?` : name)
  );
  return names.length > 0 ? names.join(", ") : "none";
}

function errorList(kinds: readonly ErrorKind[]): string {
  return kinds.length > 0
    ? kinds.map((kind) => `${code(kind)} (${ERROR_KINDS[kind].code})`).join(", ")
    : "none";
}

/** The method table: every method in the registry, in registry order. */
export function renderMethodTable(): string {
  return renderTable(
    ["Method", "Summary", "Params (`?` = optional)", "Errors"],
    METHODS.map((def) => [
      code(def.name),
      def.summary,
      paramList(def.params.shape as Record<string, z.ZodType>),
      errorList(def.errors),
    ]),
  );
}

/** The legacy table: the terminal UI's methods, what answers them and in which form. */
export function renderLegacyTable(): string {
  return renderTable(
    ["Legacy method", "Summary", "Params (`?` = optional)", "Answer", "Backed by"],
    LEGACY_METHODS.map((def) => {
      const key = def.legacy.variant_key;
      return [
        code(def.name) + (key === undefined ? "" : ` with ${code(key)}`),
        def.summary,
        paramList(def.params.shape as Record<string, z.ZodType>),
        def.legacy.envelope === "api" ? "`{ok, data}`" : "bare value",
        def.legacy.backing.length > 0 ? def.legacy.backing.map(code).join(", ") : "none",
      ];
    }),
  );
}

/** The notification table: everything the daemon pushes, in registry order. */
export function renderNotificationTable(): string {
  return renderTable(
    ["Notification", "Summary", "Params"],
    NOTIFICATIONS.map((def) => [
      code(def.name),
      def.summary,
      paramList(def.params.shape as Record<string, z.ZodType>),
    ]),
  );
}

/** The error-code table: every kind with its code, meaning and the CLI exit code it gives. */
export function renderErrorTable(): string {
  return renderTable(
    ["Code", "`data.kind`", "Meaning", "CLI exit code"],
    Object.entries(ERROR_KINDS).map(([kind, entry]) => [
      String(entry.code),
      code(kind),
      entry.description,
      String(exitCodeFor({ kind, code: entry.code })),
    ]),
  );
}

/** The exit-code table: every exit code, what it means, and the error kinds that lead to it. */
export function renderExitCodeTable(): string {
  const kinds = [...new Set([...Object.keys(ERROR_KINDS), ...Object.keys(CLIENT_KINDS)])];
  kinds.push(USAGE_KIND);
  return renderTable(
    ["Exit code", "Name", "Meaning", "Error kinds"],
    (Object.entries(EXIT_CODES) as [ExitName, number][]).map(([name, exitCode]) => {
      const mapped = kinds.filter((kind) => exitCodeFor({ kind }) === exitCode);
      return [
        String(exitCode),
        code(name),
        EXIT_MEANINGS[name],
        mapped.length > 0 ? mapped.map(code).join(", ") : "none",
      ];
    }),
  );
}

/** Every generated README section, by marker name: `<!-- NAME:start -->…<!-- NAME:end -->`. */
export const SECTIONS = {
  methods: renderMethodTable,
  "legacy-methods": renderLegacyTable,
  notifications: renderNotificationTable,
  errors: renderErrorTable,
  "exit-codes": renderExitCodeTable,
} as const satisfies Record<string, () => string>;

/** A generated section's marker name. */
export type SectionName = keyof typeof SECTIONS;

function markers(name: string): { start: string; end: string } {
  return { start: `<!-- ${name}:start -->`, end: `<!-- ${name}:end -->` };
}

/** Finds a section's markers. @throws {SyntaxError} when they are missing or out of order */
function locate(text: string, name: string): { from: number; to: number } {
  const { start, end } = markers(name);
  const at = text.indexOf(start);
  const to = text.indexOf(end, at + start.length);
  if (at < 0 || to < 0) {
    throw new SyntaxError(`Cannot find section "${name}": expected "${start}" then "${end}"`);
  }
  return { from: at + start.length, to };
}

/**
 * Returns the text between a section's markers, trimmed.
 * @throws {SyntaxError} when the markers are missing
 */
export function readSection(text: string, name: string): string {
  const { from, to } = locate(text, name);
  return text.slice(from, to).trim();
}

/**
 * Returns `text` with the section between the markers replaced by `body`, framed by blank lines
 * as `deno fmt` leaves them.
 * @throws {SyntaxError} when the markers are missing
 */
export function replaceSection(text: string, options: { name: string; body: string }): string {
  const { from, to } = locate(text, options.name);
  return `${text.slice(0, from)}\n\n${options.body.trim()}\n\n${text.slice(to)}`;
}

/** Regenerates every section of `text`; returns the new text and the names that changed. */
export function regenerate(text: string): { text: string; changed: SectionName[] } {
  const changed: SectionName[] = [];
  for (const [name, render] of Object.entries(SECTIONS) as [SectionName, () => string][]) {
    const body = render();
    if (readSection(text, name) !== body) changed.push(name);
    text = replaceSection(text, { name, body });
  }
  return { text, changed };
}

async function main(): Promise<void> {
  const readme = new URL("../README.md", import.meta.url);
  try {
    const before = await Deno.readTextFile(readme);
    const { text, changed } = regenerate(before);
    if (text === before) {
      printText("README.md is up to date");
      return;
    }
    await Deno.writeTextFile(readme, text);
    printText(`Updated README.md: ${changed.length > 0 ? changed.join(", ") : "spacing"}`);
  } catch (error) {
    printNotice(`gen_docs: Cannot update README.md: ${(error as Error).message}`);
    Deno.exitCode = EXIT_CODES.internal;
  }
}

if (import.meta.main) await main();
