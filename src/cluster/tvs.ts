import { createHash } from 'node:crypto';
import { decodeTrustList } from '../trustlist/index.js';
import { certOf } from './certs.js';
import { sameName } from '../pki/index.js';
import type { ClusterState, Purpose } from './model.js';
import { IDENTITY_TVS_ROLES } from './purposes.js';
import { STORE_RULES } from './stores.js';

/**
 * What a node's TVS vouches for (phone-behaviour.md TVS-6): given a certificate, the roles this
 * cluster's TVS returns, or none.
 *
 * - the cluster's own identity certificates: CallManager (and -ECDSA) {SAST, CCM+TFTP}, tomcat
 *   and ipsec {APP-SERVER}, CAPF {CAPF}, TVS {TVS}, ITLRecovery {SAST} (docs/decisions/011-tvs-roles.md);
 * - certificates in this node's trust stores that TVS serves: Phone-SAST-trust {SAST, TFTP},
 *   tomcat-trust and Phone-CTL-trust {APP-SERVER}, Phone-VPN-trust {VPN}; CallManager-trust,
 *   CAPF-trust and the rest give nothing — which is why migrations import into both
 *   CallManager-trust and Phone-SAST-trust;
 * - the certificates of the installed CTL ("CTL cache"), with their CTL roles, in mixed mode.
 *
 * TVS loads trust when it starts: a certificate that arrived after the node's TVS service last
 * (re)started is not vouched for until TVS is restarted (MIG-3: "restart TVS on every node").
 * Certificates are matched by SHA-256 fingerprint, as tvsd does (formats.md §4.2).
 */
export interface TvsVerdict {
  status: 'valid' | 'invalid';
  roles: number[];
  ttlSeconds: number;
  /** Where the certificate was found (for logs and reports). */
  sources: string[];
}

export const TVS_TTL_SECONDS = 86400;

export function sha256Of(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

export function tvsVerdict(state: ClusterState, node: string, certDer: Uint8Array): TvsVerdict {
  const fp = sha256Of(certDer);
  const roles = new Set<number>();
  const sources: string[] = [];
  const tvs = state.services.find((s) => s.node === node && s.service === 'TVS');
  if (!tvs) return { status: 'invalid', roles: [], ttlSeconds: 0, sources: ['TVS not running on this node'] };
  for (const id of state.identities) {
    if (certOf(id.certPem).sha256 !== fp) continue;
    for (const r of IDENTITY_TVS_ROLES[id.purpose as Purpose]) roles.add(r);
    sources.push(`identity ${id.purpose}`);
  }
  for (const t of state.trust) {
    if (t.node !== node || t.rev > tvs.startedRev) continue;
    const storeRoles = STORE_RULES[t.store].tvsRoles;
    if (storeRoles.length === 0 || certOf(t.certPem).sha256 !== fp) continue;
    for (const r of storeRoles) roles.add(r);
    sources.push(`${t.store}/${t.name}`);
  }
  if (state.securityMode === 'mixed' && state.tftp.ctl) {
    for (const r of decodeTrustList(Buffer.from(state.tftp.ctl, 'base64')).records) {
      if (r.certificate && sha256Of(r.certificate) === fp) {
        roles.add(r.role);
        sources.push('CTL');
      }
    }
  }
  const list = [...roles].sort((a, b) => a - b);
  return { status: list.length ? 'valid' : 'invalid', roles: list, ttlSeconds: list.length ? TVS_TTL_SECONDS : 0, sources };
}

/**
 * A Cisco-style query by subject (phone-behaviour.md TVS-4: the phone sends the subject DN of a
 * signer it has no certificate for, e.g. a config signer; TVS answers with the certificate(s)).
 * Every certificate this TVS would vouch for whose subject matches is returned with the union of
 * their roles.
 */
export function tvsLookupSubject(state: ClusterState, node: string, subject: string): TvsVerdict & { certificates: Uint8Array[] } {
  const tvs = state.services.find((s) => s.node === node && s.service === 'TVS');
  const pems = new Set<string>();
  for (const id of state.identities) pems.add(id.certPem);
  for (const t of state.trust) if (t.node === node && (!tvs || t.rev <= tvs.startedRev) && STORE_RULES[t.store].tvsRoles.length) pems.add(t.certPem);
  const certificates: Uint8Array[] = [];
  const roles = new Set<number>();
  const sources: string[] = [];
  for (const pem of pems) {
    const c = certOf(pem);
    if (!sameName(c.subjectCucm, subject)) continue;
    const v = tvsVerdict(state, node, c.der);
    if (v.status !== 'valid') continue;
    certificates.push(c.der);
    for (const r of v.roles) roles.add(r);
    sources.push(...v.sources);
  }
  const list = [...roles].sort((a, b) => a - b);
  return { status: list.length ? 'valid' : 'invalid', roles: list, ttlSeconds: list.length ? TVS_TTL_SECONDS : 0, sources, certificates };
}
