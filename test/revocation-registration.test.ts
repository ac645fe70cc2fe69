import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLsc } from '../src/capf/lsc.js';
import type { Cluster, Lab } from '../src/cluster/index.js';
import { crlUrlOf, enterpriseOf, labRevocationSource, noteIssued, noteRevoked, ocspUrlOf, readLabCa, updateLabCa } from '../src/cluster/lab-ca.js';
import { certOf } from '../src/cluster/certs.js';
import { ClusterServers, type ClusterServiceEvent } from '../src/cluster/serve/index.js';
import { issueCertificate, toPem, type CertificateAuthority } from '../src/pki/index.js';
import { RevocationServer } from '../src/revocation/index.js';
import { systemClock, type ManualClock } from '../src/shared/clock.js';
import { sipRegister } from '../src/sip/index.js';
import { testLab } from './helpers/lab.js';
import { testKey } from './helpers/pki.js';

/**
 * Issue 16 §2, enforcement: the SIP registrar of a 14SU3 cluster checks the client certificate
 * of each new TLS connection once its CallManager has restarted with Enable OCSP on. An LSC the
 * (online) enterprise CA issued registers while it is good and is refused once the CA revokes it;
 * a certificate the responder does not know registers, except in Common Criteria mode; a
 * responder that is down is treated as Unknown. Real REGISTERs over TLS, a real OCSP responder.
 */
describe('revocation at registration', () => {
  let cluster: Cluster;
  let clock: ManualClock;
  let servers: ClusterServers;
  let ca: RevocationServer;
  let dir: string;
  const log: ClusterServiceEvent[] = [];
  let host: string;
  let callManager: Uint8Array;
  let known: { certPem: string; keyPem: string; chainPem: string };
  let unknown: { certPem: string; keyPem: string; chainPem: string };
  const DEVICE = 'SEP00AA11BB22CC';

  beforeAll(async () => {
    const t = await testLab({ start: new Date() });
    lab = t.lab;
    clock = t.clock;
    dir = t.dir;
    ca = new RevocationServer({ source: labRevocationSource(t.lab, 0), clock });
    const { port } = await ca.listen({ host: '127.0.0.1', port: 0 });
    await updateLabCa(dir, 'test', (j) => {
      j.url = `http://127.0.0.1:${port}`;
    });
    const a = randomInt(2, 250);
    const b = randomInt(1, 250);
    host = `127.${a}.${b}.10`;
    cluster = await t.lab.createCluster({ name: 'A', release: '14', su: 3, nodes: [{ hostname: 'pub', ipv4: host }] });
    const e = enterpriseOf(t.lab);
    issuing = e.issuing;
    await cluster.uploadTrust({ store: 'CallManager-trust', node: 'pub', data: new TextEncoder().encode(toPem(e.root.certificate.der) + toPem(e.issuing.certificate.der)) });
    await cluster.upsertDevices([{ mac: '00AA11BB22CC', model: '8861', profile: 'authenticated' }]);
    const j = await readLabCa(dir);
    const make = async (label: string, record: boolean) => {
      const keys = await testKey(`revocation-registration-${label}`);
      const cert = await issueLsc(DEVICE, keys.publicKey, { certificate: e.issuing.certificate, privateKey: e.issuing.keys.privateKey }, { clock, ocspUrls: [ocspUrlOf(j)], crlUrls: [crlUrlOf(j, e.issuing)] });
      if (record) await updateLabCa(dir, 'test', (x) => noteIssued(x, e.issuing, cert, new Date(clock.now())));
      return { certPem: toPem(cert.der), keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, chainPem: toPem(e.issuing.certificate.der) };
    };
    known = await make('known', true);
    unknown = await make('unknown', false);
    servers = new ClusterServers(cluster, { clock, netClock: systemClock, ports: { tftp: 0, http: 0, tvs: 0, capf: 0, sip: 0, https: 0, sipTls: 0 }, nodes: ['pub'] });
    servers.events.onAny((ev) => log.push(ev));
    const eps = await servers.listen();
    sipTlsPort = eps[0]!.sipTls!.port;
    callManager = certOf(cluster.state.identities.find((i) => i.purpose === 'CallManager')!.certPem).der;
  }, 120_000);

  let sipTlsPort = 0;
  let issuing: CertificateAuthority;
  let lab: Lab;

  afterAll(async () => {
    await servers?.close();
    await ca?.close();
  });

  const register = (credential: typeof known) => sipRegister({ host, port: sipTlsPort, transport: 'tls', mode: 'authenticated', deviceName: DEVICE, productName: 'CP-8861', credential, trustedServers: [callManager], clock: systemClock, timeoutMs: 10_000 });
  const refusals = () => log.filter((e) => e.type === 'sip.refused').map((e) => (e as { reason: string }).reason);

  it('registers before OCSP is enabled, and after until CallManager restarts', async () => {
    expect((await register(known)).ok).toBe(true);
    await cluster.setRevocation({ ocspEnabled: true });
    // Even in Common Criteria mode an Unknown registers: the settings are not active until the restart.
    await cluster.setCommonCriteria(true);
    expect((await register(unknown)).ok).toBe(true);
    await cluster.setCommonCriteria(false);
  });

  it('after the restart: a good LSC registers, and once revoked it is refused on the next connection', async () => {
    await cluster.restartService('CallManager');
    expect((await register(known)).ok).toBe(true);
    await updateLabCa(dir, 'test', (j) => noteRevoked(j, issuing, certOf(known.certPem).serialHex, new Date(clock.now()), 'keyCompromise'));
    // Answers are cached for five minutes of the cluster's clock.
    clock.advance(6 * 60_000);
    const r = await register(known);
    expect(r.ok).toBe(false);
    expect(refusals()).toContain('certificate revoked');
  });

  it('Unknown registers without Common Criteria and is refused with it; so is a responder that is down', async () => {
    expect((await register(unknown)).ok).toBe(true);
    await cluster.setCommonCriteria(true);
    clock.advance(6 * 60_000);
    expect((await register(unknown)).ok).toBe(false);
    expect(refusals()).toContain('revocation status unknown');
    await ca.close();
    clock.advance(6 * 60_000);
    const before = refusals().length;
    expect((await register(unknown)).ok).toBe(false);
    expect(refusals().length).toBe(before + 1);
    await cluster.setCommonCriteria(false);
    clock.advance(6 * 60_000);
    expect((await register(unknown)).ok).toBe(true);
  });

  it('an LSC signed by a CA-issued CAPF is refused once the CA revokes the CAPF certificate', async () => {
    // CAPF's certificate, issued by the enterprise CA (CSR flow), sits in CallManager-trust as the anchor of its LSCs.
    const j = await readLabCa(dir);
    const capfKeys = await testKey('revocation-registration-capf');
    const capfCert = await issueCertificate({
      subject: [['O', 'trustlab'], ['CN', 'CAPF-lab']], keys: capfKeys, issuer: { certificate: issuing.certificate, keys: issuing.keys },
      notBefore: new Date(clock.now() - 3600_000), notAfter: new Date(clock.now() + 365 * 86_400_000), ca: { pathLength: 0 }, keyUsage: ['keyCertSign', 'digitalSignature'],
      ocspUrls: [ocspUrlOf(j)], crlUrls: [crlUrlOf(j, issuing)],
    });
    await updateLabCa(dir, 'test', (x) => noteIssued(x, issuing, capfCert, new Date(clock.now())));
    await cluster.uploadTrust({ store: 'CallManager-trust', node: 'pub', data: new TextEncoder().encode(toPem(capfCert.der)) });
    const leafKeys = await testKey('revocation-registration-capf-lsc');
    const lsc = await issueLsc(DEVICE, leafKeys.publicKey, { certificate: capfCert, privateKey: capfKeys.privateKey }, { clock });
    const credential = { certPem: toPem(lsc.der), keyPem: leafKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, chainPem: '' };
    ca = new RevocationServer({ source: labRevocationSource(lab, 0), clock });
    await ca.listen({ host: '127.0.0.1', port: Number(new URL(j.url).port) });
    await cluster.setRevocation({ ocspEnabled: true, ocspUriSource: 'certificate' });
    await cluster.restartService('CallManager');
    expect((await register(credential)).ok).toBe(true);
    await updateLabCa(dir, 'test', (x) => noteRevoked(x, issuing, capfCert.serialHex, new Date(clock.now()), 'cACompromise'));
    clock.advance(6 * 60_000);
    expect((await register(credential)).ok).toBe(false);
    const last = log.filter((e) => e.type === 'sip.refused').at(-1) as { reason: string; detail?: string };
    expect(last.reason).toBe('certificate revoked');
    expect(last.detail).toContain('its issuer');
  });
});
