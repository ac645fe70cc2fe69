import { isIssuedBy, type CertificateInfo } from '../../pki/index.js';
import { checkCrl, checkOcsp } from '../../revocation/index.js';
import { certOf } from '../certs.js';
import type { ClusterState, RevocationCheck } from '../model.js';
import type { Cluster } from '../cluster.js';
import { revocationOf } from '../ops/revocation.js';

/**
 * Runs the cluster's revocation checks (ucm-certificates.txt: "Every time there's a certificate
 * uploaded and at scheduled timelines, system checks for its status"): for every identity and
 * trust certificate on every node that a CA issued, OCSP (URI from the certificate's AIA or the
 * configured one; responders trusted by DTM, then TRP from the node's tomcat-trust) when Enable
 * OCSP is on, else the CRL when Enable CRL is on. Self-signed certificates (roots, self-signed
 * identities) have nobody to ask and are skipped. The issuer must be in one of the node's trust
 * stores, as CUCM needs it to be for a CA-signed upload.
 */
export interface CheckTarget {
  node: string;
  where: string;
  certificate: CertificateInfo;
}

export function revocationTargets(state: ClusterState): CheckTarget[] {
  const out: CheckTarget[] = [];
  for (const id of state.identities) {
    const c = certOf(id.certPem);
    if (c.selfSigned) continue;
    for (const node of id.nodes) out.push({ node, where: `identity/${id.purpose}`, certificate: c });
  }
  for (const t of state.trust) {
    const c = certOf(t.certPem);
    if (!c.selfSigned) out.push({ node: t.node, where: `trust/${t.store}/${t.name}`, certificate: c });
  }
  return out;
}

export interface RunChecks {
  now: Date;
  trigger: RevocationCheck['trigger'];
  /** Only these targets (an upload checks what it brought). */
  only?: (t: CheckTarget) => boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function runRevocationChecks(state: ClusterState, o: RunChecks): Promise<RevocationCheck[]> {
  return (await Promise.all(checksOf(state, o))).filter((c): c is RevocationCheck => c !== undefined);
}

function checksOf(state: ClusterState, o: RunChecks): Array<Promise<RevocationCheck | undefined>> {
  const settings = revocationOf(state);
  if (!settings.ocspEnabled && !settings.crlEnabled) return [];
  // A certificate with no OCSP URI (and none configured) has nobody to ask: it is not checked,
  // as the Cisco and enterprise CA certificates in the trust stores usually are not.
  const askable = (t: CheckTarget): boolean => !settings.ocspEnabled || settings.ocspUriSource === 'configured' || t.certificate.extensions.ocspUrls.length > 0;
  const targets = revocationTargets(state).filter((t) => (o.only?.(t) ?? true) && askable(t));
  const trustOn = (node: string, store?: string): CertificateInfo[] => state.trust.filter((t) => t.node === node && (!store || t.store === store)).map((t) => certOf(t.certPem));
  const checkedAt = o.now.toISOString();
  return targets.map(async (t): Promise<RevocationCheck | undefined> => {
    const base = { node: t.node, where: t.where, subject: t.certificate.subjectCucm, serial: t.certificate.serialHex, checkedAt, trigger: o.trigger };
    const issuer = trustOn(t.node).find((c) => isIssuedBy(t.certificate, c));
    if (!issuer) return { ...base, status: 'error', code: 'REVOCATION_NO_ISSUER', message: `the issuer ${t.certificate.issuerCucm} is in no trust store of ${t.node}` };
    const common = { certificate: t.certificate, issuer, now: o.now, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), ...(o.signal ? { signal: o.signal } : {}) };
    if (settings.ocspEnabled) {
      const url = settings.ocspUriSource === 'configured' ? settings.ocspConfiguredUri : t.certificate.extensions.ocspUrls[0];
      const r = await checkOcsp({ ...common, url, trustedResponders: trustOn(t.node, 'tomcat-trust') });
      if (r.status === 'error') return { ...base, status: 'error', code: r.code, message: r.message };
      return { ...base, status: r.status, by: r.model === 'DTM' ? 'OCSP DTM' : 'OCSP TRP', ...(r.status === 'revoked' ? { message: `revoked ${r.revokedAt.toISOString()}${r.reason ? ` (${r.reason})` : ''}` } : {}) };
    }
    const r = await checkCrl({ ...common, url: settings.crlUri! });
    if (r.status === 'not-applicable') return undefined;
    if (r.status === 'error') return { ...base, status: 'error', code: r.code, message: r.message };
    return { ...base, status: r.status, by: 'CRL', ...(r.status === 'revoked' ? { message: `revoked ${r.revokedAt!.toISOString()}${r.reason ? ` (${r.reason})` : ''}` } : {}) };
  });
}

/** Runs checks on the cluster as it stands and records them; returns what was recorded. */
export async function checkAndRecord(cluster: Cluster, now: Date, trigger: RevocationCheck['trigger'], only?: (t: CheckTarget) => boolean): Promise<RevocationCheck[]> {
  const checks = await runRevocationChecks(cluster.state, { now, trigger, ...(only ? { only } : {}) });
  if (checks.length) await cluster.recordRevocationChecks(checks);
  return checks;
}
