import type { CommandModule } from "../command.ts";
import { EXIT_CODES, UsageError } from "../exit_codes.ts";
import { clientFor, clusterNamed, pksOf } from "../human.ts";
import { printJson, printText } from "../output.ts";

async function readDeck(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(`Cannot read ${what} "${path}": ${(error as Error).message}`);
  }
}

/** `submit FILE.d12`: submit a deck here, or to a cluster by name. */
export const submitCommand: CommandModule = {
  async run({ flags, args, facts }) {
    const [file] = args;
    if (file === undefined) throw new UsageError("Missing FILE.d12: give the deck to submit");
    const input = await readDeck(file, "the deck");
    const name = (flags.name as string | undefined) ??
      file.split("/").at(-1)!.replace(/\.d12$/, "");
    const d3 = flags.d3 === undefined ? undefined : await readDeck(flags.d3 as string, "the .d3");
    const after = flags.after === undefined ? undefined : pksOf([flags.after as string], "--after");
    await using client = await clientFor({ flags, facts });
    const cluster = flags.cluster === undefined
      ? undefined
      : await clusterNamed(client, flags.cluster as string);
    const job = await client.call("jobs.submit", {
      name,
      input,
      runner: cluster?.cluster_type ?? "local",
      ...(cluster ? { cluster_id: cluster.id } : {}),
      ...(d3 === undefined ? {} : { properties_input: d3 }),
      ...(after === undefined ? {} : { depends_on: after }),
    });
    if (flags.json) printJson(job, { compact: true });
    else {
      printText(
        `Submitted job ${job.pk} ("${name}") ${cluster ? `to ${cluster.name}` : "here"}: ` +
          `${job.state}. Follow it with "crystalmath-server log ${job.pk} -f"`,
      );
    }
    return EXIT_CODES.ok;
  },
};
