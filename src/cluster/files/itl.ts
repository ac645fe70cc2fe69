import { buildTrustList, Role, type RecordSpec } from '../../trustlist/index.js';
import { certOf, keyOf } from '../certs.js';
import { identityOf, publisherOf } from '../identity.js';
import type { ClusterState, IdentityCert, NodeSpec } from '../model.js';
import { profileOf } from '../release.js';

/**
 * The ITL each TFTP node serves (formats.md §1.5; phone-behaviour.md CONT-1..CONT-5, ITL-8):
 *
 * - 12.0+: signed by ITLRecovery; records ITLRecovery (SAST), the node's CallManager (SAST and
 *   TFTP, or CCM+TFTP in mixed mode), its CallManager-ECDSA with the same TFTP role, the
 *   publisher's CAPF, and every TVS certificate in the cluster.
 * - ≤ 11.5: signed by the node's CallManager; the same records with CallManager first and the
 *   node's ITLRecovery as the second SAST.
 * - "Prepare Cluster for Rollback to pre-8.0": the TFTP and TVS sections are empty — the records
 *   are certificate-less placeholders, which phones show as blank entries (ITL-8).
 *
 * Records carry the short host name and IPv4 address of the node the certificate belongs to, as
 * CUCM's do (gigantic-6 CTL). A certificate shared by several nodes (multi-server SAN, reuse)
 * appears once per role. The header timestamp is the newest notBefore among the records, so a
 * rebuilt file is byte-identical until a certificate changes.
 */
export interface BuiltFile {
  bytes: Uint8Array;
  signer: string;
  records: number;
}

export function itlSignerFor(state: ClusterState, node: NodeSpec): IdentityCert {
  const purpose = profileOf(state.release).itlSigner;
  return identityOf(state, purpose, node.hostname) ?? identityOf(state, purpose, publisherOf(state).hostname)!;
}

export function itlRecords(state: ClusterState, node: NodeSpec): RecordSpec[] {
  const profile = profileOf(state.release);
  const pub = publisherOf(state);
  const host = (n: NodeSpec): { dnsName: string; ipAddress: string } => ({ dnsName: n.hostname, ipAddress: n.ipv4 });
  const nodeOf = (hostname: string): NodeSpec => state.nodes.find((n) => n.hostname === hostname) ?? pub;
  const cm = identityOf(state, 'CallManager', node.hostname)!;
  const cmEc = identityOf(state, 'CallManager-ECDSA', node.hostname);
  const recovery = identityOf(state, 'ITLRecovery', node.hostname) ?? identityOf(state, 'ITLRecovery', pub.hostname)!;
  const tftpRole = state.securityMode === 'mixed' ? Role.CCM_TFTP : Role.TFTP;
  const rollback = state.params.rollbackToPre80;
  const out: RecordSpec[] = [];
  const cmRecord: RecordSpec = { role: Role.SAST, certificate: certOf(cm.certPem), ...host(node) };
  const recoveryRecord: RecordSpec = { role: Role.SAST, certificate: certOf(recovery.certPem), ...host(nodeOf(recovery.nodes[0]!)) };
  if (profile.itlSigner === 'ITLRecovery') out.push(recoveryRecord, cmRecord);
  else out.push(cmRecord);
  if (rollback) {
    out.push({ role: tftpRole, ...host(node) });
  } else {
    out.push({ role: tftpRole, certificate: certOf(cm.certPem), ...host(node) });
    if (cmEc) out.push({ role: tftpRole, certificate: certOf(cmEc.certPem), ...host(node) });
  }
  if (profile.itlSigner === 'CallManager') out.push(recoveryRecord);
  const capf = identityOf(state, 'CAPF', pub.hostname);
  if (capf && pub.services.includes('CAPF')) out.push({ role: Role.CAPF, certificate: certOf(capf.certPem), ...host(pub) });
  const seen = new Set<string>();
  for (const n of state.nodes) {
    if (!n.services.includes('TVS')) continue;
    const tvs = identityOf(state, 'TVS', n.hostname);
    if (!tvs || seen.has(tvs.certPem)) continue;
    seen.add(tvs.certPem);
    out.push(rollback ? { role: Role.TVS, ...host(n) } : { role: Role.TVS, certificate: certOf(tvs.certPem), ...host(n) });
  }
  return out;
}

export function newestNotBefore(records: readonly RecordSpec[]): number {
  let t = 0;
  for (const r of records) if (r.certificate) t = Math.max(t, Math.floor(r.certificate.notBefore.getTime() / 1000));
  return t;
}

/** Builds the normal ITL of a TFTP node (signed by the release's signer). */
export function buildItl(state: ClusterState, node: NodeSpec, signer: IdentityCert = itlSignerFor(state, node)): BuiltFile {
  const records = itlRecords(state, node);
  const bytes = buildTrustList({
    signer: { certificate: certOf(signer.certPem), privateKey: keyOf(signer.keyPem) },
    records,
    timestamp: newestNotBefore(records),
    filename: 'ITLFile.tlv',
  });
  return { bytes, signer: certOf(signer.certPem).subjectCucm, records: records.length };
}
