import { resolveSocketPath } from "../../common/paths.ts";
import { connect } from "../../client/mod.ts";
import { parseCallParams } from "../call_params.ts";
import { type CommandModule, numberFlag } from "../command.ts";
import { serveArgsFrom } from "../daemon_args.ts";
import { EXIT_CODES, UsageError } from "../exit_codes.ts";
import { printJson, printText } from "../output.ts";

interface DiscoveredParam {
  name: string;
  description?: string;
  required?: boolean;
  schema?: { type?: string; enum?: unknown[] };
}

interface DiscoveredMethod {
  name: string;
  "x-legacy"?: boolean;
  summary?: string;
  description?: string;
  params?: DiscoveredParam[];
  examples?: { params?: { name: string; value: unknown }[]; result?: { value: unknown } }[];
}

function typeOf(param: DiscoveredParam): string {
  const schema = param.schema ?? {};
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  return schema.type ?? "any";
}

function methodHelp(method: DiscoveredMethod): string {
  const lines = [`${method.name}: ${method.summary ?? ""}`, ""];
  if (method.description) lines.push(method.description, "");
  const params = method.params ?? [];
  lines.push(params.length ? "Params:" : "Params: none");
  const width = Math.max(0, ...params.map((p) => p.name.length));
  for (const p of params) {
    lines.push(
      `  ${p.name.padEnd(width)}  ${typeOf(p)}${p.required ? " (required)" : ""}  ${
        p.description ?? ""
      }`,
    );
  }
  const example = method.examples?.[0];
  if (example) {
    const args = (example.params ?? []).map((p) =>
      `${p.name}=${typeof p.value === "string" ? p.value : JSON.stringify(p.value)}`
    );
    lines.push("", "Example:", `  crystalmath-server call ${[method.name, ...args].join(" ")}`);
    lines.push(`  → ${JSON.stringify(example.result?.value)}`);
  }
  return lines.join("\n");
}

/** `call`: one request, result on stdout as JSON. Method lists and help come from rpc.discover. */
export const callCommand: CommandModule = {
  async run({ flags, args, facts, signal }) {
    const [method, ...rest] = args;
    if (!flags.list && !method) {
      throw new UsageError('Missing METHOD: run "crystalmath-server call --list"');
    }
    const params = flags.list || flags.help ? undefined : parseCallParams(rest);
    const seconds = numberFlag(flags, "timeout");
    const { timeout: _callTimeout, ...daemonFlags } = flags;
    await using client = await connect({
      socket: resolveSocketPath(facts, flags.socket as string | undefined),
      timeoutMs: seconds === undefined ? undefined : seconds * 1000,
      // `--timeout` here is the call's; the daemon it starts keeps its default idle timeout.
      autoStart: flags["no-start"] ? false : { serveArgs: serveArgsFrom(daemonFlags) },
    });
    if (flags.list || flags.help) {
      const doc = await client.request("rpc.discover", {}, { signal }) as {
        methods: DiscoveredMethod[];
      };
      if (flags.list) {
        // The terminal UI's legacy methods only with --all: nobody else should call them.
        const shown = doc.methods.filter((m) => flags.all || m["x-legacy"] !== true);
        if (flags.json) {
          printJson(shown.map(({ name, summary }) => ({ name, summary })), { compact: true });
        } else {
          const width = Math.max(...shown.map((m) => m.name.length));
          printText(
            shown.map((m) => `${m.name.padEnd(width)}  ${m.summary ?? ""}`).join("\n"),
          );
        }
        return EXIT_CODES.ok;
      }
      // A name with a legacy variant: the registry's own method comes first in the document.
      const found = doc.methods.find((m) => m.name === method);
      if (!found) {
        throw new UsageError(`Unknown method "${method}": run "crystalmath-server call --list"`);
      }
      if (flags.json) printJson(found);
      else printText(methodHelp(found));
      return EXIT_CODES.ok;
    }
    const result = await client.request(method!, params, { signal });
    printJson(result, { compact: flags.json === true });
    return EXIT_CODES.ok;
  },
};
