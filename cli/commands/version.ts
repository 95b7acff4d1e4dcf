import { VERSION } from "../../common/version.ts";
import type { Command } from "../command.ts";
import { EXIT_CODES } from "../exit_codes.ts";
import { printJson, printText } from "../output.ts";

/** `version`: this program's version; needs no daemon. */
export const versionCommand: Command = {
  name: "version",
  summary: "Print the version",
  usage: "version [--json]",
  flags: ["json"],
  run({ flags }) {
    if (flags.json) {
      printJson({ version: VERSION, runtime: `deno ${Deno.version.deno}` }, { compact: true });
    } else printText(`crystalmath-server ${VERSION} (deno ${Deno.version.deno})`);
    return Promise.resolve(EXIT_CODES.ok);
  },
};
