/** Concatenates byte arrays into one new array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

const lenient = new TextDecoder("utf-8");
const strict = new TextDecoder("utf-8", { fatal: true });

/**
 * The text of UTF-8 bytes; throws a TypeError when they are not UTF-8. The lenient decoder is
 * used first: the strict one holds two more copies of the bytes while it decodes (64 MiB briefly
 * took 192 MiB more) and is about three times slower, for small bodies too. Bad bytes become
 * U+FFFD, so text without one came from valid bytes; only text with one (bad bytes, or a U+FFFD
 * sent as such) is decoded strictly.
 */
export function utf8Text(bytes: Uint8Array): string {
  const text = lenient.decode(bytes);
  return text.includes("\uFFFD") ? strict.decode(bytes) : text;
}
