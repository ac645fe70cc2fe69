import { EmulatorError } from '../../shared/errors.js';
import type { ClusterEvent } from '../events.js';
import type { ClusterState, EnterpriseParameters } from '../model.js';
import { TLS_CIPHER_POLICIES } from '../model.js';
import { profileOf } from '../release.js';

/**
 * Enterprise parameter changes (System > Enterprise Parameters). "Phone Interaction on
 * Certificate Update" exists from 14 (REG-1); turning "Prepare Cluster for Rollback to pre-8.0"
 * on or off changes the ITL and resets phones automatically from 10.5 (ITL-8).
 */
export function setParam<K extends keyof EnterpriseParameters>(state: ClusterState, name: K, value: EnterpriseParameters[K]): ClusterEvent[] {
  if (name === 'phoneInteractionOnCertUpdate' && !profileOf(state.release).phoneInteractionParam) {
    throw new EmulatorError('PARAM_NOT_IN_RELEASE', `"Phone Interaction on Certificate Update" exists from release 14; this cluster runs ${state.release}`);
  }
  if (name === 'tlsCiphers' && !TLS_CIPHER_POLICIES.includes(value as never)) {
    throw new EmulatorError('INVALID_ARGUMENT', `TLS Ciphers must be one of: ${TLS_CIPHER_POLICIES.join('; ')}`);
  }
  if (name === 'validityCheckFrequencyDays' && (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 365)) {
    throw new EmulatorError('INVALID_ARGUMENT', 'Validity Check Frequency is a whole number of days, 1 to 365');
  }
  if (state.params[name] === value) return [];
  state.params[name] = value;
  const events: ClusterEvent[] = [{ type: 'param.changed', name, value }];
  if (name === 'rollbackToPre80') {
    const tftp = state.nodes.filter((n) => n.services.includes('TFTP')).map((n) => n.hostname);
    events.push(
      { type: 'file.rebuilt', file: 'ITLFile.tlv', nodes: tftp, reason: value ? 'Prepare Cluster for Rollback to pre-8.0: the ITL has empty TVS and TFTP sections (ITL-8)' : 'rollback parameter cleared: the normal ITL is back' },
      { type: 'phones.reset', by: 'cluster', reason: 'the rollback parameter resets phones automatically (ITL-8)' },
    );
  }
  if (name === 'tlsCiphers') events.push({ type: 'warning', code: 'TLS_CIPHERS', message: 'new SIP TLS connections use the new cipher policy; phones that share no cipher with it cannot register (TLS-5)' });
  return events;
}
