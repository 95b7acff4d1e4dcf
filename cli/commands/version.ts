import { VERSION } from "../../common/version.ts";
import type { CommandModule } from "../command.ts";
import { EXIT_CODES } from "../exit_codes.ts";
import { printJson, printText } from "../output.ts";

/** `version`: this program's version; needs no daemon. */
export const versionCommand: CommandModule = {
  run({ flags }) {
    if (flags.json) {
      printJson({ version: VERSION, runtime: `deno ${Deno.version.deno}` }, { compact: true });
    } else printText(`crystalmath-server ${VERSION} (deno ${Deno.version.deno})`);
    return Promise.resolve(EXIT_CODES.ok);
  },
};
