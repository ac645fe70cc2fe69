import type { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import type { PeerCertificateSummary, SipRefusal } from './events.js';
import { TLS_ALERT, type PeerTrustFailure } from './peer-trust.js';

/** Small helpers of the registrar's TLS side: event summaries, refusal reasons, the peer chain. */

export function oneLine(dn: string): string {
  return dn.split('\n').join(', ');
}

export function summary(leaf: X509Certificate, anchor: X509Certificate): PeerCertificateSummary {
  return { subject: oneLine(leaf.subject), issuer: oneLine(leaf.issuer), fingerprint256: leaf.fingerprint256, anchor: oneLine(anchor.subject) };
}

export function refusalOf(reason: PeerTrustFailure): SipRefusal {
  return reason === 'unknown-ca' ? 'unknown CA' : reason === 'expired' ? 'certificate expired' : 'bad certificate';
}

/** Reason for a handshake OpenSSL refused on its own (RFC 5246 alert numbers where known). */
export function classifyTlsError(err: NodeJS.ErrnoException): { reason: SipRefusal; alert?: number } {
  const code = err.code ?? '';
  if (code === 'ERR_SSL_NO_SHARED_CIPHER') return { reason: 'no shared cipher', alert: TLS_ALERT.handshakeFailure };
  if (/PROTOCOL|VERSION/.test(code)) return { reason: 'protocol version', alert: 70 };
  return { reason: 'tls error' };
}

/** The certificates the peer sent, leaf first, as node exposes them after the handshake. */
export function peerChain(tls: TLSSocket): Uint8Array[] {
  const out: Uint8Array[] = [];
  let c = tls.getPeerCertificate(true) as DetailedPeerCertificate | Record<string, never>;
  const seen = new Set<string>();
  while (c && 'raw' in c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(new Uint8Array(c.raw));
    c = c.issuerCertificate;
  }
  return out;
}
