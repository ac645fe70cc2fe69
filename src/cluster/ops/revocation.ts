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
