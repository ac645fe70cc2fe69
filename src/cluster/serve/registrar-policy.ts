import { cipherPolicy, type CipherPolicyName, type RegistrarPolicy } from '../../sip/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { current, type ClusterSource } from './source.js';
import { parseCertificate } from '../../pki/index.js';
import { checkCrl, checkOcsp } from '../../revocation/index.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { certOf } from '../certs.js';
import { revocationActiveOn, revocationOf } from '../ops/revocation.js';
import type { X509Certificate } from 'node:crypto';
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

function revocationCheck(source: ClusterSource, node: string, clock: Clock): (leaf: X509Certificate, issuer: X509Certificate) => Promise<RevocationVerdict> {
  const cache = new Map<string, { until: number; verdict: 'good' | 'revoked' | 'unknown'; detail: string }>();
  return async (leaf, issuer) => {
    const c = current(source);
    const state = c.state;
    if (!revocationActiveOn(state, node)) return { ok: true };
    const settings = revocationOf(state);
    const now = clock.now();
    // A settings change (another URI, OCSP or CRL) starts afresh.
    const key = `${state.revocationRev ?? 0}|${leaf.serialNumber}|${leaf.issuer}`;
    let hit = cache.get(key);
    if (!hit || hit.until <= now) {
      const certificate = parseCertificate(new Uint8Array(leaf.raw));
      const issuerInfo = parseCertificate(new Uint8Array(issuer.raw));
      const url = settings.ocspUriSource === 'configured' ? settings.ocspConfiguredUri : certificate.extensions.ocspUrls[0];
      if (settings.ocspEnabled && !url) return { ok: true };
      if (settings.ocspEnabled) {
        const r = await checkOcsp({ certificate, issuer: issuerInfo, url, trustedResponders: c.trustStore(node, 'tomcat-trust').map(certOf), now: new Date(now) });
        hit = r.status === 'error'
          ? { until: now + 30_000, verdict: 'unknown', detail: `OCSP ${r.code}: ${r.message}` }
          : { until: Math.min(now + CACHE_MS, r.nextUpdate?.getTime() ?? Infinity), verdict: r.status, detail: `OCSP (${r.model}) says ${r.status}` };
      } else {
        const r = await checkCrl({ certificate, issuer: issuerInfo, url: settings.crlUri!, now: new Date(now) });
        hit = r.status === 'error'
          ? { until: now + 30_000, verdict: 'unknown', detail: `CRL ${r.code}: ${r.message}` }
          : r.status === 'not-applicable'
            ? { until: now + CACHE_MS, verdict: 'good', detail: 'the configured CRL is another issuer\'s' }
            : { until: now + CACHE_MS, verdict: r.status, detail: `the CRL says ${r.status}` };
      }
      cache.set(key, hit);
      if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
    }
    if (hit.verdict === 'revoked') return { ok: false, reason: 'certificate revoked', detail: `${leaf.subject.replace(/\n/g, ', ')}: ${hit.detail}` };
    if (hit.verdict === 'unknown' && state.commonCriteria) return { ok: false, reason: 'revocation status unknown', detail: `${hit.detail}; Common Criteria mode refuses Unknown` };
    return { ok: true };
  };
}
