/**
 * A render's params, checked against the template's declared parameters: each value of the
 * declared type and in range, unknown names refused, defaults filled in so that a strict
 * render never meets an undefined variable.
 *
 * @module
 */
import { InvalidParamsError } from "../errors.ts";
import { type TemplateDefinition, valueProblem } from "./template_file.ts";

/** A checked param value: plain JSON, nothing a template could call. */
export type ParamValue = number | string | boolean;

/**
 * The values to render `template` with.
 * @throws {InvalidParamsError} naming the parameter that is unknown, missing, of the wrong type
 *   or out of range
 */
export function resolveParams(
  template: TemplateDefinition,
  given: Readonly<Record<string, unknown>>,
): Record<string, ParamValue> {
  const declared = template.parameters;
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declared, name)) {
      const known = Object.keys(declared);
      throw new InvalidParamsError(
        `Invalid params for template "${template.name}": unknown parameter "${name}"` +
          (known.length > 0 ? `; it takes ${known.join(", ")}` : "; it takes none"),
        { data: { parameter: name } },
      );
    }
  }
  const values: Record<string, ParamValue> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const value = Object.hasOwn(given, name) ? given[name] : spec.default;
    if (value === undefined) {
      throw new InvalidParamsError(
        `Invalid params for template "${template.name}": parameter "${name}" is required ` +
          `(${spec.type}${spec.description ? `: ${spec.description}` : ""})`,
        { data: { parameter: name } },
      );
    }
    const problem = valueProblem(spec, value);
    if (problem !== null) {
      throw new InvalidParamsError(
        `Invalid params for template "${template.name}": parameter "${name}": ${problem}`,
        { data: { parameter: name } },
      );
    }
    values[name] = value as ParamValue;
  }
  return values;
}
