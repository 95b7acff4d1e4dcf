import assert from "node:assert/strict";
import {
  createFrameDecoder,
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  frameDecoderStream,
  FramingError,
} from "../../common/framing.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

function decodeAll(chunks: Uint8Array[], limits = {}): string[] {
  const decoder = createFrameDecoder(limits);
  return chunks.flatMap((chunk) => decoder.push(chunk)).map(text);
}

function splitEvery(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.slice(i, i + size));
  return out;
}

Deno.test("encodeFrame() counts bytes, not characters", () => {
  assert.equal(text(encodeFrame('"héllo ✓ 😀"')), 'Content-Length: 17\r\n\r\n"héllo ✓ 😀"');
  assert.equal(text(encodeFrame("")), "Content-Length: 0\r\n\r\n");
});

Deno.test("createFrameDecoder() decodes every chunking of the same frames", () => {
  const messages = ['{"a":1}', '{"é":"✓"}', "[]", '"😀"'];
  const all = new Uint8Array(messages.flatMap((m) => [...encodeFrame(m)]));
  for (const size of [1, 2, 3, 7, 19, 64, all.length]) {
    assert.deepEqual(decodeAll(splitEvery(all, size)), messages, `chunk size ${size}`);
  }
});

Deno.test("createFrameDecoder() accepts other headers and any header-name case", () => {
  const cases = [
    "content-length: 2\r\n\r\n{}",
    "CONTENT-LENGTH:2\r\n\r\n{}",
    "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: 2\r\n\r\n{}",
    "Content-Length: 2\r\nX-Other: 1\r\n\r\n{}",
  ];
  for (const frame of cases) assert.deepEqual(decodeAll([bytes(frame)]), ["{}"], frame);
});

Deno.test("createFrameDecoder() reports isMidFrame between a partial and a complete frame", () => {
  const decoder = createFrameDecoder();
  assert.equal(decoder.isMidFrame, false);
  decoder.push(bytes("Content-Len"));
  assert.equal(decoder.isMidFrame, true);
  decoder.push(bytes("gth: 4\r\n\r\n[1"));
  assert.equal(decoder.isMidFrame, true);
  assert.deepEqual(decoder.push(bytes("]]")).map(text), ["[1]]"]);
  assert.equal(decoder.isMidFrame, false);
});

Deno.test("createFrameDecoder() rejects bad headers with a FramingError", () => {
  const cases: [string, RegExp][] = [
    ["X-Other: 1\r\n\r\n{}", /Missing Content-Length/],
    ["Content-Length: abc\r\n\r\n", /not a number/],
    ["Content-Length: -5\r\n\r\n", /negative/],
    ["Content-Length: 1.5\r\n\r\n", /not a number/],
    ["Content-Length: \r\n\r\n", /not a number/],
    ["garbage line\r\n\r\n", /Malformed header line/],
    ["Content-Length: 2\r\nContent-Length: 3\r\n\r\n", /Conflicting/],
    [`Content-Length: ${DEFAULT_MAX_FRAME_BYTES + 1}\r\n\r\n`, /exceeds/],
  ];
  for (const [frame, pattern] of cases) {
    assert.throws(
      () => createFrameDecoder().push(bytes(frame)),
      (e) => e instanceof FramingError && pattern.test(e.message),
      frame,
    );
  }
});

Deno.test("createFrameDecoder() enforces configurable header and frame limits", () => {
  assert.throws(
    () => createFrameDecoder({ maxHeaderBytes: 64 }).push(bytes(`X-Pad: ${"x".repeat(100)}\r\n`)),
    /Header section exceeds 64 bytes/,
  );
  assert.deepEqual(
    decodeAll([bytes("Content-Length: 10\r\n\r\n0123456789")], { maxFrameBytes: 10 }),
    ["0123456789"],
  );
  assert.throws(
    () => createFrameDecoder({ maxFrameBytes: 10 }).push(bytes("Content-Length: 11\r\n\r\n")),
    /exceeds the 10 byte limit/,
  );
});

Deno.test("createFrameDecoder() takes a 100 MiB body in 64 KiB pieces", () => {
  const size = 100 * 1024 * 1024;
  const decoder = createFrameDecoder();
  assert.deepEqual(decoder.push(bytes(`Content-Length: ${size}\r\n\r\n`)), []);
  const piece = new Uint8Array(64 * 1024).fill(0x61);
  let bodies: Uint8Array[] = [];
  for (let sent = 0; sent < size; sent += piece.length) {
    bodies = bodies.concat(decoder.push(piece.slice()));
  }
  assert.equal(bodies.length, 1);
  assert.equal(bodies[0]!.length, size);
  assert.equal(bodies[0]![size - 1], 0x61);
  assert.equal(decoder.isMidFrame, false);
});

Deno.test("frameDecoderStream() fails when the stream ends inside a frame", async () => {
  const stream = ReadableStream.from([bytes("Content-Length: 10\r\n\r\n{}")]).pipeThrough(
    frameDecoderStream(),
  );
  await assert.rejects(Array.fromAsync(stream), /middle of a frame/);
});
