import { execFileSync } from 'node:child_process';
import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodes, testLab } from '../helpers/lab.js';
import { certOf, defaultDomain, identityOf, type Cluster, type Lab } from '../../src/cluster/index.js';
import { parseCsr, signCertificate, signCsr, toPem, EKU, type CertificateInfo } from '../../src/pki/index.js';
import type { ManualClock } from '../../src/shared/clock.js';

/**
 * The certificate chapter's rules, one table row per rule, each asserting the error code a
 * refusal gives or the effect an accepted operation has. Refusals must leave the cluster
 * (state and cluster.json) exactly as they were.
 */
let lab: Lab;
let clock: ManualClock;
let dir: string;
let c125: Cluster;
let c14: Cluster;

beforeAll(async () => {
  ({ lab, clock, dir } = await testLab());
  c125 = await lab.createCluster({ name: 'c125', release: '12.5', nodes: nodes('pub', 'sub1') });
  c14 = await lab.createCluster({ name: 'c14', release: '14', nodes: nodes('cm14pub', 'cm14sub') });
}, 120_000);

const YEAR = 365.25 * 86400_000;

async function expectRefused(cluster: Cluster, code: string, run: () => Promise<unknown>): Promise<void> {
  const before = JSON.stringify(cluster.state);
  const file = join(dir, 'clusters', cluster.name, 'cluster.json');
  const onDisk = readFileSync(file);
  await expect(run()).rejects.toMatchObject({ code });
  expect(JSON.stringify(cluster.state)).toBe(before);
  expect(readFileSync(file).equals(onDisk)).toBe(true);
}

/** A certificate for trust-store uploads, issued by the lab's enterprise CA (or self-signed). */
async function caCert(o: { cn: string; dns?: string[]; notBefore?: Date; years?: number; bits?: number; selfSigned?: boolean }): Promise<CertificateInfo> {
  const issuing = lab.cas.enterprise!.issuing;
  const now = new Date(clock.now());
  let publicKey;
  let signer: { privateKey: import('node:crypto').KeyObject; certificate?: CertificateInfo };
  if (o.bits && o.bits > 4096) {
    const n = randomBytes(o.bits / 8);
    n[0]! |= 0x80;
    n[n.length - 1]! |= 1;
    publicKey = createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: 'AQAB' }, format: 'jwk' });
    signer = { privateKey: issuing.keys.privateKey, certificate: issuing.certificate };
  } else {
    const keys = await lab.pool.take({ type: 'rsa', bits: 2048 });
    publicKey = keys.publicKey;
    signer = o.selfSigned ? { privateKey: keys.privateKey } : { privateKey: issuing.keys.privateKey, certificate: issuing.certificate };
  }
  const notBefore = o.notBefore ?? new Date(now.getTime() - 86400_000);
  return signCertificate({
    subject: [['C', 'US'], ['O', 'Partner'], ['CN', o.cn]],
    publicKey,
    signer,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (o.years ?? 2) * YEAR),
    ...(o.dns ? { dnsNames: o.dns } : {}),
  });
}

const pem = (c: CertificateInfo): Uint8Array => new Uint8Array(Buffer.from(toPem(c.der)));

describe('Table 6: self-signed certificate parameters', () => {
  it.each([
    ['tomcat takes RSA', 'tomcat', { keyLength: 3072 }, 'ok'],
    ['CallManager-ECDSA takes EC 384 with SHA-384', 'CallManager-ECDSA', { keyLength: 384, hash: 'SHA-384' as const }, 'ok'],
    ['EC with 4096 is impossible', 'CallManager-ECDSA', { keyLength: 4096 }, 'CERT_PARAMS_INVALID'],
    ['RSA 8192 is not offered', 'CallManager', { keyLength: 8192 }, 'CERT_PARAMS_INVALID'],
    ['SHA-256 on EC 384 is weaker than the key', 'CallManager-ECDSA', { keyLength: 384, hash: 'SHA-256' as const }, 'CERT_PARAMS_INVALID'],
    ['EC 256 allows SHA-512', 'tomcat-ECDSA', { keyLength: 256, hash: 'SHA-512' as const }, 'ok'],
    ['validity 7 years is not offered', 'TVS', { validityYears: 7 }, 'CERT_PARAMS_INVALID'],
    ['validity 20 years is', 'TVS', { validityYears: 20 }, 'ok'],
  ] as const)('%s', async (_name, purpose, params, outcome) => {
    const run = (): Promise<unknown> => c125.generate({ purpose, node: 'sub1', ...params });
    if (outcome === 'ok') {
      await run();
      const id = identityOf(c125.state, purpose, 'sub1')!;
      const cert = certOf(id.certPem);
      expect(cert.keyType).toBe(purpose.endsWith('ECDSA') ? 'ec' : 'rsa');
      if ('keyLength' in params) expect(cert.keyBits).toBe(params.keyLength);
      if ('hash' in params) expect(cert.signatureHash).toBe(params.hash);
      if ('validityYears' in params) expect(Math.round((cert.notAfter.getTime() - cert.notBefore.getTime()) / YEAR)).toBe(params.validityYears);
    } else {
      await expectRefused(c125, outcome, run);
    }
  });

  it('defaults to five years, and FIPS mode forces SHA-256', async () => {
    await c125.generate({ purpose: 'ipsec', node: 'sub1' });
    const cert = certOf(identityOf(c125.state, 'ipsec', 'sub1')!.certPem);
    expect(Math.round((cert.notAfter.getTime() - cert.notBefore.getTime()) / YEAR)).toBe(5);
    await c125.setParam('fipsMode', true);
    await expectRefused(c125, 'CERT_PARAMS_INVALID', () => c125.generate({ purpose: 'tomcat', node: 'sub1', hash: 'SHA-384' }));
    await c125.generate({ purpose: 'tomcat', node: 'sub1' });
    expect(certOf(identityOf(c125.state, 'tomcat', 'sub1')!.certPem).signatureHash).toBe('SHA-256');
    await c125.setParam('fipsMode', false);
  });

  it('each cluster gets its own default domain, so two clusters\' certificates differ; a given domain is kept', async () => {
    expect(c125.state.nodes.map((n) => n.domain)).toEqual(['c125.lab.example', 'c125.lab.example']);
    expect(certOf(identityOf(c125.state, 'CallManager', 'pub')!.certPem).subject).toContainEqual(['CN', 'pub.c125.lab.example']);
    expect(certOf(identityOf(c14.state, 'CallManager', 'cm14pub')!.certPem).subject).toContainEqual(['CN', 'cm14pub.c14.lab.example']);
    expect(defaultDomain('Lab_B')).toBe('lab-b.lab.example');
    const own = await lab.createCluster({ name: 'own', release: '12.5', nodes: nodes('p1'), domain: 'voice.corp.example' });
    expect(certOf(identityOf(own.state, 'CallManager', 'p1')!.certPem).subject).toContainEqual(['CN', 'p1.voice.corp.example']);
  });

  it('multi-server SAN: self-signed from 14 with CN <host>-ms.<domain>; refused on 12.5', async () => {
    await c14.generate({ purpose: 'tomcat', node: 'cm14pub', distribution: 'multi-server' });
    const id = identityOf(c14.state, 'tomcat', 'cm14sub')!;
    expect(id.nodes).toEqual(['cm14pub', 'cm14sub']);
    const cert = certOf(id.certPem);
    expect(cert.subject).toContainEqual(['CN', 'cm14pub-ms.c14.lab.example']);
    expect(cert.extensions.dnsNames).toEqual(['cm14pub.c14.lab.example', 'cm14sub.c14.lab.example']);
    await c14.generate({ purpose: 'tomcat-ECDSA', node: 'cm14pub', distribution: 'multi-server' });
    expect(certOf(identityOf(c14.state, 'tomcat-ECDSA', 'cm14pub')!.certPem).subject).toContainEqual(['CN', 'cm14pub-EC-ms.c14.lab.example']);
    await expectRefused(c125, 'MULTI_SERVER_NOT_SUPPORTED', () => c125.generate({ purpose: 'tomcat', node: 'pub', distribution: 'multi-server' }));
    await expectRefused(c14, 'MULTI_SERVER_NOT_SUPPORTED', () => c14.generate({ purpose: 'ipsec', node: 'cm14pub', distribution: 'multi-server' }));
  });

  it('CAPF is made on the publisher only, as a CA (pathlen 0)', async () => {
    await expectRefused(c125, 'PUBLISHER_ONLY', () => c125.generate({ purpose: 'CAPF', node: 'sub1' }));
    const capf = certOf(identityOf(c125.state, 'CAPF', 'pub')!.certPem);
    expect(capf.extensions.basicConstraints).toEqual({ ca: true, pathLength: 0 });
    expect(capf.extensions.keyUsage).toContain('keyCertSign');
  });
});

describe('Tables 3/4: CSR key usage per purpose (docs/decisions/010-csr-key-usage.md)', () => {
  const table = [
    ['CallManager', ['dataEncipherment', 'digitalSignature', 'keyEncipherment'], [EKU.serverAuth, EKU.clientAuth]],
    ['CallManager-ECDSA', ['dataEncipherment', 'digitalSignature', 'keyAgreement'], [EKU.serverAuth, EKU.clientAuth]],
    ['tomcat', ['dataEncipherment', 'digitalSignature', 'keyEncipherment'], [EKU.serverAuth, EKU.clientAuth]],
    ['tomcat-ECDSA', ['dataEncipherment', 'digitalSignature', 'keyAgreement'], [EKU.serverAuth, EKU.clientAuth]],
    ['ipsec', ['dataEncipherment', 'digitalSignature', 'keyEncipherment'], [EKU.serverAuth, EKU.clientAuth, EKU.ipsecEndSystem]],
    ['TVS', ['dataEncipherment', 'digitalSignature', 'keyEncipherment'], [EKU.serverAuth, EKU.clientAuth]],
    ['CAPF', ['digitalSignature', 'keyCertSign'], [EKU.serverAuth]],
  ] as const;
  it.each(table)('%s', async (purpose, ku, eku) => {
    await c125.csr({ purpose, node: 'pub' });
    const pending = c125.state.csrs.find((x) => x.purpose === purpose && x.node === 'pub')!;
    const csr = parseCsr(pending.csrPem);
    expect([...csr.extensions.keyUsage!].sort()).toEqual([...ku].sort());
    expect(csr.extensions.extendedKeyUsage).toEqual([...eku]);
    expect(csr.subject.some(([k]) => k === 'OU')).toBe(false);
    expect(csr.extensions.basicConstraints?.ca ?? false).toBe(purpose === 'CAPF');
  });

  it('includes the OU only when asked, and a new CSR overwrites the old', async () => {
    await c125.csr({ purpose: 'TVS', node: 'sub1' });
    const first = c125.state.csrs.find((x) => x.purpose === 'TVS' && x.node === 'sub1')!.csrPem;
    await c125.csr({ purpose: 'TVS', node: 'sub1', includeOu: true });
    const pending = c125.state.csrs.filter((x) => x.purpose === 'TVS' && x.node === 'sub1');
    expect(pending).toHaveLength(1);
    expect(pending[0]!.csrPem).not.toBe(first);
    expect(parseCsr(pending[0]!.csrPem).subject).toContainEqual(['OU', 'VTG']);
  });

  it('refuses a CSR for ITLRecovery (self-signed only)', async () => {
    await expectRefused(c125, 'CERT_PARAMS_INVALID', () => c125.csr({ purpose: 'ITLRecovery', node: 'pub' }));
  });
});

describe('CA-signed upload: key must match, chain must already be trusted', () => {
  it('refuses before the root is in CallManager-trust, accepts after, and reports the effects', async () => {
    await c125.csr({ purpose: 'CallManager', node: 'sub1' });
    const pending = c125.state.csrs.find((x) => x.purpose === 'CallManager' && x.node === 'sub1')!;
    const { root, issuing } = lab.cas.enterprise!;
    const signed = await signCsr(issuing, parseCsr(pending.csrPem), { now: new Date(clock.now()) });
    const bundle = new Uint8Array(Buffer.from(toPem(signed.der) + toPem(issuing.certificate.der)));
    await expectRefused(c125, 'CHAIN_NOT_TRUSTED', () => c125.uploadIdentity({ purpose: 'CallManager', node: 'sub1', data: bundle }));
    const other = await caCert({ cn: 'not-the-csr-key' });
    await expectRefused(c125, 'CSR_KEY_MISMATCH', () => c125.uploadIdentity({ purpose: 'CallManager', node: 'sub1', data: pem(other) }));
    await c125.uploadTrust({ store: 'CallManager-trust', node: 'pub', data: pem(root.certificate) });
    const r = await c125.uploadIdentity({ purpose: 'CallManager', node: 'sub1', data: bundle });
    const id = identityOf(c125.state, 'CallManager', 'sub1')!;
    expect(id.signedBy).toBe('ca');
    expect(certOf(id.certPem).sha256).toBe(signed.sha256);
    expect(c125.state.csrs.some((x) => x.purpose === 'CallManager' && x.node === 'sub1')).toBe(false);
    expect(r.events.map((e) => e.type)).toEqual(expect.arrayContaining(['cert.generated', 'file.rebuilt', 'service.restart-required', 'phones.reset-required']));
    expect(r.events.find((e) => e.type === 'service.restart-required' && e.service === 'CallManager')).toBeDefined();
    await expectRefused(c125, 'CSR_NOT_FOUND', () => c125.uploadIdentity({ purpose: 'CallManager', node: 'sub1', data: bundle }));
  });

  it('warns when the CA stripped Data Encipherment', async () => {
    await c125.csr({ purpose: 'tomcat', node: 'pub' });
    const pending = c125.state.csrs.find((x) => x.purpose === 'tomcat' && x.node === 'pub')!;
    const { root, issuing } = lab.cas.enterprise!;
    await c125.uploadTrust({ store: 'tomcat-trust', node: 'pub', data: pem(root.certificate) });
    await c125.uploadTrust({ store: 'tomcat-trust', node: 'pub', data: pem(issuing.certificate) });
    const signed = await signCsr(issuing, parseCsr(pending.csrPem), { now: new Date(clock.now()), dropKeyUsage: ['dataEncipherment'] });
    const r = await c125.uploadIdentity({ purpose: 'tomcat', node: 'pub', data: pem(signed) });
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'warning', code: 'DATA_ENCIPHERMENT_DROPPED' }));
  });
});

describe('TS-1/TS-2/TS-4: trust-store uploads', () => {
  it('accepts PEM and DER, and replicates CallManager-trust to every node but keeps CAPF-trust on its node', async () => {
    const a = await caCert({ cn: 'Partner Root A', selfSigned: true });
    await c125.uploadTrust({ store: 'CallManager-trust', node: 'sub1', data: a.der });
    expect(c125.trustStore('pub', 'CallManager-trust').map((p) => certOf(p).sha256)).toContain(a.sha256);
    const b = await caCert({ cn: 'Partner Root B', selfSigned: true });
    await c125.uploadTrust({ store: 'CAPF-trust', node: 'sub1', data: pem(b) });
    expect(c125.trustStore('sub1', 'CAPF-trust').map((p) => certOf(p).sha256)).toContain(b.sha256);
    expect(c125.trustStore('pub', 'CAPF-trust').map((p) => certOf(p).sha256)).not.toContain(b.sha256);
  });

  const refusals: Array<[string, string, () => Promise<Uint8Array>]> = [
    ['garbage', 'CERT_UNSUPPORTED_FORMAT', async () => new Uint8Array(randomBytes(300))],
    ['an 8192-bit key', 'CERT_KEY_TOO_LARGE', async () => pem(await caCert({ cn: 'Huge Key', bits: 8192 }))],
    ['a wildcard certificate', 'CERT_WILDCARD', async () => pem(await caCert({ cn: '*.partner.example' }))],
    ['a wildcard only in the SAN', 'CERT_WILDCARD', async () => pem(await caCert({ cn: 'partner', dns: ['*.partner.example'] }))],
    ['an expired certificate', 'CERT_EXPIRED', async () => pem(await caCert({ cn: 'Old Root', notBefore: new Date(clock.now() - 3 * YEAR), years: 1 }))],
  ];
  it.each(refusals)('refuses %s with %s', async (_n, code, make) => {
    const data = await make();
    await expectRefused(c125, code, () => c125.uploadTrust({ store: 'tomcat-trust', node: 'pub', data }));
  });

  it('refuses PKCS#12 (made by openssl) with CERT_UNSUPPORTED_FORMAT', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'p12-'));
    const c = await caCert({ cn: 'p12', selfSigned: true });
    writeFileSync(join(tmp, 'c.pem'), toPem(c.der));
    const id = identityOf(c125.state, 'TVS', 'pub')!;
    writeFileSync(join(tmp, 'k.pem'), id.keyPem);
    writeFileSync(join(tmp, 'c2.pem'), id.certPem);
    execFileSync('openssl', ['pkcs12', '-export', '-in', join(tmp, 'c2.pem'), '-inkey', join(tmp, 'k.pem'), '-out', join(tmp, 'x.p12'), '-passout', 'pass:x']);
    await expectRefused(c125, 'CERT_UNSUPPORTED_FORMAT', () => c125.uploadTrust({ store: 'tomcat-trust', node: 'pub', data: new Uint8Array(readFileSync(join(tmp, 'x.p12'))) }));
  });

  it('same subject, different serial: a later notBefore replaces, an earlier one is refused (SC-26)', async () => {
    const now = clock.now();
    const x1 = await caCert({ cn: 'Root X', notBefore: new Date(now - 10 * 86400_000) });
    const x2 = await caCert({ cn: 'Root X', notBefore: new Date(now - 5 * 86400_000) });
    const x0 = await caCert({ cn: 'Root X', notBefore: new Date(now - 20 * 86400_000) });
    await c125.uploadTrust({ store: 'tomcat-trust', node: 'pub', data: pem(x1) });
    const r = await c125.uploadTrust({ store: 'tomcat-trust', node: 'pub', data: pem(x2) });
    expect(r.events[0]).toMatchObject({ type: 'trust.added', replaced: x1.serialHex });
    const stored = c125.trustStore('pub', 'tomcat-trust').map((p) => certOf(p)).filter((c) => c.subjectCucm === x2.subjectCucm);
    expect(stored.map((c) => c.serialHex)).toEqual([x2.serialHex]);
    await expectRefused(c125, 'TRUST_OLDER_DUPLICATE', () => c125.uploadTrust({ store: 'tomcat-trust', node: 'pub', data: pem(x0) }));
  });

  it('Phone-Edge-trust is managed on the publisher only', async () => {
    const c = await caCert({ cn: 'Edge CA', selfSigned: true });
    await expectRefused(c125, 'TRUST_PUBLISHER_ONLY', () => c125.uploadTrust({ store: 'phone-edge-trust', node: 'sub1', data: pem(c) }));
  });
});

describe('Deleting trust certificates', () => {
  it('refuses identity certificates', async () => {
    await expectRefused(c125, 'IDENTITY_NOT_DELETABLE', () => c125.deleteTrust({ store: 'CallManager', node: 'pub', name: 'CallManager' }));
  });

  it('deletes CallManager-trust cluster-wide, ipsec-trust on its node only, and warns when a chain breaks', async () => {
    const root = lab.cas.enterprise!.root.certificate;
    const issuing = lab.cas.enterprise!.issuing.certificate;
    await c14.uploadTrust({ store: 'CallManager-trust', node: 'cm14pub', data: pem(root) });
    await c14.uploadTrust({ store: 'CallManager-trust', node: 'cm14pub', data: pem(issuing) });
    const name = c14.state.trust.find((t) => t.store === 'CallManager-trust' && certOf(t.certPem).sha256 === root.sha256)!.name;
    const r = await c14.deleteTrust({ store: 'CallManager-trust', node: 'cm14sub', name });
    expect(r.events[0]).toMatchObject({ type: 'trust.deleted', nodes: ['cm14pub', 'cm14sub'] });
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'warning', code: 'CHAIN_BROKEN' }));
    const ip = await caCert({ cn: 'IPsec Peer', selfSigned: true });
    await c14.uploadTrust({ store: 'ipsec-trust', node: 'cm14pub', data: pem(ip) });
    await c14.uploadTrust({ store: 'ipsec-trust', node: 'cm14sub', data: pem(ip) });
    await c14.deleteTrust({ store: 'ipsec-trust', node: 'cm14pub', name: 'IPsec_Peer' });
    expect(c14.trustStore('cm14sub', 'ipsec-trust')).toHaveLength(1);
    expect(c14.trustStore('cm14pub', 'ipsec-trust')).toHaveLength(0);
  });
});

describe('Regenerate and reuse', () => {
  it('regenerates with the same key length, a new key, over a CA-signed certificate', async () => {
    const before = identityOf(c125.state, 'CallManager', 'sub1')!;
    const r = await c125.regenerate('CallManager', 'sub1');
    const after = identityOf(c125.state, 'CallManager', 'sub1')!;
    expect(after.signedBy).toBe('self');
    expect(after.keyPem).not.toBe(before.keyPem);
    expect(certOf(after.certPem).keyBits).toBe(certOf(before.certPem).keyBits);
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'file.rebuilt', file: 'ITLFile.tlv' }));
  });

  it('reuse: refused unless tomcat is multi-server; afterwards CallManager is the tomcat certificate', async () => {
    await expectRefused(c125, 'REUSE_REQUIRES_MULTI_SERVER', () => c125.reuse('tomcat'));
    await c14.generate({ purpose: 'tomcat', node: 'cm14pub', distribution: 'multi-server' });
    await c14.reuse('tomcat');
    const tomcat = identityOf(c14.state, 'tomcat', 'cm14sub')!;
    for (const n of ['cm14pub', 'cm14sub']) {
      const cm = identityOf(c14.state, 'CallManager', n)!;
      expect(cm.certPem).toBe(tomcat.certPem);
      expect(cm.reusedFrom).toBe('tomcat');
    }
  });
});

describe('Find certificates', () => {
  it('filters by common name, expiry, key type and usage', async () => {
    const ec = c125.certificates({ keyType: 'EC', usage: 'identity' });
    expect(ec.length).toBeGreaterThan(0);
    expect(ec.every((r) => r.type.endsWith('ECDSA'))).toBe(true);
    expect(c125.certificates({ cn: 'ITLRECOVERY' }).map((r) => r.type)).toEqual(['ITLRecovery']);
    const soon = c125.certificates({ expiresBefore: new Date(clock.now() + 6 * YEAR), usage: 'identity' });
    expect(soon.length).toBe(c125.certificates({ usage: 'identity' }).filter((r) => new Date(r.notAfter).getTime() < clock.now() + 6 * YEAR).length);
    expect(c125.certificates({ usage: 'trust', type: 'CallManager-trust' }).some((r) => r.name === 'Cisco_Manufacturing_CA.pem')).toBe(true);
  });
});
