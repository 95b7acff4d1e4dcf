/**
 * Content-Length framing, as LSP does it: ASCII header lines `Name: value\r\n`, a blank line, then
 * exactly `Content-Length` bytes of body. Shared by the daemon and the client.
 *
 * @module
 */

/** Default cap on the header section, in bytes. */
export const DEFAULT_MAX_HEADER_BYTES = 8 * 1024;
/** Default cap on one frame's body, in bytes (100 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024;

/** Limits the decoder enforces; each is configurable. */
export interface FrameLimits {
  /** Largest header section accepted, in bytes. */
  maxHeaderBytes?: number;
  /** Largest body accepted, in bytes. */
  maxFrameBytes?: number;
}

/** A framing violation. The stream cannot be resynchronised after one, so the peer is dropped. */
export class FramingError extends Error {
  override name = "FramingError";
  /**
   * The bodies the same `push` completed before the bad bytes: they were well framed, and the
   * peer is owed an answer to each before the error.
   */
  frames: Uint8Array[] = [];
}

/** A streaming frame decoder: feed it chunks, it returns the bodies completed so far. */
export interface FrameDecoder {
  /**
   * Consumes one chunk and returns every body it completes. The decoder keeps references into
   * `chunk`, so the caller must not reuse the chunk's buffer.
   * @throws {FramingError} when a header is malformed or a limit is exceeded; the bodies completed
   *   before it are in its `frames`
   */
  push(chunk: Uint8Array): Uint8Array[];
  /** True while part of a frame has arrived and the rest has not. */
  readonly isMidFrame: boolean;
}

const CR = 13;
const LF = 10;
const encoder = new TextEncoder();
/** What every frame's header starts with. */
const HEADER_PREFIX = "Content-Length: ";

/**
 * Creates a decoder. Time is linear in input size: header bytes go into one fixed buffer, and a
 * body is copied once into a buffer of exactly its declared length. Nothing is decoded to text
 * before a body is complete.
 *
 * @example Two frames in one chunk
 * ```ts
 * import assert from "node:assert/strict";
 * import { createFrameDecoder, encodeFrame } from "./framing.ts";
 *
 * const a = encodeFrame('{"a":1}');
 * const b = encodeFrame('{"b":2}');
 * const both = new Uint8Array([...a, ...b]);
 * const bodies = createFrameDecoder().push(both);
 * assert.deepEqual(bodies.map((x) => new TextDecoder().decode(x)), ['{"a":1}', '{"b":2}']);
 * ```
 */
export function createFrameDecoder(limits: FrameLimits = {}): FrameDecoder {
  const maxHeader = limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const maxFrame = limits.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const header = new Uint8Array(maxHeader);
  let headerLength = 0;
  /** The declared length of the body being read; -1 between frames. */
  let wantedLength = -1;
  /** The body's buffer, made only once a body spans chunks. */
  let body: Uint8Array | undefined;
  let bodyLength = 0;

  function startBody(): void {
    wantedLength = parseContentLength(asciiText(header.subarray(0, headerLength)), { maxFrame });
    headerLength = 0;
    bodyLength = 0;
  }

  function push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    try {
      decodeInto(chunk, out);
    } catch (error) {
      if (error instanceof FramingError) error.frames = out;
      throw error;
    }
    return out;
  }

  function decodeInto(chunk: Uint8Array, out: Uint8Array[]): void {
    let i = 0;
    while (i < chunk.length) {
      if (wantedLength < 0) {
        // Header phase: byte by byte until CRLF CRLF. Headers are tens of bytes, so this is cheap,
        // and it never looks at more than `maxHeader` bytes.
        while (i < chunk.length) {
          if (headerLength === maxHeader) {
            throw new FramingError(`Header section exceeds ${maxHeader} bytes`);
          }
          const byte = chunk[i++]!;
          header[headerLength++] = byte;
          if (
            byte === LF && headerLength >= 4 && header[headerLength - 2] === CR &&
            header[headerLength - 3] === LF && header[headerLength - 4] === CR
          ) {
            startBody();
            break;
          }
        }
        if (wantedLength < 0) break;
      }
      const wanted = wantedLength - bodyLength;
      const available = chunk.length - i;
      if (bodyLength === 0 && available >= wanted) {
        // The whole body is inside this chunk: hand out a view instead of copying.
        out.push(chunk.subarray(i, i + wanted));
        i += wanted;
        wantedLength = -1;
        body = undefined; // Made when the header ended a chunk: the body then came whole.
        continue;
      }
      body ??= new Uint8Array(wantedLength);
      const n = Math.min(wanted, available);
      body.set(chunk.subarray(i, i + n), bodyLength);
      bodyLength += n;
      i += n;
      if (bodyLength === wantedLength) {
        out.push(body);
        body = undefined;
        bodyLength = 0;
        wantedLength = -1;
      }
    }
  }

  return {
    push,
    get isMidFrame() {
      return wantedLength >= 0 || headerLength > 0;
    },
  };
}

/**
 * Parses a header section (without the final blank line) and returns the body length.
 * @throws {FramingError} when Content-Length is missing, malformed, negative or over the cap
 */
function parseContentLength(text: string, options: { maxFrame: number }): number {
  let length: number | undefined;
  for (const line of text.split("\r\n")) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new FramingError(`Malformed header line: ${JSON.stringify(line)}`);
    if (line.slice(0, colon).trim().toLowerCase() !== "content-length") continue;
    const value = line.slice(colon + 1).trim();
    if (!/^-?\d+$/.test(value)) {
      throw new FramingError(`Content-Length is not a number: ${JSON.stringify(value)}`);
    }
    const parsed = Number(value);
    if (parsed < 0) throw new FramingError(`Content-Length is negative: ${value}`);
    if (parsed > options.maxFrame) {
      throw new FramingError(`Content-Length ${value} exceeds the ${options.maxFrame} byte limit`);
    }
    if (length !== undefined && length !== parsed) {
      throw new FramingError("Conflicting Content-Length headers");
    }
    length = parsed;
  }
  if (length === undefined) throw new FramingError("Missing Content-Length header");
  return length;
}

/**
 * Header bytes as text, one character per byte (what TextDecoder("ascii") gives), without a call
 * into the runtime: headers are tens of bytes, and this runs once per frame.
 */
function asciiText(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

/** Counts the UTF-8 bytes of a string without encoding it. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Frames one JSON text as a single buffer (header and body together), so it goes out in one
 * write and never interleaves with another frame.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame } from "./framing.ts";
 *
 * const frame = new TextDecoder().decode(encodeFrame('{"é":1}'));
 * assert.equal(frame, 'Content-Length: 8\r\n\r\n{"é":1}');
 * ```
 */
export function encodeFrame(json: string): Uint8Array {
  const length = utf8ByteLength(json);
  const frame = new Uint8Array(frameLength(length));
  writeFrame(json, length, frame, 0);
  return frame;
}

/** The bytes a frame of a body of `bodyBytes` takes, header included. */
export function frameLength(bodyBytes: number): number {
  return HEADER_PREFIX.length + String(bodyBytes).length + 4 + bodyBytes;
}

/**
 * Writes the frame of `json`, whose UTF-8 length is `bodyBytes` (`utf8ByteLength`), into `target`
 * at `offset`, which has room for `frameLength(bodyBytes)`; returns the offset after it. A write
 * queue builds a batch of answers in one reused buffer this way, with no allocation per answer.
 */
export function writeFrame(
  json: string,
  bodyBytes: number,
  target: Uint8Array,
  offset: number,
): number {
  const head = `${HEADER_PREFIX}${bodyBytes}\r\n\r\n`;
  // The header is ASCII: written byte by byte, it costs less than a call to the encoder.
  for (let i = 0; i < head.length; i++) target[offset + i] = head.charCodeAt(i);
  const start = offset + head.length;
  encoder.encodeInto(json, target.subarray(start, start + bodyBytes));
  return start + bodyBytes;
}

/**
 * A TransformStream from raw bytes to frame bodies.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame, frameDecoderStream } from "./framing.ts";
 *
 * const bodies = ReadableStream.from([encodeFrame("[]")]).pipeThrough(frameDecoderStream());
 * for await (const body of bodies) assert.equal(new TextDecoder().decode(body), "[]");
 * ```
 */
export function frameDecoderStream(
  limits: FrameLimits = {},
): TransformStream<Uint8Array, Uint8Array> {
  const decoder = createFrameDecoder(limits);
  return new TransformStream({
    transform(chunk, controller) {
      for (const body of decoder.push(chunk)) controller.enqueue(body);
    },
    flush() {
      if (decoder.isMidFrame) throw new FramingError("Stream ended in the middle of a frame");
    },
  });
}
