import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testKeyPool } from '../../test/helpers/keypool.js';
import {
  chainTo, createCsr, createEnterpriseCa, createManufacturingCas, EKU, issueMic, KeyPool, parseCsr, signCertificate, signCsr, toPem, type KeyPair,
  type CertificateAuthority,
} from './index.js';

const now = new Date(Date.UTC(2026, 0, 15));

describe('KeyPool', () => {
  it('hands out keys in a stable order, caches them on disk, and resumes from saved cursors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keypool-'));
    const a = new KeyPool({ dir });
    const k0 = await a.take({ type: 'ec', curve: 'P-256' });
    const k1 = await a.take({ type: 'ec', curve: 'P-256' });
    expect(a.cursors).toEqual({ 'identity/ec-p-256': 2 });
    expect(readdirSync(join(dir, 'identity/ec-p-256')).sort()).toEqual(['000000.pem', '000001.pem']);
    const spki = (k: KeyPair): string => k.publicKey.export({ type: 'spki', format: 'der' }).toString('hex');
    expect(spki(k0)).not.toBe(spki(k1));
    const b = new KeyPool({ dir });
    expect(spki(await b.take({ type: 'ec', curve: 'P-256' }))).toBe(spki(k0));
    const c = new KeyPool({ dir, cursors: a.cursors });
    const k2 = await c.take({ type: 'ec', curve: 'P-256' });
    expect([spki(k0), spki(k1)]).not.toContain(spki(k2));
  });

  it('cycles a device namespace after its bound and keeps namespaces apart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keypool-'));
    const p = new KeyPool({ dir, cycle: { device: 2 } });
    const spec = { type: 'ec', curve: 'P-256' } as const;
    const [d0, d1, d2] = [await p.take(spec, 'device'), await p.take(spec, 'device'), await p.take(spec, 'device')];
    expect(d2).toBe(d0);
    expect(d1).not.toBe(d0);
    expect(readdirSync(join(dir, 'device/ec-p-256'))).toHaveLength(2);
    const i0 = await p.take(spec, 'identity');
    expect(i0.publicKey.equals(d0.publicKey)).toBe(false);
  });
});

describe('emulated CAs', () => {
  let cas: Map<string, CertificateAuthority>;
  beforeAll(async () => {
    cas = await createManufacturingCas(testKeyPool(), now);
  });

  it('builds the manufacturing hierarchy named as in the chapter', () => {
    expect([...cas.keys()]).toEqual(['Cisco_Root_CA_2048', 'Cisco_Manufacturing_CA', 'ACT2_SUDI_CA', 'Cisco_Root_CA_M2', 'Cisco_Manufacturing_CA_SHA2', 'CAP-RTP-001', 'CAP-RTP-002']);
    const mfg = cas.get('Cisco_Manufacturing_CA')!;
    expect(mfg.certificate.subject).toContainEqual(['CN', 'Cisco Manufacturing CA']);
    expect(mfg.certificate.extensions.basicConstraints).toEqual({ ca: true, pathLength: 0 });
    expect(cas.get('Cisco_Root_CA_M2')!.certificate.keyBits).toBe(4096);
  });

  it('issues MICs that chain to their root and not to another', async () => {
    const keys = await testKeyPool().take({ type: 'rsa', bits: 2048 }, 'device');
    const mic = await issueMic(cas.get('Cisco_Manufacturing_CA_SHA2')!, { model: 'CP-8861', mac: '00aabbccddee', keys, manufactured: now });
    expect(mic.subjectCucm).toContain('CN=CP-8861-SEP00AABBCCDDEE');
    expect(mic.signatureHash).toBe('SHA-256');
    const m2 = cas.get('Cisco_Root_CA_M2')!.certificate;
    const sha2 = cas.get('Cisco_Manufacturing_CA_SHA2')!.certificate;
    expect(chainTo(mic, [m2], [sha2]).ok).toBe(true);
    expect(chainTo(mic, [cas.get('Cisco_Root_CA_2048')!.certificate], [sha2]).reason).toBe('issuer-not-found');
    expect(chainTo(mic, [m2], [sha2], new Date(now.getTime() + 11 * 365 * 86400_000)).reason).toBe('expired');
  });

  it('builds MICs with the direct DER encoder field for field as @peculiar/x509 does, verifiable by node and OpenSSL', async () => {
    const keys = await testKeyPool().take({ type: 'rsa', bits: 2048 }, 'device');
    for (const caName of ['Cisco_Manufacturing_CA_SHA2', 'Cisco_Manufacturing_CA', 'CAP-RTP-001'] as const) {
      const ca = cas.get(caName)!;
      const serial = new Uint8Array([0x5a, 1, 2, 3, 4, 5, 6, 7]);
      const fast = await issueMic(ca, { model: 'CP-7942', mac: '001122334455', keys, manufactured: now, serial });
      const hash = ca.certificate.signatureHash === 'SHA-1' ? 'SHA-1' : 'SHA-256';
      const slow = await signCertificate({
        subject: [['O', 'Cisco Systems Inc.'], ['OU', 'trustlab emulation'], ['CN', 'CP-7942-SEP001122334455']], publicKey: keys.publicKey,
        signer: { privateKey: ca.keys.privateKey, certificate: ca.certificate }, notBefore: now, notAfter: new Date(now.getTime() + 10 * 365.25 * 86400_000),
        hash, keyUsage: ['digitalSignature', 'keyEncipherment'], extendedKeyUsage: [EKU.clientAuth], serial,
      });
      for (const k of ['subjectCucm', 'issuerCucm', 'serialHex', 'signatureHash', 'keyBits', 'extensions'] as const) expect(fast[k]).toEqual(slow[k]);
      expect(fast.notAfter.getTime() - fast.notBefore.getTime()).toBe(slow.notAfter.getTime() - slow.notBefore.getTime());
      const nodeFast = new X509Certificate(fast.der);
      const nodeSlow = new X509Certificate(slow.der);
      expect(nodeFast.subject).toBe(nodeSlow.subject);
      expect(nodeFast.issuer).toBe(nodeSlow.issuer);
      expect(nodeFast.verify(ca.certificate.publicKey)).toBe(true);
      expect(nodeFast.checkIssued(new X509Certificate(ca.certificate.der))).toBe(true);
      // SKI and AKI: the same extension bytes as @peculiar/x509 writes (RFC 5280 §4.2.1.1–2, method 1).
      expect(extensionHex(fast.der, '551d0e')).toBe(extensionHex(slow.der, '551d0e'));
      expect(extensionHex(fast.der, '551d23')).toBe(extensionHex(slow.der, '551d23'));
    }
    if (!hasOpenssl()) return;
    const dir = mkdtempSync(join(tmpdir(), 'mic-'));
    const ca = cas.get('Cisco_Manufacturing_CA_SHA2')!;
    const mic = await issueMic(ca, { model: 'CP-8861', mac: '00aabbccddee', keys, manufactured: now });
    writeFileSync(join(dir, 'root.pem'), toPem(cas.get('Cisco_Root_CA_M2')!.certificate.der));
    writeFileSync(join(dir, 'sub.pem'), toPem(ca.certificate.der));
    writeFileSync(join(dir, 'mic.pem'), toPem(mic.der));
    const out = execFileSync('openssl', ['verify', '-attime', String(Math.floor(now.getTime() / 1000) + 86400), '-purpose', 'sslclient', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'sub.pem'), join(dir, 'mic.pem')], { encoding: 'utf8' });
    expect(out).toContain('mic.pem: OK');
  });
});

/** The DER of the extension whose OID bytes are `oidHex`, as hex (enough to compare two certificates). */
function extensionHex(der: Uint8Array, oidHex: string): string {
  const hex = Buffer.from(der).toString('hex');
  const at = hex.indexOf(`06${'03'}${oidHex}`);
  expect(at).toBeGreaterThan(0);
  return hex.slice(at, at + 2 * 48);
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
}

describe('CSRs and the enterprise CA', () => {
  it('round-trips requested extensions through a CSR and into the signed certificate', async () => {
    const pool = testKeyPool();
    const { root, issuing } = await createEnterpriseCa(pool, now);
    const keys = await pool.take({ type: 'rsa', bits: 2048 });
    const csr = await createCsr({
      subject: [['C', 'US'], ['O', 'Alpha'], ['CN', 'cucm-pub.lab.example']],
      keys,
      keyUsage: ['digitalSignature', 'keyEncipherment', 'dataEncipherment'],
      extendedKeyUsage: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'],
      dnsNames: ['cucm-pub.lab.example', 'cucm-sub1.lab.example'],
    });
    const again = parseCsr(csr.pem);
    expect([...again.extensions.keyUsage!].sort()).toEqual(['dataEncipherment', 'digitalSignature', 'keyEncipherment']);
    expect(again.extensions.dnsNames).toEqual(['cucm-pub.lab.example', 'cucm-sub1.lab.example']);
    expect(again.publicKey.equals(keys.publicKey)).toBe(true);
    const cert = await signCsr(issuing, again, { now });
    expect(cert.extensions.keyUsage).toContain('dataEncipherment');
    expect(cert.publicKey.equals(keys.publicKey)).toBe(true);
    expect(chainTo(cert, [root.certificate], [issuing.certificate]).ok).toBe(true);
    const stripped = await signCsr(issuing, again, { now, dropKeyUsage: ['dataEncipherment'] });
    expect(stripped.extensions.keyUsage).not.toContain('dataEncipherment');
  });

  it('refuses garbage as a CSR with PKI_BAD_CSR', () => {
    expect(() => parseCsr(new Uint8Array([1, 2, 3]))).toThrowError(expect.objectContaining({ code: 'PKI_BAD_CSR' }));
  });
});
