import { expect } from 'vitest';

/**
 * The shared round-trip checklist every codec passes (conventions.md §4, after dns-packet's
 * `testEncoder`): the encoded length equals `encodedLength`, decoding gives the value back,
 * re-encoding gives the same bytes, and decoding works when the bytes sit at a non-zero offset
 * inside a larger buffer.
 */
export interface Codec<T> {
  encode(v: T): Uint8Array;
  decode(b: Uint8Array): T;
  encodedLength(v: T): number;
}

export function expectRoundTrip<T>(codec: Codec<T>, value: T): Uint8Array {
  const bytes = codec.encode(value);
  expect(bytes.length).toBe(codec.encodedLength(value));
  const decoded = codec.decode(bytes);
  expect(decoded).toEqual(value);
  expect(Buffer.from(codec.encode(decoded)).equals(Buffer.from(bytes))).toBe(true);
  const padded = new Uint8Array(bytes.length + 7);
  padded.set(bytes, 7);
  expect(codec.decode(padded.subarray(7))).toEqual(value);
  return bytes;
}
