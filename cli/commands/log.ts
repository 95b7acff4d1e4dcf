import { ServerError } from "../../client/errors.ts";
import type { Client } from "../../client/mod.ts";
import type { CommandModule } from "../command.ts";
import { EXIT_CODES, UsageError } from "../exit_codes.ts";
import { clientFor, pksOf } from "../human.ts";
import { printText } from "../output.ts";

const ENDED = ["completed", "failed", "cancelled"];

/** The end of a job's output, or nothing when it has none yet. */
async function tail(client: Client, pk: number, lines: number) {
  try {
    return await client.call("jobs.log", { pk, tail_lines: lines });
  } catch (error) {
    if (error instanceof ServerError && error.kind === "not_found") return undefined;
    throw error;
  }
}

/**
 * Follows a job's output: each change of the job (pushed by jobs.subscribe, not polled) prints
 * what the output gained since. A local file is read from where the last read stopped; a remote
 * one, by its end, printing the lines after those already shown.
 */
async function follow(client: Client, pk: number, shown: { size: number; last: string[] }) {
  const print = (text: string) => text !== "" && printText(text.replace(/\n$/, ""));
  async function refresh(): Promise<void> {
    const now = await tail(client, pk, 200);
    if (now === undefined || now.size_bytes <= shown.size) return;
    if (!now.path.includes(":")) {
      // A local file: read exactly the bytes added since.
      const name = now.path.split("/").at(-1)!;
      for (let offset: number | null = shown.size; offset !== null;) {
        const piece: { content: string; next_offset: number | null } = await client.call(
          "jobs.get_output_file",
          { pk, name, offset },
        );
        print(piece.content);
        offset = piece.next_offset;
      }
    } else {
      const seen = shown.last.at(-1);
      const from = seen === undefined ? 0 : now.lines.lastIndexOf(seen) + 1;
      print(now.lines.slice(from).join("\n"));
    }
    shown.size = now.size_bytes;
    shown.last = now.lines;
  }
  let chain = Promise.resolve();
  const { promise: ended, resolve: end } = Promise.withResolvers<number>();
  client.on("jobs.changed", (change) => {
    chain = chain.then(refresh).then(() => {
      if (ENDED.includes(change.state) || change.event === "deleted") end(EXIT_CODES.ok);
    }, (error) => {
      printText(`crystalmath-server: ${(error as Error).message}`);
      end(EXIT_CODES.internal);
    });
  });
  await client.call("jobs.subscribe", { pks: [pk] });
  // It may have ended before the subscription: look once.
  const job = await client.call("jobs.get", { pk });
  if (ENDED.includes(job.state)) {
    await refresh();
    return EXIT_CODES.ok;
  }
  const onSignal = () => end(EXIT_CODES.ok);
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    const lost = client.disconnected().then(() => EXIT_CODES.unreachable);
    return await Promise.race([ended, lost]);
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}

/** `log PK`: the end of a job's output; with -f, followed until the job ends. */
export const logCommand: CommandModule = {
  async run({ flags, args, facts }) {
    const [pk] = pksOf(args.slice(0, 1), "PK");
    const lines = flags.lines === undefined ? 40 : Number(flags.lines);
    if (!Number.isSafeInteger(lines) || lines < 1 || lines > 100_000) {
      throw new UsageError(
        `Invalid -n "${flags.lines}": expected a number of lines from 1 to 100000`,
      );
    }
    await using client = await clientFor({ flags, facts });
    const first = await tail(client, pk!, lines);
    if (first !== undefined && first.lines.length > 0) printText(first.lines.join("\n"));
    if (!flags.follow) return EXIT_CODES.ok;
    return await follow(client, pk!, {
      size: first?.size_bytes ?? 0,
      last: first?.lines ?? [],
    });
  },
};
