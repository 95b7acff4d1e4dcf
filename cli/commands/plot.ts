import type { CommandModule } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { clientFor } from "../human.ts";
import { printJson, printText } from "../output.ts";

/** `plot ID -o FILE.svg`: a completed workflow's plot, to a file or to stdout. */
export const plotCommand: CommandModule = {
  async run({ flags, args, facts }) {
    const [id, ...rest] = args;
    if (id === undefined || rest.length > 0) {
      throw new UsageError('Give one workflow id, such as "wf-3"');
    }
    await using client = await clientFor({ flags, facts });
    const { svg } = await client.call("workflows.plot", { id });
    const file = typeof flags.output === "string" ? flags.output : undefined;
    if (file === undefined) {
      if (flags.json) printJson({ svg }, { compact: true });
      else printText(svg.trimEnd());
      return 0;
    }
    await Deno.writeTextFile(file, svg);
    if (flags.json) printJson({ id, file, bytes: new TextEncoder().encode(svg).length });
    else printText(`Wrote ${file}`);
    return 0;
  },
};
