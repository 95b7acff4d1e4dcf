/**
 * Follows a growing CRYSTAL output file: each poll reads only the bytes added since the last one
 * and feeds whole lines to the streaming parser, so progress on a long run costs what it adds.
 *
 * @module
 */
import { createOutputParser, type CrystalOutput } from "../crystal/output_parser.ts";

/** A follower of one output file. */
export interface OutputFollower {
  /** Reads what was appended since the last poll; returns true when anything new arrived. */
  poll(): Promise<boolean>;
  /** Reads to the end, including a last line without a newline, and returns the parse. */
  finish(): Promise<CrystalOutput>;
  /** The parse of everything read so far. */
  current(): CrystalOutput;
}

const BLOCK = 1024 * 1024;

/** Creates a follower for `path` (which may not exist yet). */
export function followOutput(path: string): OutputFollower {
  const parser = createOutputParser();
  const decoder = new TextDecoder();
  let offset = 0;
  let partial = "";

  async function readNew(): Promise<boolean> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false; // Not written yet.
      throw error;
    }
    try {
      const size = (await file.stat()).size;
      if (size < offset) {
        // Truncated or replaced (a rerun): start over rather than parse a mix of two runs.
        offset = 0;
        partial = "";
      }
      if (size === offset) return false;
      await file.seek(offset, Deno.SeekMode.Start);
      const buffer = new Uint8Array(BLOCK);
      for (;;) {
        const n = await file.read(buffer);
        if (n === null) break;
        offset += n;
        const text = partial + decoder.decode(buffer.subarray(0, n), { stream: true });
        const lines = text.split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) parser.pushLine(line);
      }
      return true;
    } finally {
      file.close();
    }
  }

  return {
    poll: readNew,
    async finish() {
      await readNew();
      const rest = partial + decoder.decode();
      if (rest !== "") parser.pushLine(rest);
      partial = "";
      return parser.result();
    },
    current: () => parser.result(),
  };
}
