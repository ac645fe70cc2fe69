import { createPublicKey } from 'node:crypto';
import { chainTo, toPem } from '../../pki/index.js';
import { EmulatorError } from '../../shared/errors.js';
import type { ClusterContext } from '../context.js';
import { certOf, keyOf } from '../certs.js';
import type { ClusterEvent } from '../events.js';
import type { ClusterState, Purpose } from '../model.js';
import { PURPOSE_RULES } from '../purposes.js';
import { profileOf } from '../release.js';
import { install, requireNode } from './generate.js';
import { checkUploadRules, readUploadedCertificates } from './inputs.js';

/**
 * Upload of the CA-signed certificate for a pending CSR (chapter "Third-Party CA-Signed
 * Certificates", "Install Intermediate Certificates"): its key must be the CSR's, and its
 * issuing chain must already be in the purpose's trust store ("install the root first, then the
 * signed certificate"). A multi-server certificate applies to the nodes its SAN names at upload
 * time. A CA that strips Data Encipherment is reported, since the chapter warns against it.
 */
export interface UploadIdentityArgs {
  purpose: Purpose;
  node: string;
  data: Uint8Array;
}

export function uploadIdentity(state: ClusterState, ctx: ClusterContext, a: UploadIdentityArgs): ClusterEvent[] {
  const node = requireNode(state, a.node);
  const csr = state.csrs.find((c) => c.purpose === a.purpose && c.node === node.hostname);
  if (!csr) throw new EmulatorError('CSR_NOT_FOUND', `no pending ${a.purpose} CSR on ${node.hostname}; generate one first (trustlab cert csr ${a.purpose} --node ${node.hostname})`);
  const now = new Date(ctx.clock.now());
  const certs = readUploadedCertificates(a.data);
  const publicKey = createPublicKey(keyOf(csr.keyPem));
  const leaf = certs.find((c) => c.publicKey.equals(publicKey));
  if (!leaf) {
    throw new EmulatorError('CSR_KEY_MISMATCH', `the uploaded certificate${certs.length > 1 ? 's do' : ' does'} not carry the key of the pending ${a.purpose} CSR on ${node.hostname}; upload the certificate the CA issued for that CSR`);
  }
  checkUploadRules(leaf, now);
  const rule = PURPOSE_RULES[a.purpose];
  const anchors = state.trust.filter((t) => t.store === rule.chainStore && t.node === node.hostname).map((t) => certOf(t.certPem));
  const chain = chainTo(leaf, anchors, [...certs.filter((c) => c !== leaf), ...anchors], now);
  if (!chain.ok) {
    throw new EmulatorError('CHAIN_NOT_TRUSTED', `the issuer of ${leaf.subjectCucm} (${leaf.issuerCucm}) is not in ${rule.chainStore} on ${node.hostname} (${chain.reason}); upload the CA root and any intermediates to ${rule.chainStore} first`);
  }
  const events: ClusterEvent[] = [];
  if (rule.keyUsage.includes('dataEncipherment') && !(leaf.extensions.keyUsage ?? []).includes('dataEncipherment')) {
    events.push({ type: 'warning', code: 'DATA_ENCIPHERMENT_DROPPED', message: `the CA removed Data Encipherment from ${a.purpose}; the chapter warns that this bit must not be changed or removed when signing` });
  }
  let holders = [node.hostname];
  if (csr.distribution === 'multi-server' || (a.purpose === 'ITLRecovery' && profileOf(state.release).itlRecoveryClusterWide)) {
    const fqdns = new Set(leaf.extensions.dnsNames.map((d) => d.toLowerCase()));
    holders = state.nodes.filter((n) => fqdns.has(`${n.hostname}.${n.domain}`.toLowerCase())).map((n) => n.hostname);
    if (!holders.includes(node.hostname)) holders.unshift(node.hostname);
  }
  state.csrs = state.csrs.filter((c) => c !== csr);
  events.push(...install(state, {
    purpose: a.purpose,
    nodes: holders,
    distribution: csr.distribution,
    certPem: toPem(leaf.der),
    keyPem: csr.keyPem,
    signedBy: 'ca',
    keySpec: csr.keySpec,
    hash: csr.hash,
    validityYears: Math.round((leaf.notAfter.getTime() - leaf.notBefore.getTime()) / (365.25 * 86400_000)),
    rev: state.rev,
  }, 'uploaded (CA-signed)'));
  return events;
}
