import { DecodeError } from '../shared/errors.js';
import { CAPF_HEADER_BYTES, CAPF_MAX_FRAME_BYTES, CAPF_PROTOCOL_ID } from './constants.js';
import { decodeCapfMessage, type CapfMessage } from './message.js';
import { concatBytes } from '../bytes/index.js';

/**
 * Splits a CAPF byte stream into messages (conventions.md §5): `push(chunk)` returns every
 * message the chunk completes, in order, and keeps the rest. No socket inside; the servers and
 * the client are thin shells around it.
 *
 * It throws on the first byte that cannot start a message (`CAPF_BAD_PROTOCOL`), on a header
 * declaring more than `maxFrameBytes` (`CAPF_FRAME_TOO_LARGE`, before buffering the body), and on
 * a malformed element list. After a throw the stream is unusable: the caller closes it.
 */
export class CapfFramer {
  readonly #max: number;
  #buf: Uint8Array = new Uint8Array(0);
  /** Offset of `#buf[0]` in the whole stream, for error offsets. */
  #streamOffset = 0;

  constructor(options: { maxFrameBytes?: number } = {}) {
    this.#max = options.maxFrameBytes ?? CAPF_MAX_FRAME_BYTES;
  }

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.#buf.length;
  }

  push(chunk: Uint8Array): CapfMessage[] {
    const buf = this.#buf.length === 0 ? chunk : concatBytes(this.#buf, chunk);
    const out: CapfMessage[] = [];
    let pos = 0;
    for (;;) {
      const left = buf.length - pos;
      if (left === 0) break;
      if (buf[pos] !== CAPF_PROTOCOL_ID) {
        throw new DecodeError('CAPF_BAD_PROTOCOL', this.#streamOffset + pos, `byte 0x${buf[pos]!.toString(16).padStart(2, '0')} cannot start a CAPF message (0x55)`);
      }
      if (left < CAPF_HEADER_BYTES) break;
      const length = (buf[pos + 6]! << 8) | buf[pos + 7]!;
      const total = CAPF_HEADER_BYTES + length;
      if (total > this.#max) {
        throw new DecodeError('CAPF_FRAME_TOO_LARGE', this.#streamOffset + pos, `message of ${total} bytes exceeds the ${this.#max}-byte cap`);
      }
      if (left < total) break;
      try {
        out.push(decodeCapfMessage(buf.slice(pos, pos + total)));
      } catch (err) {
        if (err instanceof DecodeError) throw new DecodeError(err.code, this.#streamOffset + pos + err.offset, err.message.replace(/ \(at byte \d+\)$/, ''), { cause: err });
        throw err;
      }
      pos += total;
    }
    this.#buf = pos === buf.length ? new Uint8Array(0) : buf.slice(pos);
    this.#streamOffset += pos;
    return out;
  }
}
