/**
 * A template file: YAML with a description, typed parameters and a Liquid body. This module
 * reads one file's text into a definition, or says what is wrong with it; it never renders.
 *
 * @module
 */
import { z } from "zod";

/** The parameter types a template may declare. */
export const PARAMETER_TYPES = ["float", "integer", "string", "boolean", "select"] as const;

/** A parameter name: it becomes a Liquid variable, so it must be one. */
const PARAMETER_NAME = /^[a-z][a-z0-9_]{0,63}$/;
/** A template name: the file's stem. */
export const TEMPLATE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Names the render context gives itself, which a parameter may not take. */
const RESERVED = new Set(["structure"]);

const SCALAR = z.union([z.number(), z.string(), z.boolean()]);

const PARAMETER = z.strictObject({
  type: z.enum(PARAMETER_TYPES),
  default: SCALAR.optional(),
  description: z.string().max(500).default(""),
  min: z.number().optional(),
  max: z.number().optional(),
  options: z.array(z.union([z.string(), z.number()])).min(1).max(100).optional(),
}).superRefine((p, ctx) => {
  if (p.type === "select" && p.options === undefined) {
    ctx.addIssue({ code: "custom", message: "a select parameter needs options" });
  }
  if (p.type !== "select" && p.options !== undefined) {
    ctx.addIssue({ code: "custom", message: "options are only for a select parameter" });
  }
  if ((p.min !== undefined || p.max !== undefined) && p.type !== "float" && p.type !== "integer") {
    ctx.addIssue({ code: "custom", message: "min and max are only for numbers" });
  }
  if (p.min !== undefined && p.max !== undefined && p.min > p.max) {
    ctx.addIssue({ code: "custom", message: `min ${p.min} is above max ${p.max}` });
  }
});

/** One declared parameter. */
export type ParameterSpec = z.infer<typeof PARAMETER>;

const FILE = z.strictObject({
  description: z.string().min(1).max(2000),
  parameters: z.record(z.string().regex(PARAMETER_NAME, "must be a lower-case name"), PARAMETER)
    .default({}),
  template: z.string().min(1).max(256 * 1024),
  title: z.string().min(1).max(200).optional(),
  tags: z.array(z.string().min(1).max(64)).max(32).default([]),
  version: z.union([z.string(), z.number()]).transform(String).optional(),
  author: z.string().max(200).optional(),
  /** Which kind of deck the body writes, for the check after rendering. */
  deck: z.enum(["d12", "d3"]).default("d12"),
});

/** A template, read and checked. */
export interface TemplateDefinition {
  name: string;
  title: string;
  description: string;
  parameters: Record<string, ParameterSpec>;
  body: string;
  tags: string[];
  version: string | undefined;
  author: string | undefined;
  /** The deck the body writes: a `.d12` or a properties `.d3`. */
  deck: "d12" | "d3";
}

/** What reading a template file gives: the definition, or why there is none. */
export type TemplateRead =
  | { ok: true; template: TemplateDefinition }
  | { ok: false; problems: string[] };

/** The issues of a failed parse, each naming the key it is about. */
function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    const keys = "keys" in issue && Array.isArray(issue.keys) ? ` (${issue.keys.join(", ")})` : "";
    return `${where}${issue.message}${keys}`;
  });
}

/** A default that does not fit its own parameter is a broken template, not a broken request. */
function defaultProblems(parameters: Record<string, ParameterSpec>): string[] {
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(parameters)) {
    if (RESERVED.has(name)) problems.push(`parameters.${name}: the name is reserved`);
    if (spec.default === undefined) continue;
    const problem = valueProblem(spec, spec.default);
    if (problem !== null) problems.push(`parameters.${name}.default: ${problem}`);
  }
  return problems;
}

/** Why `value` does not fit `spec`, or null when it does. */
export function valueProblem(spec: ParameterSpec, value: unknown): string | null {
  switch (spec.type) {
    case "float":
    case "integer": {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        return spec.type === "integer" ? "expected an integer" : "expected a number";
      }
      if (spec.type === "integer" && !Number.isSafeInteger(value)) return "expected an integer";
      if (spec.min !== undefined && value < spec.min) {
        return `${value} is below the minimum ${spec.min}`;
      }
      if (spec.max !== undefined && value > spec.max) {
        return `${value} is above the maximum ${spec.max}`;
      }
      return null;
    }
    case "string":
      if (typeof value !== "string") return "expected a string";
      if (value.length > 10_000) return "expected at most 10000 characters";
      // A deck is read line by line: a value must not start a line of its own.
      // deno-lint-ignore no-control-regex
      return /[\u0000-\u001f\u007f]/.test(value)
        ? "expected one line with no control characters"
        : null;
    case "boolean":
      return typeof value === "boolean" ? null : "expected true or false";
    case "select":
      return spec.options!.includes(value as string | number)
        ? null
        : `expected one of ${spec.options!.map((o) => JSON.stringify(o)).join(", ")}`;
  }
}

/**
 * Reads a template file's text. `name` is its file's stem. Never throws for a bad file. The
 * YAML parser is loaded on first use, so that a daemon that never lists templates never loads it.
 */
export async function readTemplateFile(name: string, text: string): Promise<TemplateRead> {
  if (!TEMPLATE_NAME.test(name)) {
    return {
      ok: false,
      problems: [`the name "${name}" must be lower-case letters, digits, _ and - (at most 64)`],
    };
  }
  const { parse: parseYaml } = await import("yaml");
  let raw: unknown;
  try {
    // Aliases are refused outright: a YAML "billion laughs" must not expand in the daemon.
    raw = parseYaml(text, { maxAliasCount: 0, prettyErrors: false });
  } catch (error) {
    return { ok: false, problems: [`not valid YAML: ${(error as Error).message.split("\n")[0]}`] };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return {
      ok: false,
      problems: ["not a YAML mapping with description, parameters and template"],
    };
  }
  const parsed = FILE.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: issuesOf(parsed.error) };
  const file = parsed.data;
  const problems = defaultProblems(file.parameters);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    template: {
      name,
      title: file.title ?? name,
      description: file.description,
      parameters: file.parameters,
      body: file.template,
      tags: file.tags,
      version: file.version,
      author: file.author,
      deck: file.deck,
    },
  };
}
