import { X509Certificate } from 'node:crypto';

/**
 * Peer-certificate validation as CUCM does it against one of its trust stores (phone-behaviour.md
 * TLS-4: "CUCM checks the issuer against CallManager-trust: the CAPF certificate or external CA
 * root for an LSC, the Cisco manufacturing roots for a MIC"; CAPF-2/CAPF-6 for CAPF-trust).
 *
 * - The peer sends its leaf and possibly intermediates; the path is built from the leaf through
 *   the sent certificates to an anchor of the store. A certificate that is itself in the store is
 *   trusted as it is (CUCM stores SIP-trunk peers' own certificates that way).
 * - Every certificate on the path, the anchor included, must be valid at the injected clock's
 *   time, not the host's (architecture.md: "servers use the same clock for certificate
 *   validity"), and every issuer on it must be a CA (basicConstraints CA:TRUE; CAPF-5: a CAPF
 *   certificate without it breaks TLS).
 * - Failures map to the TLS alert OpenSSL would send for the same verify error
 *   (`ssl_verify_alarm_type`): no issuer or a non-CA issuer → `unknown_ca` (48), expired →
 *   `certificate_expired` (45), not yet valid or unparseable → `bad_certificate` (42).
 *
 * Revocation is not checked (TLS-7: phones and the emulated CUCM model no OCSP/CRL).
 */
export type PeerTrustFailure = 'unknown-ca' | 'expired' | 'not-yet-valid' | 'bad-certificate';

export type PeerTrustResult =
  | { trusted: true; leaf: X509Certificate; path: X509Certificate[]; anchor: X509Certificate }
  | { trusted: false; reason: PeerTrustFailure; detail: string; leaf?: X509Certificate };

/** TLS alert descriptions (RFC 5246 §7.2) used for each failure. */
export const TLS_ALERT = {
  handshakeFailure: 40,
  badCertificate: 42,
  certificateExpired: 45,
  unknownCa: 48,
  decodeError: 50,
} as const;

export function alertFor(reason: PeerTrustFailure): number {
  switch (reason) {
    case 'unknown-ca': return TLS_ALERT.unknownCa;
    case 'expired': return TLS_ALERT.certificateExpired;
    default: return TLS_ALERT.badCertificate;
  }
}

/** Max certificates on a path (leaf included), as OpenSSL's default depth of 100 is far more than phones need. */
const MAX_PATH = 8;

/** Memoised chains per anchor set. */
const MEMO_MAX = 4096;

function chainKey(chain: readonly Uint8Array[]): string {
  let key = '';
  for (const der of chain) key += `${der.length}:${Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1')}`;
  return key;
}

/** The span in which every certificate of `path` is valid. */
function validityWindow(path: readonly X509Certificate[]): { from: number; to: number } {
  let from = -Infinity;
  let to = Infinity;
  for (const c of path) {
    from = Math.max(from, Date.parse(c.validFrom));
    to = Math.min(to, Date.parse(c.validTo));
  }
  return { from, to };
}

/** A parsed, indexed set of trust anchors. Build once per store version (see {@link TrustAnchorCache}). */
export class TrustAnchors {
  readonly #bySubject = new Map<string, X509Certificate[]>();
  readonly #byFingerprint = new Set<string>();
  readonly #memo = new Map<string, { result: PeerTrustResult; from: number; to: number }>();
  readonly size: number;

  constructor(certificates: readonly X509Certificate[]) {
    for (const c of certificates) {
      let list = this.#bySubject.get(c.subject);
      if (!list) this.#bySubject.set(c.subject, (list = []));
      list.push(c);
      this.#byFingerprint.add(c.fingerprint256);
    }
    this.size = certificates.length;
  }

  /** Anchors from PEM texts (each may hold several certificates); unparseable blocks are skipped. */
  static fromPems(pems: readonly string[]): TrustAnchors {
    const out: X509Certificate[] = [];
    for (const pem of pems) {
      for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)) {
        try {
          out.push(new X509Certificate(m[0]));
        } catch {
          // a damaged store entry trusts nothing
        }
      }
    }
    return new TrustAnchors(out);
  }

  #issuerAmong(cert: X509Certificate, candidates: Iterable<X509Certificate>): X509Certificate | undefined {
    for (const c of candidates) {
      if (c.fingerprint256 === cert.fingerprint256) continue;
      try {
        if (cert.checkIssued(c) && cert.verify(c.publicKey)) return c;
      } catch {
        // a candidate whose key cannot verify this signature is not its issuer
      }
    }
    return undefined;
  }

  /**
   * Validates `chain` (leaf first, then whatever the peer sent) at time `at` (ms since the epoch).
   * Never throws. Results are memoised per chain (bounded) with the validity window of the path,
   * so a phone reconnecting with the same certificate costs a map lookup, while a time outside
   * the window is judged afresh.
   */
  validate(chain: readonly Uint8Array[], at: number): PeerTrustResult {
    const key = chainKey(chain);
    const hit = this.#memo.get(key);
    if (hit && at >= hit.from && at <= hit.to) return hit.result;
    const result = this.#validate(chain, at);
    if (result.trusted || result.reason === 'unknown-ca') {
      const window = result.trusted ? validityWindow(result.path) : { from: -Infinity, to: Infinity };
      if (this.#memo.size >= MEMO_MAX) this.#memo.delete(this.#memo.keys().next().value!);
      this.#memo.set(key, { result, ...window });
    }
    return result;
  }

  #validate(chain: readonly Uint8Array[], at: number): PeerTrustResult {
    if (chain.length === 0) return { trusted: false, reason: 'bad-certificate', detail: 'no certificate' };
    const parsed: X509Certificate[] = [];
    for (const [i, der] of chain.entries()) {
      try {
        parsed.push(i === 0 ? new X509Certificate(der) : sentIssuer(der));
      } catch (err) {
        return { trusted: false, reason: 'bad-certificate', detail: `unparseable certificate: ${(err as Error).message}` };
      }
    }
    const leaf = parsed[0]!;
    const sent = parsed.slice(1);
    const path: X509Certificate[] = [leaf];
    let anchor: X509Certificate | undefined;
    let cur = leaf;
    while (path.length <= MAX_PATH) {
      if (this.#byFingerprint.has(cur.fingerprint256)) {
        anchor = cur;
        break;
      }
      const fromStore = this.#issuerAmong(cur, this.#bySubject.get(cur.issuer) ?? []);
      if (fromStore) {
        path.push(fromStore);
        anchor = fromStore;
        break;
      }
      const next = this.#issuerAmong(cur, sent);
      if (!next || path.includes(next)) break;
      path.push(next);
      cur = next;
    }
    if (!anchor) return { trusted: false, reason: 'unknown-ca', detail: `no trusted issuer for "${cur.issuer.replace(/\n/g, ', ')}"`, leaf };
    for (let i = 1; i < path.length; i++) {
      if (!path[i]!.ca) return { trusted: false, reason: 'unknown-ca', detail: `issuer "${path[i]!.subject.replace(/\n/g, ', ')}" is not a CA`, leaf };
    }
    for (const c of path) {
      if (Date.parse(c.validTo) < at) return { trusted: false, reason: 'expired', detail: `"${c.subject.replace(/\n/g, ', ')}" expired ${c.validTo}`, leaf };
      if (Date.parse(c.validFrom) > at) return { trusted: false, reason: 'not-yet-valid', detail: `"${c.subject.replace(/\n/g, ', ')}" is not valid before ${c.validFrom}`, leaf };
    }
    return { trusted: true, leaf, path, anchor };
  }
}

/**
 * Re-parses a trust store only when its content changes, so that a server can ask the model for
 * the store on every connection (a change affects the next handshake) without parsing it each
 * time. The model may return a new array with the same strings; that still hits the cache.
 */
export class TrustAnchorCache {
  #pems: readonly string[] | undefined;
  #anchors: TrustAnchors | undefined;

  get(pems: readonly string[]): TrustAnchors {
    if (this.#anchors && this.#pems && (this.#pems === pems || sameStrings(this.#pems, pems))) {
      this.#pems = pems;
      return this.#anchors;
    }
    this.#anchors = TrustAnchors.fromPems(pems);
    this.#pems = pems;
    return this.#anchors;
  }
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The CN of a certificate subject as node prints it (`CN=…` line), or undefined. */
export function commonName(cert: X509Certificate): string | undefined {
  for (const line of cert.subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}

/**
 * The certificates a peer sends after its leaf are its CA chain, the same few for a whole fleet
 * (every MIC of a model comes with the same manufacturing CAs): each is parsed once, not on
 * every connection (issue 17 §5: X509Certificate parsing was 6% of a fleet boot). Keyed by the
 * DER bytes themselves, bounded.
 */
const SENT_ISSUERS = new Map<string, X509Certificate>();
const SENT_ISSUERS_MAX = 256;

function sentIssuer(der: Uint8Array): X509Certificate {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
  let c = SENT_ISSUERS.get(key);
  if (!c) {
    c = new X509Certificate(der);
    if (SENT_ISSUERS.size >= SENT_ISSUERS_MAX) SENT_ISSUERS.delete(SENT_ISSUERS.keys().next().value!);
    SENT_ISSUERS.set(key, c);
  }
  return c;
}
