import { X509Certificate } from 'node:crypto';
import { bytesEqual } from '../src/bytes/index.js';

/**
 * How the client decides to trust a TVS server: only a certificate the caller passes in (the
 * TVS-role records of the phone's ITL, phone-behaviour.md TVS-3), never the system CA store.
 *
 * - `certificate` (default): the presented leaf must be byte-identical to a trusted record,
 *   which is what the ITL's role-21 record pins.
 * - `public-key`: the presented leaf's SubjectPublicKeyInfo must equal a trusted record's, so a
 *   TVS certificate re-issued on the same key is still accepted.
 *
 * No chain building, no validity dates (the lab's clock is simulated), no host names.
 */
export type TvsPinMode = 'certificate' | 'public-key';

/** The trusted TVS certificates of one verification, with the pin mode. */
export class TvsTrust {
  readonly pin: TvsPinMode;
  readonly #certificates: readonly Uint8Array[];
  #keys: Uint8Array[] | undefined;

  constructor(trusted: readonly Uint8Array[], pin: TvsPinMode = 'certificate') {
    this.#certificates = trusted;
    this.pin = pin;
  }

  /** Number of trusted certificates. */
  get size(): number {
    return this.#certificates.length;
  }

  /** True when the DER leaf the server presented is one the caller trusts. */
  trusts(presented: Uint8Array | undefined): boolean {
    if (!presented || presented.length === 0) return false;
    if (this.#certificates.some((c) => bytesEqual(c, presented))) return true;
    if (this.pin !== 'public-key') return false;
    const key = spkiOf(presented);
    if (!key) return false;
    this.#keys ??= this.#certificates.map(spkiOf).filter((k): k is Uint8Array => k !== undefined);
    return this.#keys.some((k) => bytesEqual(k, key));
  }
}

/** SubjectPublicKeyInfo DER of a certificate, or `undefined` when it does not parse. */
function spkiOf(der: Uint8Array): Uint8Array | undefined {
  try {
    return new Uint8Array(new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' }));
  } catch {
    return undefined;
  }
}
