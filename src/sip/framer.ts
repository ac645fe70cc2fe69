import type { SipMessage } from './message.js';
import { SipParseError } from './parse-error.js';
import { contentLengthOf, DEFAULT_SIP_LIMITS, findHeadEnd, parseSipHead, type SipLimits } from './parser.js';
import { concatBytes } from '../bytes/index.js';

/**
 * Splits a SIP byte stream (TCP or TLS) into messages (conventions.md §5; RFC 3261 §18.3):
 * `push(chunk)` returns every message the chunk completes.
 *
 * - CRLFs before a start line are skipped (§7.5: "implementations processing SIP messages over
 *   stream-oriented transports MUST ignore any CRLF appearing before the start-line"), which also
 *   swallows RFC 5626 double-CRLF keep-alives (no pong is sent).
 * - The head ends at the first CRLF CRLF; the body is exactly Content-Length bytes, which is
 *   mandatory on a stream (§18.3, §20.14). Its absence loses framing: `SIP_BAD_CONTENT_LENGTH`.
 * - Bytes that cannot start a start line (a control character, or a first line that is neither
 *   a request nor a status line) fail at once (`SIP_BAD_START_LINE`), so garbage is not held
 *   until the caps or the idle timeout.
 * - A head longer than `maxHeaderBytes` without its end (`SIP_HEADER_TOO_LARGE`) or a declared
 *   body over `maxBodyBytes` (`SIP_MESSAGE_TOO_LARGE`) throws before the bytes are buffered, so a
 *   connection never holds more than about `maxHeaderBytes + maxBodyBytes`.
 *
 * After a throw the stream cannot be resynchronised; the caller answers if it can and closes.
 */
export class SipFramer {
  readonly #limits: SipLimits;
  #buf: Uint8Array = new Uint8Array(0);
  #offset = 0;
  /** Parsed head waiting for `#need` body bytes. */
  #pending: { message: SipMessage; need: number } | undefined;
  /** Bytes of `#buf` already searched for the head end. */
  #scanned = 0;

  constructor(limits: Partial<SipLimits> = {}) {
    this.#limits = { ...DEFAULT_SIP_LIMITS, ...limits };
  }

  get buffered(): number {
    return this.#buf.length;
  }

  push(chunk: Uint8Array): SipMessage[] {
    this.#buf = this.#buf.length === 0 ? chunk : concatBytes(this.#buf, chunk);
    const out: SipMessage[] = [];
    let pos = 0;
    for (;;) {
      if (this.#pending) {
        const { message, need } = this.#pending;
        if (this.#buf.length - pos < need) break;
        message.body = this.#buf.slice(pos, pos + need);
        pos += need;
        this.#pending = undefined;
        out.push(message);
        continue;
      }
      while (pos + 1 < this.#buf.length && this.#buf[pos] === 13 && this.#buf[pos + 1] === 10) pos += 2;
      if (pos === this.#buf.length || (pos + 1 === this.#buf.length && this.#buf[pos] === 13)) break;
      checkStartLine(this.#buf, pos, this.#offset);
      const end = findHeadEnd(this.#buf, Math.max(pos, this.#scanned - 3));
      if (end < 0) {
        this.#scanned = this.#buf.length;
        if (this.#buf.length - pos > this.#limits.maxHeaderBytes) {
          throw new SipParseError('SIP_HEADER_TOO_LARGE', this.#offset + pos, `no end of head within ${this.#limits.maxHeaderBytes} bytes`);
        }
        break;
      }
      this.#scanned = 0;
      const at = this.#offset + pos;
      if (end + 4 - pos > this.#limits.maxHeaderBytes) {
        throw new SipParseError('SIP_HEADER_TOO_LARGE', at, `head of ${end + 4 - pos} bytes exceeds ${this.#limits.maxHeaderBytes}`);
      }
      const message = parseSipHead(this.#buf.subarray(pos, end), this.#limits, at);
      const request = message.kind === 'request' ? { request: message } : {};
      const length = contentLengthOf(message, at);
      if (length === undefined) {
        throw new SipParseError('SIP_BAD_CONTENT_LENGTH', at, 'no Content-Length on a stream transport (RFC 3261 §18.3)', request);
      }
      if (length > this.#limits.maxBodyBytes) {
        throw new SipParseError('SIP_MESSAGE_TOO_LARGE', at, `body of ${length} bytes exceeds ${this.#limits.maxBodyBytes}`, request);
      }
      pos = end + 4;
      this.#pending = { message, need: length };
    }
    this.#offset += pos;
    this.#scanned = Math.max(0, this.#scanned - pos);
    this.#buf = pos === this.#buf.length ? new Uint8Array(0) : this.#buf.slice(pos);
    return out;
  }
}

/**
 * Fails fast on bytes that cannot begin a SIP message, instead of holding them until the head
 * cap or the idle timeout: a control character (other than CR, LF, HTAB) in the first line, or a
 * complete first line that is not a start line.
 */
function checkStartLine(buf: Uint8Array, pos: number, offset: number): void {
  for (let i = pos; i < buf.length; i++) {
    const b = buf[i]!;
    if (b === 13 && buf[i + 1] === 10) {
      const line = Buffer.from(buf.buffer, buf.byteOffset + pos, i - pos).toString('latin1');
      if (!START_LINE.test(line)) throw new SipParseError('SIP_BAD_START_LINE', offset + pos, `not a SIP start line: ${JSON.stringify(line.slice(0, 80))}`);
      return;
    }
    if ((b < 0x20 && b !== 9 && b !== 13) || b === 0x7f) {
      throw new SipParseError('SIP_BAD_START_LINE', offset + i, `byte 0x${b.toString(16).padStart(2, '0')} cannot appear in a SIP start line`);
    }
  }
}

const START_LINE = /^(?:[A-Za-z0-9\-.!%*_+`'~]+ [^ ]+ [Ss][Ii][Pp]\/[0-9]+\.[0-9]+|[Ss][Ii][Pp]\/[0-9]+\.[0-9]+ [0-9]{3} .*)$/;
