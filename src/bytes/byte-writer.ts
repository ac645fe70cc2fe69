import { EmulatorError } from '../shared/errors.js';

/**
 * A growable, chainable big-endian writer (conventions.md §3, after pg-protocol's `Writer`).
 * It grows by 1.5× and never shares state between instances. `reserve`/`patchU16` let an
 * encoder write a length prefix before it knows the length.
 */
export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;

  constructor(initialCapacity = 256) {
    this.#buf = new Uint8Array(Math.max(16, initialCapacity));
    this.#view = new DataView(this.#buf.buffer);
  }

  get length(): number {
    return this.#len;
  }

  #ensure(n: number): void {
    const need = this.#len + n;
    if (need <= this.#buf.length) return;
    let cap = this.#buf.length;
    while (cap < need) cap = Math.ceil(cap * 1.5);
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  u8(v: number): this {
    checkInt(v, 0xff, 'u8');
    this.#ensure(1);
    this.#buf[this.#len++] = v;
    return this;
  }

  u16(v: number): this {
    checkInt(v, 0xffff, 'u16');
    this.#ensure(2);
    this.#view.setUint16(this.#len, v);
    this.#len += 2;
    return this;
  }

  u32(v: number): this {
    checkInt(v, 0xffffffff, 'u32');
    this.#ensure(4);
    this.#view.setUint32(this.#len, v);
    this.#len += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#ensure(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /** Skips `n` zero bytes and returns their offset, to be patched later. */
  reserve(n: number): number {
    this.#ensure(n);
    const at = this.#len;
    this.#buf.fill(0, at, at + n);
    this.#len += n;
    return at;
  }

  patchU16(offset: number, v: number): this {
    checkInt(v, 0xffff, 'u16');
    if (offset < 0 || offset + 2 > this.#len) throw new RangeError(`patchU16 at ${offset} outside 0..${this.#len}`);
    this.#view.setUint16(offset, v);
    return this;
  }

  /** Overwrites already-written bytes at `offset`. */
  patchBytes(offset: number, b: Uint8Array): this {
    if (offset < 0 || offset + b.length > this.#len) {
      throw new RangeError(`patchBytes at ${offset}+${b.length} outside 0..${this.#len}`);
    }
    this.#buf.set(b, offset);
    return this;
  }

  /**
   * The bytes written, without a copy when the writer was sized exactly (an encoder that measured
   * first); otherwise a copy as {@link finish}. The writer must not be used afterwards.
   */
  take(): Uint8Array {
    const out = this.#len === this.#buf.length ? this.#buf : this.#buf.slice(0, this.#len);
    this.#buf = new Uint8Array(0);
    this.#view = new DataView(this.#buf.buffer);
    this.#len = 0;
    return out;
  }

  /** The bytes written so far, copied into an exactly-sized array. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

function checkInt(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new EmulatorError('INVALID_ARGUMENT', `${what} value ${v} is outside 0..${max}`);
  }
}
