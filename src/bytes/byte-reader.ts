import { DecodeError } from '../shared/errors.js';

/**
 * A bounds-checked, big-endian cursor over a `Uint8Array` (conventions.md §3, after
 * asn1-schema's `ByteStream`). Every read checks the bytes that remain first and throws a
 * {@link DecodeError} `TRUNCATED` with the absolute offset; a failed read consumes nothing.
 * Slices are zero-copy `subarray` views of the input.
 *
 * A reader may be limited to a window (`start`..`end`) of a larger buffer, so a decoder can
 * confine a nested structure (a TLV record, a TFTP option list) to its declared length while
 * error offsets stay absolute.
 */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #end: number;
  #pos: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length, view?: DataView) {
    if (start < 0 || end > bytes.length || start > end) {
      throw new RangeError(`ByteReader window ${start}..${end} outside 0..${bytes.length}`);
    }
    this.#bytes = bytes;
    this.#view = view ?? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#pos = start;
    this.#end = end;
  }

  /** Absolute offset of the next byte to read. */
  get position(): number {
    return this.#pos;
  }

  /** Absolute offset one past the last readable byte. */
  get end(): number {
    return this.#end;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }

  /** A reader over `start..end` of the same buffer, sharing this reader's DataView. */
  window(start: number, end: number): ByteReader {
    return new ByteReader(this.#bytes, start, end, this.#view);
  }

  /** The whole underlying buffer (not just the window). */
  get buffer(): Uint8Array {
    return this.#bytes;
  }

  #need(n: number, what: string): void {
    if (n > this.#end - this.#pos) {
      throw new DecodeError('TRUNCATED', this.#pos, `${what} needs ${n} bytes but ${this.#end - this.#pos} remain`, {
        details: { needed: n, remaining: this.#end - this.#pos },
      });
    }
  }

  u8(what = 'u8'): number {
    this.#need(1, what);
    return this.#bytes[this.#pos++]!;
  }

  u16(what = 'u16'): number {
    this.#need(2, what);
    const v = this.#view.getUint16(this.#pos);
    this.#pos += 2;
    return v;
  }

  u32(what = 'u32'): number {
    this.#need(4, what);
    const v = this.#view.getUint32(this.#pos);
    this.#pos += 4;
    return v;
  }

  /** `n` bytes as a view into the input. */
  bytes(n: number, what = 'bytes'): Uint8Array {
    this.#need(n, what);
    const out = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** A `u8`/`u16` length prefix followed by that many bytes. */
  vector(lengthBytes: 1 | 2, what = 'vector'): Uint8Array {
    const start = this.#pos;
    const n = lengthBytes === 1 ? this.u8(what) : this.u16(what);
    try {
      return this.bytes(n, what);
    } catch (err) {
      this.#pos = start;
      throw err;
    }
  }

  skip(n: number, what = 'skip'): void {
    this.#need(n, what);
    this.#pos += n;
  }

  /** The next byte without consuming it, or `undefined` at the end of the window. */
  peekU8(): number | undefined {
    return this.#pos < this.#end ? this.#bytes[this.#pos] : undefined;
  }

  /** A reader over the next `n` bytes; this reader moves past them. */
  sub(n: number, what = 'sub-structure'): ByteReader {
    this.#need(n, what);
    const r = new ByteReader(this.#bytes, this.#pos, this.#pos + n, this.#view);
    this.#pos += n;
    return r;
  }

  /** Everything left in the window, as a view. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }
}
