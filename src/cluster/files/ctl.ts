import { buildTrustList, Role, type RecordSpec } from '../../trustlist/index.js';
import { certOf, keyOf } from '../certs.js';
import { identityOf, publisherOf } from '../identity.js';
import type { ClusterState, IdentityCert, NodeSpec } from '../model.js';
import { profileOf } from '../release.js';
import type { BuiltFile } from './itl.js';

/**
 * The tokenless CTL that `utils ctl set-cluster mixed-mode` and `utils ctl update CTLFile`
 * write (formats.md §1.5; phone-behaviour.md CONT-4, CTL-2): SAST records — ITLRecovery and the
 * publisher's CallManager, the signer first (publisher CallManager up to 11.5, ITLRecovery from
 * 12.0) — a CCM+TFTP record per node running CallManager or TFTP (one record for a shared
 * multi-server certificate: the publisher's copy), and the publisher's CAPF. The CTL never
 * holds TVS certificates.
 *
 * In non-secure mode the CTL stays behind with its CCM+TFTP records reduced to placeholders
 * holding only a DNS name (the IP as text) and the address (TAC 118892, `show ctl` after
 * moving a cluster to non-secure mode).
 */
export type CtlSigner = 'normal' | 'reset-localkey';

export function ctlSigner(state: ClusterState, which: CtlSigner): IdentityCert {
  const pub = publisherOf(state);
  const normal = profileOf(state.release).ctlSigner;
  const purpose = which === 'normal' ? normal : normal === 'ITLRecovery' ? 'CallManager' : 'ITLRecovery';
  return identityOf(state, purpose, pub.hostname)!;
}

export function ctlRecords(state: ClusterState, signer: IdentityCert, placeholders: boolean): RecordSpec[] {
  const pub = publisherOf(state);
  const host = (n: NodeSpec): { dnsName: string; ipAddress: string } => ({ dnsName: n.hostname, ipAddress: n.ipv4 });
  const cm = identityOf(state, 'CallManager', pub.hostname)!;
  const recovery = identityOf(state, 'ITLRecovery', pub.hostname)!;
  const sast = signer.certPem === recovery.certPem ? [recovery, cm] : [cm, recovery];
  const out: RecordSpec[] = sast.map((i) => ({ role: Role.SAST, certificate: certOf(i.certPem), ...host(pub) }));
  // Signers imported into Phone-SAST-trust (bulk certificate management) appear as SAST, so
  // phones accept a CTL signed by another cluster (MIG-3: "show ctl must then list the
  // destination's ITLRecovery and CallManager with role SAST"). They carry no host.
  for (const t of state.trust) {
    if (t.store === 'Phone-SAST-trust' && t.node === pub.hostname) out.push({ role: Role.SAST, certificate: certOf(t.certPem), dnsName: '' });
  }
  const seen = new Set<string>();
  for (const n of state.nodes) {
    if (!n.services.includes('CallManager') && !n.services.includes('TFTP')) continue;
    const id = identityOf(state, 'CallManager', n.hostname);
    if (!id || seen.has(id.certPem)) continue;
    seen.add(id.certPem);
    out.push(placeholders ? { role: Role.CCM_TFTP, dnsName: n.ipv4, ipAddress: n.ipv4 } : { role: Role.CCM_TFTP, certificate: certOf(id.certPem), ...host(n) });
  }
  const capf = identityOf(state, 'CAPF', pub.hostname);
  if (capf) out.push({ role: Role.CAPF, certificate: certOf(capf.certPem), ...host(pub) });
  return out;
}

export function buildCtl(state: ClusterState, which: CtlSigner, timestamp: number, placeholders = state.securityMode !== 'mixed'): BuiltFile {
  const signer = ctlSigner(state, which);
  const records = ctlRecords(state, signer, placeholders);
  const bytes = buildTrustList({
    signer: { certificate: certOf(signer.certPem), privateKey: keyOf(signer.keyPem) },
    records,
    timestamp,
    filename: 'CTLFile.tlv',
  });
  return { bytes, signer: certOf(signer.certPem).subjectCucm, records: records.length };
}
