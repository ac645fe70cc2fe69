import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { certificateList, TlsClientHandshakeReader, TlsHandshakeType } from './tls-records.js';

/**
 * A pass-through stream between the TCP socket and the server's `TLSSocket` that lets the
 * registrar refuse a client certificate *during* the handshake, with the alert CUCM's OpenSSL
 * would send (TLS-4: the phone logs "SSL3 alert [read]:[fatal]:[unknown CA"; SC-16).
 *
 * @note Node's TLS server accepts every client certificate inside OpenSSL (its verify callback
 * returns 1) and only lets JavaScript look at it after the handshake, when all it can do is
 * close: no alert. Until the client's ChangeCipherSpec a TLS ≤ 1.2 handshake is plaintext, so
 * the tap reads the client's Certificate message from the bytes going in, asks `onCertificate`,
 * and on refusal writes a plaintext fatal alert record to the TCP socket and forwards nothing
 * more, so OpenSSL never finishes the handshake. With TLS 1.3 (certificate encrypted) or input
 * the tap cannot frame it steps aside and the registrar checks the certificate after the
 * handshake instead (no alert, just a close). docs/decisions/015.
 */
export type TapVerdict = { accept: true } | { accept: false; alert: number };

export class HandshakeTap extends Duplex {
  readonly #raw: Socket;
  readonly #onCertificate: (chain: Uint8Array[]) => TapVerdict;
  #reader: TlsClientHandshakeReader | undefined = new TlsClientHandshakeReader();
  #certificateSeen = false;
  #rejected = false;

  constructor(raw: Socket, onCertificate: (chain: Uint8Array[]) => TapVerdict) {
    super({ allowHalfOpen: true });
    this.#raw = raw;
    this.#onCertificate = onCertificate;
    raw.on('data', (chunk: Buffer) => this.#onData(chunk));
    raw.on('end', () => this.push(null));
    raw.on('error', (err) => this.destroy(err));
    raw.on('close', () => {
      if (!this.destroyed) this.destroy();
    });
  }

  /** True once the tap has seen (and judged) the client's Certificate message. */
  get sawCertificate(): boolean {
    return this.#certificateSeen;
  }

  /** True when the tap refused the certificate and sent an alert. */
  get rejected(): boolean {
    return this.#rejected;
  }

  #onData(chunk: Buffer): void {
    if (this.#rejected) return;
    if (this.#reader) {
      try {
        for (const e of this.#reader.push(chunk)) {
          if (e.kind === 'change-cipher-spec') {
            this.#reader = undefined;
            break;
          }
          if (e.kind === 'handshake' && e.type === TlsHandshakeType.Certificate) {
            this.#reader = undefined;
            this.#certificateSeen = true;
            const verdict = this.#onCertificate(certificateList(e.body));
            if (!verdict.accept) {
              this.#reject(verdict.alert, e.version);
              return;
            }
            break;
          }
        }
      } catch {
        // Input the tap cannot frame: leave it to OpenSSL and the post-handshake check.
        this.#reader = undefined;
        this.#certificateSeen = false;
      }
    }
    if (!this.push(chunk)) this.#raw.pause();
  }

  #reject(alert: number, version: number): void {
    this.#rejected = true;
    const v = version >= 0x0301 && version <= 0x0303 ? version : 0x0303;
    // RFC 5246 §7.2: Alert { level fatal(2), description }, in a plaintext alert record.
    this.#raw.end(Uint8Array.of(21, v >> 8, v & 0xff, 0, 2, 2, alert));
  }

  override _read(): void {
    this.#raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#rejected || this.#raw.destroyed) {
      callback();
      return;
    }
    // Callback at once unless the socket pushes back; errors surface through 'error'/'close'.
    if (this.#raw.write(chunk)) callback();
    else this.#raw.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#rejected) this.#raw.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    // After a refusal the alert must still reach the phone: end() already queued it with a FIN.
    if (this.#rejected) this.#raw.destroySoon();
    else this.#raw.destroy();
    callback(err);
  }
}
