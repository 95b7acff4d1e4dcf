import type { CommandModule } from "../command.ts";
import { EXIT_CODES } from "../exit_codes.ts";
import { printJson, printText } from "../output.ts";
import { configFrom } from "./serve.ts";

/** `doctor`: check what the daemon stands on, each problem with a fix. Exit 1 when any fails. */
export const doctorCommand: CommandModule = {
  async run({ flags, facts }) {
    // Loaded here: the checks need the server's config, database and SSH code.
    const { resolveConfig } = await import("../../server/config.ts");
    const { runDoctor } = await import("../../server/doctor.ts");
    let checks;
    try {
      checks = await runDoctor(await configFrom(resolveConfig, { flags, facts }), facts.env);
    } catch (error) {
      checks = [{
        name: "config",
        ok: false,
        detail: (error as Error).message,
        fix: "correct the config file or the environment variable it names",
      }];
    }
    const isHealthy = checks.every((c) => c.ok);
    if (flags.json) printJson({ ok: isHealthy, checks }, { compact: true });
    else {
      const width = Math.max(...checks.map((c) => c.name.length));
      printText(
        checks.map((c) =>
          `${c.ok ? "ok  " : "FAIL"}  ${c.name.padEnd(width)}  ${c.detail}` +
          (c.ok || !c.fix ? "" : `\n      ${" ".repeat(width)}  fix: ${c.fix}`)
        ).join("\n"),
      );
    }
    return isHealthy ? EXIT_CODES.ok : EXIT_CODES.internal;
  },
};
