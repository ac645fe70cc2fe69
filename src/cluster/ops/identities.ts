import type { ClusterState, IdentityCert, Purpose } from '../model.js';
import { certOf } from '../certs.js';
import { trustNameOf } from '../trust-names.js';

/**
 * Replaces the identity `purpose` of the holders in `fresh.nodes` with `fresh`. A previous
 * certificate shared with other nodes (multi-server) stays for those nodes only.
 */
export function installIdentity(state: ClusterState, fresh: IdentityCert): void {
  const holders = new Set(fresh.nodes);
  state.identities = state.identities
    .map((i) => (i.purpose === fresh.purpose ? { ...i, nodes: i.nodes.filter((n) => !holders.has(n)) } : i))
    .filter((i) => i.nodes.length > 0);
  state.identities.push(fresh);
  if (fresh.purpose === 'CAPF') refreshCapfTrust(state, fresh);
}

/**
 * The CAPF certificate is trusted on every node as CallManager-trust (chapter, "Simplified
 * Certificate Management") and in CAPF-trust. A new CAPF certificate with the same CN replaces
 * the old entry, since a store keeps one certificate per subject (TS-2) — which is why LSCs from
 * the old CAPF stop validating (REG-9).
 */
function refreshCapfTrust(state: ClusterState, capf: IdentityCert): void {
  const cert = certOf(capf.certPem);
  const name = trustNameOf(cert);
  for (const n of state.nodes) {
    for (const store of ['CallManager-trust', 'CAPF-trust'] as const) {
      state.trust = state.trust.filter((t) => !(t.store === store && t.node === n.hostname && t.name === name));
      state.trust.push({ store, node: n.hostname, name, certPem: capf.certPem, source: 'identity', rev: state.rev });
    }
  }
}

export function identitiesOf(state: ClusterState, purpose: Purpose): IdentityCert[] {
  return state.identities.filter((i) => i.purpose === purpose);
}
