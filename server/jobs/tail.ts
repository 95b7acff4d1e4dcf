/**
 * Reading the end of a file without reading the whole of it: a 500 MB CRYSTAL output costs the
 * same as a 1 MB one.
 *
 * @module
 */
import { concatBytes } from "../../common/bytes.ts";

/** The last lines of a file and what is known about the file. */
export interface Tail {
  lines: string[];
  size_bytes: number;
  /** True when the file has more lines than were returned. */
  truncated: boolean;
}

const BLOCK = 64 * 1024;

/** Reads `length` bytes from `position` (fewer only at the end of the file). */
export async function readRange(
  file: Deno.FsFile,
  position: number,
  length: number,
): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  await file.seek(position, Deno.SeekMode.Start);
  let read = 0;
  while (read < length) {
    const n = await file.read(buffer.subarray(read));
    if (n === null) break;
    read += n;
  }
  return buffer.subarray(0, read);
}

/** Reads the last `count` lines of `path`, scanning backwards in 64 KiB blocks. */
export async function tailLines(path: string, count: number): Promise<Tail> {
  using file = await Deno.open(path, { read: true });
  const size = (await file.stat()).size;
  const blocks: Uint8Array[] = [];
  let position = size;
  let newlines = 0;
  // One more newline than lines wanted: the line before the first one returned must be complete.
  while (position > 0 && newlines <= count) {
    const length = Math.min(BLOCK, position);
    position -= length;
    const block = await readRange(file, position, length);
    for (const byte of block) if (byte === 10) newlines++;
    blocks.unshift(block);
  }
  const text = new TextDecoder().decode(concatBytes(blocks));
  const all = text.split("\n");
  if (all.at(-1) === "") all.pop(); // A final newline ends the last line; it does not start one.
  const lines = all.slice(Math.max(0, all.length - count));
  return { lines, size_bytes: size, truncated: position > 0 || lines.length < all.length };
}
