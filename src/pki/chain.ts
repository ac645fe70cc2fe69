import { X509Certificate } from 'node:crypto';
import type { CertificateInfo } from './certificate.js';

/**
 * Certificate chains, as CUCM checks them when a CA-signed certificate is uploaded ("install the
 * root first, then the signed certificate" — certificate chapter, "Install Intermediate
 * Certificates") and when a trust-store delete would break a chain.
 */

const nodeCache = new WeakMap<CertificateInfo, X509Certificate>();

function nodeOf(c: CertificateInfo): X509Certificate {
  let n = nodeCache.get(c);
  if (!n) {
    n = new X509Certificate(c.der);
    nodeCache.set(c, n);
  }
  return n;
}

/** True when `issuer`'s subject is `cert`'s issuer and `issuer`'s key verifies `cert`. */
export function isIssuedBy(cert: CertificateInfo, issuer: CertificateInfo): boolean {
  const c = nodeOf(cert);
  const i = nodeOf(issuer);
  try {
    return c.checkIssued(i) && c.verify(i.publicKey);
  } catch {
    return false;
  }
}

export interface ChainResult {
  ok: boolean;
  /** leaf … anchor when `ok`; as far as it got otherwise. */
  path: CertificateInfo[];
  /** Why it failed: no issuer found, expired link, or a loop. */
  reason?: 'issuer-not-found' | 'expired' | 'not-yet-valid' | 'loop';
}

/**
 * Finds a path from `leaf` to one of `anchors` through `intermediates` (depth ≤ 8). An anchor
 * ends the path; a self-signed certificate that is not an anchor does not. With `at`, every
 * certificate on the path must be valid at that time.
 */
export function chainTo(leaf: CertificateInfo, anchors: readonly CertificateInfo[], intermediates: readonly CertificateInfo[] = [], at?: Date): ChainResult {
  const path: CertificateInfo[] = [leaf];
  const candidates = [...anchors, ...intermediates];
  let cur = leaf;
  for (let depth = 0; depth < 8; depth++) {
    if (at) {
      if (cur.notAfter < at) return { ok: false, path, reason: 'expired' };
      if (cur.notBefore > at) return { ok: false, path, reason: 'not-yet-valid' };
    }
    if (anchors.some((a) => a.sha256 === cur.sha256)) return { ok: true, path };
    const anchor = anchors.find((a) => isIssuedBy(cur, a));
    if (anchor) {
      if (at && (anchor.notAfter < at || anchor.notBefore > at)) return { ok: false, path: [...path, anchor], reason: anchor.notAfter < at ? 'expired' : 'not-yet-valid' };
      return { ok: true, path: [...path, anchor] };
    }
    const next = candidates.find((c) => c.sha256 !== cur.sha256 && isIssuedBy(cur, c));
    if (!next) return { ok: false, path, reason: 'issuer-not-found' };
    if (path.some((p) => p.sha256 === next.sha256)) return { ok: false, path, reason: 'loop' };
    path.push(next);
    cur = next;
  }
  return { ok: false, path, reason: 'loop' };
}
