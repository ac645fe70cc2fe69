import { cipherPolicy, type CipherPolicyName, type RegistrarPolicy } from '../../sip/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { current, type ClusterSource } from './source.js';

/**
 * A node's SIP registrar policy, read from the cluster model (issue 5; phone-behaviour.md
 * TLS-1..TLS-5, CAPF-6):
 *
 * - the TLS identity is what the CallManager service loaded when it last started
 *   (`Cluster.presented`), so a regenerated CallManager certificate is presented only after the
 *   restart the chapter says it needs;
 * - the cipher policy is the "TLS Ciphers" enterprise parameter;
 * - client certificates are checked against the node's CallManager-trust alone (CAPF
 *   certificates, manufacturing roots, uploaded CA roots): REG-9 — "keep the old CAPF certificate
 *   in CallManager-trust until phones have new LSCs — otherwise … those phones fail TLS" — and
 *   MIG-7 — "the destination CUCM does not trust the old LSC, because the old CAPF is not in its
 *   CallManager-trust". CAPF-trust decides CAPF authentication only (CAPF-2: "Invalid LSC");
 * - a device's security profile comes from its device entry; unknown devices get 403.
 */
export function clusterRegistrarPolicy(source: ClusterSource, node: string): RegistrarPolicy {
  let cipherCache: { label: string; name: CipherPolicyName } | undefined;
  return {
    identity() {
      const p = current(source).presented(node, 'CallManager');
      if (!p.rsa) throw new EmulatorError('INVALID_STATE', `node ${node} has no CallManager certificate loaded; start the CallManager service`);
      return { rsa: p.rsa, ...(p.ecdsa ? { ecdsa: p.ecdsa } : {}) };
    },
    cipherPolicy() {
      const label = current(source).state.params.tlsCiphers;
      if (cipherCache?.label !== label) cipherCache = { label, name: cipherPolicy(label).name };
      return cipherCache.name;
    },
    callManagerTrust() {
      return current(source).trustStore(node, 'CallManager-trust');
    },
    device(name) {
      const d = current(source).device(name);
      return d ? { profile: d.profile } : undefined;
    },
  };
}
