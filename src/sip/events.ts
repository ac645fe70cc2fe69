import type { DeviceProfile } from './policy.js';

/**
 * Typed events of the registrar (conventions.md §12): one for every accepted handshake and
 * REGISTER, and one for every refusal with a stable reason string.
 */
export type SipRefusal =
  // TLS stage (the alert sent, if any, is in `alert`)
  | 'unknown CA'
  | 'certificate required'
  | 'certificate expired'
  | 'bad certificate'
  | 'no shared cipher'
  | 'protocol version'
  | 'handshake timeout'
  | 'tls error'
  | 'too many connections'
  // closed, before it completed a request, to make room for a newer connection at the cap
  | 'evicted'
  // the client certificate's revocation check failed (Certificate Revocation, 14SU3+)
  | 'certificate revoked'
  | 'revocation status unknown'
  // SIP stage (the response status is in `status`)
  | 'unknown device'
  | 'invalid X.509 name'
  | 'secure profile requires TLS'
  | 'encryption required'
  | 'missing device name'
  | 'malformed request'
  | 'message too large'
  | 'method not allowed'
  | 'version not supported'
  | 'out of order';

export type SipTransport = 'tls' | 'tcp';

export interface PeerCertificateSummary {
  subject: string;
  issuer: string;
  fingerprint256: string;
  /** Subject of the trust-store certificate the chain ended at. */
  anchor: string;
}

export type SipEvent =
  | { type: 'sip.tls.accepted'; remote: string; cipher: string; protocol: string; certificate: PeerCertificateSummary }
  | { type: 'sip.register'; remote: string; transport: SipTransport; deviceName: string; profile: DeviceProfile; aor: string; contact: string; expires: number; cipher?: string }
  | { type: 'sip.unregister'; remote: string; transport: SipTransport; deviceName: string }
  | { type: 'sip.refused'; stage: 'tls' | 'sip'; reason: SipRefusal; remote: string; transport: SipTransport; status?: number; alert?: number; deviceName?: string; detail?: string }
  | { type: 'sip.registration.expired'; deviceName: string; aor: string }
  /** A connection dropped for idleness (no complete handshake or no traffic). */
  | { type: 'sip.idle'; remote: string; transport: SipTransport };
