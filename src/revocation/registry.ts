import { EmulatorError } from '../shared/errors.js';
import type { CrlReasonName } from './reasons.js';

/**
 * What a lab CA knows about the certificates it issued: plain data (JSON in
 * `lab/pki/revocation.json`) and pure operations on it. The responder answers from it and the
 * CRL lists its revoked entries. A serial the CA never issued is `unknown` to OCSP, as RFC 6960
 * §2.2 has it, and cannot be revoked.
 */
export interface IssuedEntry {
  /** Lowercase hex serial magnitude, no leading zeros. */
  serial: string;
  subject: string;
  notAfter: string;
  issuedAt: string;
}

export interface RevokedEntry {
  serial: string;
  revokedAt: string;
  reason: CrlReasonName;
}

export interface CaRevocationState {
  issued: IssuedEntry[];
  revoked: RevokedEntry[];
  /** The number the next CRL carries (RFC 5280 §5.2.3: monotonically increasing). */
  crlNumber: number;
}

export const emptyCaState = (): CaRevocationState => ({ issued: [], revoked: [], crlNumber: 1 });

export function normalSerial(hex: string): string {
  const s = hex.toLowerCase().replace(/[^0-9a-f]/g, '').replace(/^0+(?=.)/, '');
  return s || '0';
}

export function recordIssued(state: CaRevocationState, e: IssuedEntry): CaRevocationState {
  const serial = normalSerial(e.serial);
  if (state.issued.some((i) => i.serial === serial)) return state;
  return { ...state, issued: [...state.issued, { ...e, serial }] };
}

/** Revokes an issued serial. Revoking twice is refused, so the first date and reason stand. */
export function revoke(state: CaRevocationState, serialHex: string, at: Date, reason: CrlReasonName): CaRevocationState {
  const serial = normalSerial(serialHex);
  const issued = state.issued.find((i) => i.serial === serial);
  if (!issued) throw new EmulatorError('CA_NOT_ISSUER', `the lab CA never issued serial ${serial}; only certificates it issued (trustlab ca sign) can be revoked`, { details: { serial } });
  const already = state.revoked.find((r) => r.serial === serial);
  if (already) throw new EmulatorError('CA_ALREADY_REVOKED', `serial ${serial} (${issued.subject}) was already revoked on ${already.revokedAt} (${already.reason})`, { details: { serial } });
  return { ...state, revoked: [...state.revoked, { serial, revokedAt: at.toISOString(), reason }] };
}

export type RegistryStatus = { status: 'good' } | { status: 'revoked'; revokedAt: Date; reason: CrlReasonName } | { status: 'unknown' };

export function statusOf(state: CaRevocationState, serialHex: string): RegistryStatus {
  const serial = normalSerial(serialHex);
  const r = state.revoked.find((x) => x.serial === serial);
  if (r) return { status: 'revoked', revokedAt: new Date(r.revokedAt), reason: r.reason };
  return state.issued.some((i) => i.serial === serial) ? { status: 'good' } : { status: 'unknown' };
}
