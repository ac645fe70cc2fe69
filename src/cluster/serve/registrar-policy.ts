import { cipherPolicy, type CipherPolicyName, type RegistrarPolicy } from '../../sip/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { current, type ClusterSource } from './source.js';
import type { Cluster } from '../cluster.js';
import { parseCertificate } from '../../pki/index.js';
import { checkCrl, checkOcsp } from '../../revocation/index.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { certOf } from '../certs.js';
import { revocationActiveOn, revocationOf } from '../ops/revocation.js';
import { X509Certificate } from 'node:crypto';
import { isIssuedBy, toPem } from '../../pki/index.js';
import type { RevocationVerdict } from '../../sip/index.js';

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
export function clusterRegistrarPolicy(source: ClusterSource, node: string, clock: Clock = systemClock): RegistrarPolicy {
  let cipherCache: { label: string; name: CipherPolicyName } | undefined;
  const revocation = revocationCheck(source, node, clock);
  return {
    checkRevocation: revocation,
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

/**
 * Certificate Revocation at registration (issue 16 §2; ucm-certificates.txt): once the node's
 * CallManager has restarted with Enable OCSP (or Enable CRL) on, each new TLS connection's client
 * certificate is checked — OCSP at the certificate's AIA URI or the configured one, responders
 * trusted by DTM then TRP (tomcat-trust), else the configured CRL. Revoked fails the connection;
 * Unknown fails it only in Common Criteria mode. A responder that does not answer counts as
 * Unknown (decision 027; not documented by Cisco). A certificate with no OCSP URI and none
 * configured is not checked. Answers are cached per serial for five minutes (or until nextUpdate,
 * if sooner), so a fleet's registrations do not each cost an OCSP round trip.
 */
const CACHE_MS = 5 * 60_000;

function revocationCheck(source: ClusterSource, node: string, clock: Clock): (chain: readonly X509Certificate[]) => Promise<RevocationVerdict> | undefined {
  const cache = new Map<string, { until: number; verdict: 'good' | 'revoked' | 'unknown'; detail: string }>();
  /** One certificate against its issuer: cached, or asked now; undefined when nobody can be asked. */
  const statusOf = async (c: Cluster, leaf: X509Certificate, issuer: X509Certificate, now: number): Promise<{ verdict: 'good' | 'revoked' | 'unknown'; detail: string } | undefined> => {
    const state = c.state;
    const settings = revocationOf(state);
    // A settings change (another URI, OCSP or CRL) starts afresh.
    const key = `${state.revocationRev ?? 0}|${leaf.serialNumber}|${leaf.issuer}`;
    let hit = cache.get(key);
    if (hit && hit.until > now) return hit;
    const certificate = parseCertificate(new Uint8Array(leaf.raw));
    const issuerInfo = parseCertificate(new Uint8Array(issuer.raw));
    const url = settings.ocspUriSource === 'configured' ? settings.ocspConfiguredUri : certificate.extensions.ocspUrls[0];
    if (settings.ocspEnabled && !url) return undefined;
    if (settings.ocspEnabled) {
      const r = await checkOcsp({ certificate, issuer: issuerInfo, url, trustedResponders: c.trustStore(node, 'tomcat-trust').map(certOf), now: new Date(now) });
      hit = r.status === 'error'
        ? { until: now + 30_000, verdict: 'unknown', detail: `OCSP ${r.code}: ${r.message}` }
        : { until: Math.min(now + CACHE_MS, r.nextUpdate?.getTime() ?? Infinity), verdict: r.status, detail: `OCSP (${r.model}) says ${r.status}` };
    } else {
      const r = await checkCrl({ certificate, issuer: issuerInfo, url: settings.crlUri!, now: new Date(now) });
      if (r.status === 'not-applicable') return undefined;
      hit = r.status === 'error'
        ? { until: now + 30_000, verdict: 'unknown', detail: `CRL ${r.code}: ${r.message}` }
        : { until: now + CACHE_MS, verdict: r.status, detail: `the CRL says ${r.status}` };
    }
    cache.set(key, hit);
    if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
    return hit;
  };
  return (chain) => {
    const c = current(source);
    return revocationActiveOn(c.state, node) ? check(c, chain) : undefined;
  };

  async function check(c: Cluster, chain: readonly X509Certificate[]): Promise<RevocationVerdict> {
    const now = clock.now();
    // Every certificate below the trust anchor: the LSC, and a CA-issued CAPF certificate that
    // signed it (the chapter's "CA issued CAPF signed phone LSCs").
    // The anchor too when a CA issued it (a CA-signed CAPF in CallManager-trust): its issuer is
    // looked up in the node's trust stores.
    const pairs: Array<[X509Certificate, X509Certificate]> = [];
    for (let i = 0; i + 1 < chain.length; i++) pairs.push([chain[i]!, chain[i + 1]!]);
    const anchor = chain.at(-1)!;
    if (anchor.subject !== anchor.issuer) {
      const issuer = c.state.trust.filter((t) => t.node === node).map((t) => certOf(t.certPem)).find((t) => isIssuedBy(certOf(toPem(new Uint8Array(anchor.raw))), t));
      if (issuer) pairs.push([anchor, new X509Certificate(issuer.der)]);
    }
    for (const [i, [cert, issuer]] of pairs.entries()) {
      const s = await statusOf(c, cert, issuer, now);
      if (!s) continue;
      const who = cert.subject.replace(/\n/g, ', ');
      if (s.verdict === 'revoked') return { ok: false, reason: 'certificate revoked', detail: `${i === 0 ? '' : 'its issuer '}${who}: ${s.detail}` };
      if (s.verdict === 'unknown' && c.state.commonCriteria) return { ok: false, reason: 'revocation status unknown', detail: `${who}: ${s.detail}; Common Criteria mode refuses Unknown` };
    }
    return { ok: true };
  }
}
