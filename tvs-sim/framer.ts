import { ByteReader } from '../src/bytes/index.js';
import { DecodeError, EmulatorError } from '../src/shared/errors.js';
import { DEFAULT_MAX_FRAME_BYTES, MAX_TVS_MESSAGE_BYTES, TVS_HEADER_BYTES } from './constants.js';
import { checkTvsPrefix, decodeTvsHeader, decodeTvsMessage, type TvsMessage } from './message.js';
import { concatBytes } from '../src/bytes/index.js';

/**
 * Splits a TVS byte stream into messages: `push(chunk) → messages[]`, with no socket inside
 * (conventions.md §5, after pg-protocol and ws's `Receiver`). TLS delivers records, not
 * messages, so a message may arrive in pieces or several in one chunk.
 *
 * Garbage is refused at its first byte (protocol id, then version) and an oversized message as
 * soon as its header is complete, so the framer never buffers more than `maxFrameBytes`. After
 * an error the framer is spent: further pushes throw `INVALID_STATE`. Error offsets are
 * absolute positions in the stream.
 */
export class TvsFramer {
  readonly maxFrameBytes: number;
  #buf: Uint8Array = new Uint8Array(0);
  /** Stream offset of `#buf[0]`. */
  #base = 0;
  /** Total length of the message at the head, once its header is read. */
  #need: number | undefined;
  #failed: unknown;

  constructor(options: { maxFrameBytes?: number } = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < TVS_HEADER_BYTES || max > MAX_TVS_MESSAGE_BYTES) {
      throw new EmulatorError('INVALID_ARGUMENT', `maxFrameBytes ${max} is outside ${TVS_HEADER_BYTES}..${MAX_TVS_MESSAGE_BYTES}`);
    }
    this.maxFrameBytes = max;
  }

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.#buf.length;
  }

  push(chunk: Uint8Array): TvsMessage[] {
    if (this.#failed !== undefined) throw new EmulatorError('INVALID_STATE', 'TVS framer already failed', { cause: this.#failed });
    try {
      return this.#push(chunk);
    } catch (err) {
      this.#failed = err;
      this.#buf = new Uint8Array(0);
      throw err;
    }
  }

  #push(chunk: Uint8Array): TvsMessage[] {
    if (chunk.length === 0) return [];
    const owned = this.#buf.length > 0;
    this.#buf = owned ? concatBytes(this.#buf, chunk) : chunk;
    const out: TvsMessage[] = [];
    for (;;) {
      if (this.#need === undefined) {
        if (this.#buf.length < TVS_HEADER_BYTES) {
          checkTvsPrefix(this.#buf, this.#base);
          break;
        }
        try {
          this.#need = TVS_HEADER_BYTES + decodeTvsHeader(new ByteReader(this.#buf), this.maxFrameBytes).elementsLength;
        } catch (err) {
          throw rebase(err, this.#base);
        }
      }
      if (this.#buf.length < this.#need) break;
      const frame = copy(this.#buf.subarray(0, this.#need));
      try {
        out.push(decodeTvsMessage(frame));
      } catch (err) {
        throw rebase(err, this.#base);
      }
      this.#buf = this.#buf.subarray(this.#need);
      this.#base += this.#need;
      this.#need = undefined;
    }
    // Keep a private copy of what is pending: the caller may reuse its chunk, and a long
    // stream must not pin the chunks it came in.
    if (this.#buf.length > 0 && (!owned || this.#buf.byteOffset > 0)) this.#buf = copy(this.#buf);
    return out;
  }
}

/**
 * A private copy. @note Not `slice()`: on a Node `Buffer` (what sockets deliver) `slice` is a
 * view, not a copy.
 */
function copy(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}


/** Decoders report offsets within the frame; make them stream-absolute. */
function rebase(err: unknown, base: number): unknown {
  if (base === 0 || !(err instanceof DecodeError)) return err;
  const message = err.message.replace(/ \(at byte \d+\)$/, '');
  const { offset: _offset, ...details } = err.details;
  return new DecodeError(err.code, err.offset + base, message, { cause: err.cause, details });
}
