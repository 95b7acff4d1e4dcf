import { z } from "zod";
import { getJob } from "../../db/jobs.ts";
import { resolveJobFile } from "../../jobs/job_dir.ts";
import { readRange } from "../../jobs/tail.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { NotFoundError } from "../../errors.ts";
import type { MethodContext } from "../context.ts";
import { PK } from "./_shapes.ts";

const SNIFF_BYTES = 8192;
/** The largest piece one call returns: a bigger file is read in pieces, with offset. */
const MAX_PIECE_BYTES = 4 * 1024 * 1024;
/** Bytes per btoa call: a multiple of 3, so the pieces join into one valid base64 text. */
const BASE64_STEP = 3 * 16 * 1024;

/**
 * How many of `bytes` make whole UTF-8 characters: a piece of text ends before a character that
 * the next piece completes, so the pieces join into the file's text exactly.
 */
function wholeUtf8Length(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // A continuation byte: look further back.
    const needs = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needs > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

/** Base64 of `bytes`, built in steps: no per-byte strings, no call with millions of arguments. */
function base64Of(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += BASE64_STEP) {
    parts.push(btoa(String.fromCharCode(...bytes.subarray(i, i + BASE64_STEP))));
  }
  return parts.join("");
}

/** `jobs.get_output_file`: one file of the job directory, capped. */
export const getOutputFile = defineMethod({
  name: "jobs.get_output_file",
  summary: "Read one file from a job's directory, in pieces",
  description: "Returns up to max_bytes (at most 4 MiB) of a file in the job directory from " +
    "offset, as UTF-8 text (or base64 for binary files such as fort.9); next_offset says where " +
    "the next piece starts, or is null at the end. Only files inside the job directory are " +
    "readable: absolute paths, `..` and symlinks that lead outside are refused.",
  params: z.strictObject({
    pk: PK,
    name: z.string().min(1).max(255).describe("File name relative to the job directory"),
    max_bytes: z.number().int().min(1).max(MAX_PIECE_BYTES).default(1024 * 1024)
      .describe("Cap on the bytes returned (default 1 MiB, at most 4 MiB)"),
    offset: z.number().int().min(0).default(0).describe("Where to start reading, in bytes"),
  }),
  result: z.strictObject({
    name: z.string().describe("The file name asked for"),
    content: z.string().describe("The content, as text or base64"),
    encoding: z.enum(["utf-8", "base64"]).describe("How content is encoded"),
    size_bytes: z.number().int().describe("The whole file's size"),
    truncated: z.boolean().describe("True when the file goes on after this piece"),
    offset: z.number().int().describe("Where this piece starts"),
    next_offset: z.number().int().nullable().describe(
      "Where the next piece starts, or null at the end of the file",
    ),
  }),
  errors: ["not_found"],
  examples: [{
    name: "the input deck",
    params: { pk: 1, name: "INPUT" },
    result: {
      name: "INPUT",
      content: "MgO\nCRYSTAL\n...",
      encoding: "utf-8",
      size_bytes: 120,
      truncated: false,
      offset: 0,
      next_offset: null,
    },
  }],
  async handler(params, ctx: MethodContext) {
    const row = getJob(ctx.db, params.pk);
    if (row.work_dir === null) throw new NotFoundError(`Job ${row.pk} has no directory yet`);
    const path = await resolveJobFile(row.work_dir, params.name);
    using file = await Deno.open(path, { read: true });
    const size = (await file.stat()).size;
    const offset = Math.min(params.offset, size);
    const read = await readRange(file, offset, Math.min(size - offset, params.max_bytes));
    // Binary is judged on the file's start, so every piece of one file has one encoding.
    const head = offset === 0 ? read : await readRange(file, 0, Math.min(size, SNIFF_BYTES));
    const isBinary = head.subarray(0, SNIFF_BYTES).includes(0);
    const isLast = offset + read.length >= size;
    const bytes = isBinary || isLast ? read : read.subarray(0, wholeUtf8Length(read));
    const end = offset + bytes.length;
    return {
      name: params.name,
      content: isBinary ? base64Of(bytes) : new TextDecoder().decode(bytes),
      encoding: isBinary ? "base64" as const : "utf-8" as const,
      size_bytes: size,
      truncated: end < size,
      offset,
      next_offset: end < size ? end : null,
    };
  },
});
