import { EmulatorError } from '../../shared/errors.js';
import type { ClusterEvent } from '../events.js';
import { DEFAULT_REVOCATION_SETTINGS, type ClusterState, type RevocationCheck, type RevocationSettings } from '../model.js';
import { hasRevocation, releaseLabel } from '../release.js';

/**
 * Certificate Revocation settings (ucm-certificates.txt, "Certificate Revocation Configuration",
 * steps 2–10), "applicable from Release 14SU3". Saving with Enable OCSP checked raises the
 * page's popup: a list of services to restart to enable realtime OCSP (the note after step 10);
 * trustlab names the services its model checks at connection time.
 */
export function revocationOf(state: ClusterState): RevocationSettings {
  return { ...DEFAULT_REVOCATION_SETTINGS, ...state.revocation };
}

export function setRevocation(state: ClusterState, patch: Partial<RevocationSettings>): ClusterEvent[] {
  if (!hasRevocation(state.release, state.su)) {
    throw new EmulatorError('PARAM_NOT_IN_RELEASE', `Certificate Revocation is applicable from Release 14SU3; this cluster runs ${releaseLabel(state.release, state.su)}. Upgrade it (cluster init --release 14SU3) to use OCSP and CRL checks.`);
  }
  const next: RevocationSettings = { ...revocationOf(state), ...patch };
  for (const [k, v] of [['OCSP Configured URI', next.ocspConfiguredUri], ['CRL Distribution Point URI', next.crlUri]] as const) {
    if (v !== undefined && !/^https?:\/\/[^\s/]+/i.test(v)) throw new EmulatorError('INVALID_ARGUMENT', `${k} "${v}" is not an http:// or https:// URI`);
  }
  if (next.ocspEnabled && next.ocspUriSource === 'configured' && !next.ocspConfiguredUri) {
    throw new EmulatorError('INVALID_ARGUMENT', '"Use Configured OCSP URI" needs the OCSP Configured URI (--ocsp-uri URL)');
  }
  if (next.crlEnabled && !next.crlUri) throw new EmulatorError('INVALID_ARGUMENT', 'Enable CRL needs the CRL Distribution Point URI (--crl-uri URL)');
  if (!Number.isInteger(next.checkEvery) || next.checkEvery < 1 || next.checkEvery > (next.checkUnit === 'hours' ? 24 * 366 : 366)) {
    throw new EmulatorError('INVALID_ARGUMENT', `the revocation check frequency must be a whole number of ${next.checkUnit} from 1 to ${next.checkUnit === 'hours' ? 24 * 366 : 366}`);
  }
  const before = revocationOf(state);
  state.revocation = next;
  state.revocationRev = state.rev;
  const events: ClusterEvent[] = [{ type: 'param.changed', name: 'certificateRevocation', value: next }];
  if (next.ocspEnabled && (!before.ocspEnabled || JSON.stringify(before) !== JSON.stringify(next))) {
    events.push({ type: 'service.restart-required', service: 'CallManager', nodes: state.nodes.filter((n) => n.services.includes('CallManager')).map((n) => n.hostname), reason: 'restart the services that use TLS to enable realtime OCSP (Certificate Revocation popup); connections already open keep their certificates until then' });
  }
  return events;
}

/** Keeps the newest check per node and certificate. */
export function recordRevocationChecks(state: ClusterState, checks: readonly RevocationCheck[]): ClusterEvent[] {
  const key = (c: RevocationCheck): string => `${c.node}|${c.where}|${c.serial}`;
  const byKey = new Map((state.revocationChecks ?? []).map((c) => [key(c), c]));
  for (const c of checks) byKey.set(key(c), c);
  state.revocationChecks = [...byKey.values()];
  return checks.filter((c) => c.status !== 'good').map((c) => ({ type: 'warning', code: `REVOCATION_${c.status.toUpperCase()}`, message: `${c.node} ${c.where}: ${c.subject} is ${c.status}${c.code ? ` (${c.code})` : ''}` }));
}

/**
 * `utils fips_common_criteria enable|disable` (CLI Reference, Utils Commands): "FIPS mode will be
 * enabled while enabling Common Criteria mode", and TLS 1.0 is no longer permitted. With it on,
 * "the connection fails in Revoked and Unknown cases"; off, "the connection succeeds in Unknown
 * case" (ucm-certificates.txt, Warning after Certificate Revocation step 10).
 */
export function setCommonCriteria(state: ClusterState, on: boolean): ClusterEvent[] {
  if (Boolean(state.commonCriteria) === on) return [{ type: 'warning', code: 'CC_UNCHANGED', message: `Common Criteria mode is already ${on ? 'enabled' : 'disabled'}` }];
  state.commonCriteria = on;
  const events: ClusterEvent[] = [{ type: 'param.changed', name: 'commonCriteria', value: on }];
  if (on && !state.params.fipsMode) {
    state.params.fipsMode = true;
    events.push({ type: 'param.changed', name: 'fipsMode', value: true });
  }
  return events;
}

/** Whether a node's CallManager has loaded the current Certificate Revocation settings (it must restart after a change). */
export function revocationActiveOn(state: ClusterState, node: string): boolean {
  const s = revocationOf(state);
  if (!hasRevocation(state.release, state.su) || (!s.ocspEnabled && !s.crlEnabled)) return false;
  const cm = state.services.find((x) => x.node === node && x.service === 'CallManager');
  return cm !== undefined && cm.startedRev >= (state.revocationRev ?? 0);
}

/**
 * How often revocation is re-checked on schedule, if at all: the Enable Revocation Check interval
 * when it is on, which "takes precedence over the value of the Validity Check Frequency enterprise
 * parameter" (ucm-certificates.txt, note after step 11); else Validity Check Frequency when
 * Certificate Validity Check is enabled; else never. Needs OCSP or CRL on to have anything to ask.
 */
export function revocationCheckInterval(state: ClusterState): { ms: number; by: 'Enable Revocation Check' | 'Validity Check Frequency' } | undefined {
  const s = revocationOf(state);
  if (!s.ocspEnabled && !s.crlEnabled) return undefined;
  if (s.revocationCheckEnabled) return { ms: s.checkEvery * (s.checkUnit === 'hours' ? 3_600_000 : 86_400_000), by: 'Enable Revocation Check' };
  if (state.params.certificateValidityCheck) return { ms: (state.params.validityCheckFrequencyDays ?? 1) * 86_400_000, by: 'Validity Check Frequency' };
  return undefined;
}
