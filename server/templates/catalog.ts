/**
 * The template set: the built-ins, then the user's directory, where a file may override a
 * built-in by name. Each template is read, checked and parsed; one that fails is listed with
 * its problems and cannot be rendered, and never breaks the list.
 *
 * @module
 */
import { join } from "node:path";
import { BUILTIN_PARTIALS, BUILTIN_TEMPLATES } from "./builtin/mod.ts";
import type { TemplateRenderer } from "./renderer.ts";
import { readTemplateFile, type TemplateDefinition } from "./template_file.ts";

/** The largest template file read, in bytes. */
const MAX_FILE_BYTES = 1024 * 1024;
/** The most user template files read. */
const MAX_FILES = 500;

/** One template of the set. */
export interface CatalogEntry {
  name: string;
  source: "builtin" | "user";
  /** The definition; null when the file could not be read or checked. */
  template: TemplateDefinition | null;
  /** What is wrong with it; empty when it can be rendered. */
  problems: string[];
}

/** The whole set, and the bodies the engine may see (usable templates and partials). */
export interface Catalog {
  entries: CatalogEntry[];
  files: Record<string, string>;
  /** The user directory read (null: none), and why it could not be, if it could not. */
  dir: { path: string | null; problem: string | null };
}

/** Reads one user file into an entry; never throws for the file's own faults. */
async function readUserFile(path: string, name: string): Promise<CatalogEntry> {
  const entry = (problems: string[]): CatalogEntry => ({
    name,
    source: "user",
    template: null,
    problems,
  });
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return entry(["not a regular file"]);
    if (info.size > MAX_FILE_BYTES) {
      return entry([`the file is ${info.size} bytes, over the ${MAX_FILE_BYTES} allowed`]);
    }
    const read = await readTemplateFile(name, await Deno.readTextFile(path));
    return read.ok
      ? { name, source: "user", template: read.template, problems: [] }
      : entry(read.problems);
  } catch (error) {
    return entry([`cannot read the file: ${(error as Error).message}`]);
  }
}

/** The user's template files, by name, sorted. */
async function readUserDir(
  dir: string,
): Promise<{ entries: CatalogEntry[]; problem: string | null }> {
  const names: string[] = [];
  try {
    for await (const item of Deno.readDir(dir)) {
      if (item.name.endsWith(".yml") && !item.name.startsWith(".")) names.push(item.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { entries: [], problem: null };
    return { entries: [], problem: `cannot read the directory: ${(error as Error).message}` };
  }
  names.sort();
  const problem = names.length > MAX_FILES
    ? `only the first ${MAX_FILES} of ${names.length} template files were read`
    : null;
  const entries = await Promise.all(
    names.slice(0, MAX_FILES).map((file) => readUserFile(join(dir, file), file.slice(0, -4))),
  );
  return { entries, problem };
}

/** Loads the set: built-ins, overridden by the user's files, each parsed by the engine. */
export async function loadCatalog(
  options: { dir: string | null; renderer: TemplateRenderer },
): Promise<Catalog> {
  const byName = new Map<string, CatalogEntry>();
  for (const [name, text] of Object.entries(BUILTIN_TEMPLATES)) {
    const read = await readTemplateFile(name, text);
    // A built-in that does not read is a bug of this build, caught by its tests.
    if (!read.ok) throw new Error(`Built-in template "${name}" is broken: ${read.problems[0]}`);
    byName.set(name, { name, source: "builtin", template: read.template, problems: [] });
  }
  const user = options.dir === null
    ? { entries: [], problem: "no user templates: neither HOME nor [templates] dir is set" }
    : await readUserDir(options.dir);
  for (const entry of user.entries) byName.set(entry.name, entry);
  const files: Record<string, string> = { ...BUILTIN_PARTIALS };
  for (const entry of byName.values()) {
    if (entry.template !== null) files[entry.name] = entry.template.body;
  }
  const parsed = await options.renderer.parse(files);
  for (const entry of byName.values()) {
    const problem = parsed[entry.name];
    if (entry.template === null || problem === null || problem === undefined) continue;
    entry.problems.push(`the template does not parse: ${problem}`);
    delete files[entry.name];
  }
  return {
    entries: [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)),
    files,
    dir: { path: options.dir, problem: user.problem },
  };
}
