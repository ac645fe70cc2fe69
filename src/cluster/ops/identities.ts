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
 * Certificate Management") and in CAPF-trust. A regenerated CAPF certificate is added beside the
 * old one, which stays until an administrator deletes it: LSCs the old CAPF issued keep working
 * until they are re-issued (REG-9; TAC 200860 [S15]: "install the new LSC on phone before
 * deleting the previous CAPF Certificate from CallManager-trust"). The new entry is named by its
 * CN while that name is free (a CUCM 14 publisher lists `CallManager-trust/CAPF-36205338.pem`),
 * else `<CN>_<serial>` — CUCM's file name for certificates that share a CN ("Common Name or
 * Common Name_SerialNumber is the file name of the certificate", Security Guide 14SU2, CSCvu05478)
 * — so that the old and the new one can each be named, and deleted, on their own.
 */
function refreshCapfTrust(state: ClusterState, capf: IdentityCert): void {
  const cert = certOf(capf.certPem);
  const cn = trustNameOf(cert);
  for (const n of state.nodes) {
    for (const store of ['CallManager-trust', 'CAPF-trust'] as const) {
      const here = state.trust.filter((t) => t.store === store && t.node === n.hostname);
      if (here.some((t) => certOf(t.certPem).sha256 === cert.sha256)) continue;
      const name = here.some((t) => t.name === cn) ? `${cn}_${cert.serialHex}` : cn;
      state.trust.push({ store, node: n.hostname, name, certPem: capf.certPem, source: 'identity', rev: state.rev });
    }
  }
}

export function identitiesOf(state: ClusterState, purpose: Purpose): IdentityCert[] {
  return state.identities.filter((i) => i.purpose === purpose);
}
