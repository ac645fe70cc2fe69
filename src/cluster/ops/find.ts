import type { ClusterState } from '../model.js';
import { certOf } from '../certs.js';

/**
 * "Find Certificate List where …" (chapter, "Show Certificates"): identity and trust
 * certificates with the fields the filter works on — common name, expiry, key type and usage.
 */
export interface CertRow {
  usage: 'identity' | 'trust';
  /** Purpose (identity) or store (trust). */
  type: string;
  nodes: string[];
  name: string;
  commonName: string;
  subject: string;
  issuer: string;
  serial: string;
  keyType: 'RSA' | 'EC' | 'other';
  keyBits: number;
  notBefore: string;
  notAfter: string;
  /** self-signed / CA-signed for identities; system / upload / bulk-import / identity for trust. */
  source: string;
  sha256: string;
}

export interface CertFilter {
  usage?: 'identity' | 'trust';
  cn?: string;
  type?: string;
  node?: string;
  keyType?: 'RSA' | 'EC';
  /** Expiring before this date. */
  expiresBefore?: Date;
}

export function listCertificates(state: ClusterState): CertRow[] {
  const rows: CertRow[] = [];
  const row = (usage: CertRow['usage'], type: string, nodes: string[], name: string, pem: string, source: string): CertRow => {
    const c = certOf(pem);
    return {
      usage, type, nodes, name,
      commonName: c.subject.find(([k]) => k === 'CN')?.[1] ?? '',
      subject: c.subjectCucm,
      issuer: c.issuerCucm,
      serial: c.serialHex,
      keyType: c.keyType === 'rsa' ? 'RSA' : c.keyType === 'ec' ? 'EC' : 'other',
      keyBits: c.keyBits,
      notBefore: c.notBefore.toISOString(),
      notAfter: c.notAfter.toISOString(),
      source,
      sha256: c.sha256,
    };
  };
  for (const i of state.identities) rows.push(row('identity', i.purpose, [...i.nodes], `${i.purpose}.pem`, i.certPem, i.reusedFrom ? `reused ${i.reusedFrom}` : i.signedBy === 'ca' ? 'CA-signed' : 'self-signed'));
  const grouped = new Map<string, { t: (typeof state.trust)[number]; nodes: string[] }>();
  for (const t of state.trust) {
    const key = `${t.store}\u0000${t.name}\u0000${t.certPem}`;
    const g = grouped.get(key);
    if (g) g.nodes.push(t.node);
    else grouped.set(key, { t, nodes: [t.node] });
  }
  for (const { t, nodes } of grouped.values()) rows.push(row('trust', t.store, nodes, `${t.name}.pem`, t.certPem, t.source));
  return rows;
}

export function findCertificates(state: ClusterState, f: CertFilter): CertRow[] {
  return listCertificates(state).filter((r) =>
    (!f.usage || r.usage === f.usage) &&
    (!f.cn || r.commonName.toLowerCase().includes(f.cn.toLowerCase())) &&
    (!f.type || r.type.toLowerCase() === f.type.toLowerCase()) &&
    (!f.node || r.nodes.includes(f.node)) &&
    (!f.keyType || r.keyType === f.keyType) &&
    (!f.expiresBefore || new Date(r.notAfter) < f.expiresBefore));
}
