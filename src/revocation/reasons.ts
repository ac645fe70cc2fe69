import { codeNames, codeOf, nameOf } from '../shared/code-table.js';

/**
 * CRL reason codes (RFC 5280 §5.3.1), shared by CRL entries and OCSP RevokedInfo
 * (RFC 6960 §4.2.1). 7 is not used.
 */
export const CrlReason = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;
export type CrlReasonName = keyof typeof CrlReason;

const NAMES = codeNames(CrlReason);

export function crlReasonName(code: number): CrlReasonName | undefined {
  const n = nameOf(NAMES, code, () => '');
  return n ? (n as CrlReasonName) : undefined;
}

/** The reason a user typed (`keyCompromise`, case-insensitive), or undefined. */
export function parseCrlReason(text: string): CrlReasonName | undefined {
  const code = codeOf(NAMES, text);
  return code === undefined ? undefined : crlReasonName(code);
}

export const CRL_REASON_NAMES = Object.keys(CrlReason) as CrlReasonName[];
