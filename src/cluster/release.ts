import { EmulatorError } from '../shared/errors.js';
import { RELEASES, type Purpose, type Release, type ServiceName } from './model.js';

/**
 * What changes with the CUCM release, as one table. Sources: phone-behaviour.md CONT-1/CONT-2
 * (who signs the ITL), CTL-2 and §14 C8 (who signs the tokenless CTL), §14 C4 (who signs
 * `utils itl reset`), REG-1 (Phone Interaction on Certificate Update, 14+), the chapter's Table 7
 * (services to restart) and Table 8 (node- versus cluster-based certificates, multi-server SAN
 * self-signed from 14), §14 C6 (lifetimes).
 */
export interface ReleaseProfile {
  /** Normal ITL signer: the TFTP node's CallManager (≤ 11.5) or ITLRecovery (12.0+). */
  itlSigner: 'CallManager' | 'ITLRecovery';
  /** Tokenless CTL signer: publisher CallManager (10.5–11.5) or ITLRecovery (12.0+). */
  ctlSigner: 'CallManager' | 'ITLRecovery';
  /** 12.5+: one cluster-wide ITLRecovery made on the publisher; earlier: one per node. */
  itlRecoveryClusterWide: boolean;
  /** 14+: tomcat, CallManager and TVS may be multi-server SAN *self-signed*. */
  multiServerSelfSigned: boolean;
  /** Purposes that may be multi-server SAN (CA-signed before 14; also self-signed from 14). */
  multiServerPurposes: readonly Purpose[];
  /** 14+: the "Phone Interaction on Certificate Update" enterprise parameter exists. */
  phoneInteractionParam: boolean;
  /** Services that must be restarted by hand after the CallManager certificate changes (Table 7). */
  callManagerRestarts: readonly ServiceName[];
  /** Whether those restarts happen on their own (14+: HAProxy/CallManager pick it up). */
  callManagerRestartAutomatic: boolean;
  /** Default validity (years) of self-signed certificates, and of ITLRecovery. */
  defaultValidityYears: number;
  itlRecoveryValidityYears: number;
  /** The phone-loading firmware name prefix the config file advertises (informational). */
  loadPrefix: string;
}

const RELEASE_14: ReleaseProfile = {
  itlSigner: 'ITLRecovery',
  ctlSigner: 'ITLRecovery',
  itlRecoveryClusterWide: true,
  multiServerSelfSigned: true,
  multiServerPurposes: ['CallManager', 'CallManager-ECDSA', 'tomcat', 'tomcat-ECDSA', 'TVS'],
  phoneInteractionParam: true,
  callManagerRestarts: ['CallManager'],
  callManagerRestartAutomatic: true,
  defaultValidityYears: 5,
  itlRecoveryValidityYears: 20,
  loadPrefix: '14-0',
};

const RELEASE_11_5: ReleaseProfile = {
  itlSigner: 'CallManager',
  ctlSigner: 'CallManager',
  itlRecoveryClusterWide: false,
  multiServerSelfSigned: false,
  multiServerPurposes: ['CallManager', 'CallManager-ECDSA', 'tomcat', 'tomcat-ECDSA'],
  phoneInteractionParam: false,
  callManagerRestarts: ['CallManager', 'TVS', 'TFTP'],
  callManagerRestartAutomatic: false,
  defaultValidityYears: 5,
  itlRecoveryValidityYears: 5,
  loadPrefix: '11-5',
};

export const RELEASE_PROFILES: Readonly<Record<Release, ReleaseProfile>> = {
  '11.5': RELEASE_11_5,
  /** 12.5 differs from 11.5 in who signs: ITLRecovery, one cluster-wide certificate (CONT-2). */
  '12.5': { ...RELEASE_11_5, itlSigner: 'ITLRecovery', ctlSigner: 'ITLRecovery', itlRecoveryClusterWide: true, loadPrefix: '12-5' },
  '14': RELEASE_14,
  /** 15 behaves as 14SU1+ for trust (Table 7: HAProxy only). */
  '15': { ...RELEASE_14, loadPrefix: '15-0' },
};

export function profileOf(release: Release): ReleaseProfile {
  return RELEASE_PROFILES[release];
}

/**
 * A release as people write it: `14`, `14SU3`, `12.5SU2`, `15SU1` (Service Update levels count
 * where a feature arrived in one: Certificate Revocation is "applicable from Release 14SU3",
 * ucm-certificates.txt).
 */
export function parseRelease(text: string): { release: Release; su: number } {
  const m = /^\s*(\d+(?:\.\d+)?)(?:\s*\(\d+\))?\s*(?:SU\s*(\d+))?\s*$/i.exec(text);
  const release = m?.[1] === '12.5' || m?.[1] === '11.5' ? m[1] : m?.[1]?.replace(/\.0$/, '');
  if (!m || !RELEASES.includes(release as Release)) {
    throw new EmulatorError('USAGE', `release "${text}" is not one of ${RELEASES.join(', ')}, optionally with a Service Update (14SU3)`);
  }
  return { release: release as Release, su: m[2] ? Number(m[2]) : 0 };
}

/** `14SU3`, or `14` without a Service Update. */
export function releaseLabel(release: Release, su = 0): string {
  return su > 0 ? `${release}SU${su}` : release;
}

/** Certificate Revocation (OCSP, CRL, revocation checks) exists from 14SU3 (and in every 15). */
export function hasRevocation(release: Release, su = 0): boolean {
  return release === '15' || (release === '14' && su >= 3);
}
