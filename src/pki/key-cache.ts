import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';

/**
 * A bounded cache from key material (a DER certificate or a PKCS#1 public key) to a native
 * `KeyObject`. Verifying the same ITL signer thousands of times across a fleet would otherwise
 * re-parse the same certificate every time.
 *
 * Entries are found by a cheap sampled hash and then compared byte for byte with the full
 * input, so a forged certificate that shares a serial, a name or the sampled bytes cannot pick
 * up a cached key.
 */
export class PublicKeyCache {
  readonly #max: number;
  readonly #buckets = new Map<number, Array<{ kind: number; bytes: Buffer; key: KeyObject | null }>>();
  #size = 0;

  constructor(max = 1024) {
    this.#max = max;
  }

  /** The certificate's public key, or `null` if the bytes are not a certificate. */
  fromCertificate(der: Uint8Array): KeyObject | null {
    return this.#get(0, der, (b) => new X509Certificate(b).publicKey);
  }

  /** A PKCS#1 RSAPublicKey (trust-list record tag 7), or `null` if it does not parse. */
  fromPkcs1(der: Uint8Array): KeyObject | null {
    return this.#get(1, der, (b) => createPublicKey({ key: b, format: 'der', type: 'pkcs1' }));
  }

  #get(kind: number, bytes: Uint8Array, make: (b: Buffer) => KeyObject): KeyObject | null {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const h = sampleHash(buf, kind);
    let bucket = this.#buckets.get(h);
    if (bucket) for (const e of bucket) if (e.kind === kind && e.bytes.equals(buf)) return e.key;
    let key: KeyObject | null;
    try {
      key = make(buf);
    } catch {
      key = null;
    }
    if (this.#size >= this.#max) {
      this.#buckets.delete(this.#buckets.keys().next().value!);
      this.#size = [...this.#buckets.values()].reduce((n, b) => n + b.length, 0);
      bucket = this.#buckets.get(h);
    }
    if (!bucket) this.#buckets.set(h, (bucket = []));
    bucket.push({ kind, bytes: Buffer.from(buf), key });
    this.#size++;
    return key;
  }

  get size(): number {
    return this.#size;
  }
}

/** FNV-1a over the length, the kind and 64 bytes sampled across the input. */
function sampleHash(b: Buffer, kind: number): number {
  let h = (0x811c9dc5 ^ b.length ^ (kind << 24)) >>> 0;
  const step = Math.max(1, b.length >> 6);
  for (let i = 0; i < b.length; i += step) h = Math.imul(h ^ b[i]!, 0x01000193) >>> 0;
  return h;
}

/** The process-wide cache used when a caller does not pass its own. */
export const defaultKeyCache = new PublicKeyCache();
