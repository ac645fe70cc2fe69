import { DecodeError } from '../shared/errors.js';
import { concatBytes } from '../bytes/index.js';

/**
 * A reader of the client's side of a TLS ≤ 1.2 handshake, as far as its Certificate message
 * (RFC 5246 §6.2.1 records, §7.4 handshake messages, §7.4.6 client Certificate). Until the
 * client's ChangeCipherSpec these are plaintext, so the registrar can see the certificate chain
 * the phone sends before OpenSSL answers it (handshake-tap.ts).
 *
 * ```
 * record:    type u8 | version u16 | length u16 | fragment
 * handshake: msg_type u8 | length u24 | body            (may span records)
 * Certificate body: certificate_list length u24 | { length u24 | DER }*
 * ```
 *
 * `push(chunk)` returns what the chunk completes. Anything it cannot frame throws
 * `TLS_RECORD_MALFORMED`.
 */
export type TlsClientEvent =
  | { kind: 'handshake'; type: number; body: Uint8Array; version: number }
  /** The client's ChangeCipherSpec: everything after it is encrypted. */
  | { kind: 'change-cipher-spec' }
  | { kind: 'other-record'; type: number };

export const TlsContentType = { ChangeCipherSpec: 20, Alert: 21, Handshake: 22, ApplicationData: 23 } as const;
export const TlsHandshakeType = { ClientHello: 1, Certificate: 11, ClientKeyExchange: 16, CertificateVerify: 15 } as const;

/** RFC 5246 §6.2.3: a record fragment is at most 2^14 + 2048 bytes. */
const MAX_RECORD = 16384 + 2048;
const MAX_HANDSHAKE = 64 * 1024;

export class TlsClientHandshakeReader {
  #buf: Uint8Array = new Uint8Array(0);
  #offset = 0;
  #hs: Uint8Array = new Uint8Array(0);
  #done = false;

  /** True once the ChangeCipherSpec has been seen; later bytes are not read. */
  get done(): boolean {
    return this.#done;
  }

  push(chunk: Uint8Array): TlsClientEvent[] {
    if (this.#done) return [];
    this.#buf = this.#buf.length === 0 ? chunk : concatBytes(this.#buf, chunk);
    const out: TlsClientEvent[] = [];
    let pos = 0;
    while (!this.#done && this.#buf.length - pos >= 5) {
      const type = this.#buf[pos]!;
      const version = (this.#buf[pos + 1]! << 8) | this.#buf[pos + 2]!;
      const length = (this.#buf[pos + 3]! << 8) | this.#buf[pos + 4]!;
      if (type < 20 || type > 24 || this.#buf[pos + 1] !== 3) {
        throw new DecodeError('TLS_RECORD_MALFORMED', this.#offset + pos, `byte 0x${type.toString(16)} ${this.#buf[pos + 1]} does not start a TLS record`);
      }
      if (length > MAX_RECORD) throw new DecodeError('TLS_RECORD_MALFORMED', this.#offset + pos, `record of ${length} bytes exceeds ${MAX_RECORD}`);
      if (this.#buf.length - pos < 5 + length) break;
      const fragment = this.#buf.subarray(pos + 5, pos + 5 + length);
      pos += 5 + length;
      if (type === 20) {
        this.#done = true;
        out.push({ kind: 'change-cipher-spec' });
      } else if (type === 22) {
        this.#hs = this.#hs.length === 0 ? fragment.slice() : concatBytes(this.#hs, fragment);
        this.#drainHandshake(out, version, this.#offset + pos);
      } else {
        out.push({ kind: 'other-record', type });
      }
    }
    this.#offset += pos;
    this.#buf = pos === this.#buf.length ? new Uint8Array(0) : this.#buf.slice(pos);
    return out;
  }

  #drainHandshake(out: TlsClientEvent[], version: number, at: number): void {
    while (this.#hs.length >= 4) {
      const length = (this.#hs[1]! << 16) | (this.#hs[2]! << 8) | this.#hs[3]!;
      if (length > MAX_HANDSHAKE) throw new DecodeError('TLS_RECORD_MALFORMED', at, `handshake message of ${length} bytes exceeds ${MAX_HANDSHAKE}`);
      if (this.#hs.length < 4 + length) return;
      out.push({ kind: 'handshake', type: this.#hs[0]!, body: this.#hs.slice(4, 4 + length), version });
      this.#hs = this.#hs.slice(4 + length);
    }
  }
}

/** The DER certificates of a TLS ≤ 1.2 Certificate message body, leaf first (may be empty). */
export function certificateList(body: Uint8Array): Uint8Array[] {
  const bad = (why: string): DecodeError => new DecodeError('TLS_RECORD_MALFORMED', 0, `Certificate message: ${why}`);
  if (body.length < 3) throw bad('shorter than its list length');
  const total = (body[0]! << 16) | (body[1]! << 8) | body[2]!;
  if (total !== body.length - 3) throw bad(`list length ${total} ≠ ${body.length - 3}`);
  const out: Uint8Array[] = [];
  let pos = 3;
  while (pos < body.length) {
    if (body.length - pos < 3) throw bad('truncated entry length');
    const n = (body[pos]! << 16) | (body[pos + 1]! << 8) | body[pos + 2]!;
    pos += 3;
    if (n > body.length - pos) throw bad(`entry of ${n} bytes overruns the list`);
    out.push(body.slice(pos, pos + n));
    pos += n;
  }
  return out;
}
