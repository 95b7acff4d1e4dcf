import type { CommandModule } from "../command.ts";
import { EXIT_CODES } from "../exit_codes.ts";
import { clientFor, renderTable } from "../human.ts";
import { printJson, printText } from "../output.ts";

/** `clusters`: the registered clusters as a table. */
export const clustersCommand: CommandModule = {
  async run({ flags, facts }) {
    await using client = await clientFor({ flags, facts });
    const { clusters } = await client.call("clusters.list", {});
    if (flags.json) printJson({ clusters }, { compact: true });
    else if (clusters.length === 0) {
      printText('No clusters yet: add one with "crystalmath-server call clusters.create ..."');
    } else {
      printText(renderTable(
        ["ID", "NAME", "TYPE", "HOST", "USER", "WORKDIR", "MAX"],
        clusters.map((c) => [
          String(c.id),
          c.name,
          c.cluster_type,
          c.port === 22 ? c.hostname : `${c.hostname}:${c.port}`,
          c.username,
          c.remote_workdir,
          String(c.max_concurrent),
        ]),
      ));
    }
    return EXIT_CODES.ok;
  },
};
