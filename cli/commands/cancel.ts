import { ServerError } from "../../client/errors.ts";
import type { CommandModule } from "../command.ts";
import { EXIT_CODES, exitCodeFor } from "../exit_codes.ts";
import { clientFor, pksOf } from "../human.ts";
import { printError, printJson, printText } from "../output.ts";

/** `cancel PK…`: cancel jobs; each is reported, and the exit code is the first failure's. */
export const cancelCommand: CommandModule = {
  async run({ flags, args, facts }) {
    const pks = pksOf(args, "PK");
    await using client = await clientFor({ flags, facts });
    const outcomes = [];
    let code: number = EXIT_CODES.ok;
    for (const pk of pks) {
      try {
        const { state } = await client.call("jobs.cancel", { pk }, { timeoutMs: 60_000 });
        outcomes.push({ pk, cancelled: true, state });
        if (!flags.json) printText(`Cancelled job ${pk}`);
      } catch (error) {
        if (!(error instanceof ServerError)) throw error;
        outcomes.push({ pk, cancelled: false, error: error.message });
        if (!flags.json) printError(error.message);
        if (code === EXIT_CODES.ok) code = exitCodeFor(error);
      }
    }
    if (flags.json) printJson({ jobs: outcomes }, { compact: true });
    return code;
  },
};
