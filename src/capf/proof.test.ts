import { constants, createHash, publicDecrypt, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { labPki, DEVICE } from '../../test/sip-pki.js';
import { testKey } from '../../test/helpers/pki.js';
import { parseCertificate } from '../pki/index.js';
import { issueLsc, lscSubject } from './lsc.js';
import { proofData, signProof, sudiData, verifyProof } from './proof.js';

describe('proof of possession (formats.md §5)', () => {
  it('RSA: PKCS#1 type-1 padding around the bare hash, no DigestInfo', async () => {
    const { mic } = await labPki();
    const data = proofData(DEVICE, mic.der);
    expect(Buffer.from(data.subarray(0, DEVICE.length + 1)).toString('latin1')).toBe(`${DEVICE}\u0000`);
    for (const hash of ['sha1', 'sha512'] as const) {
      const sig = signProof(data, mic.keys.privateKey, hash);
      const block = publicDecrypt({ key: mic.keys.publicKey, padding: constants.RSA_PKCS1_PADDING }, sig);
      expect(block.equals(createHash(hash).update(data).digest())).toBe(true);
      // A standard RSASSA-PKCS1-v1_5 verifier expects a DigestInfo and rejects it.
      expect(verify(hash, data, mic.keys.publicKey, sig)).toBe(false);
      expect(verifyProof(data, mic.keys.publicKey, sig, hash)).toBe(true);
      const other = hash === 'sha1' ? 'sha512' : 'sha1';
      expect(verifyProof(data, mic.keys.publicKey, sig, other)).toBe(false);
      const tampered = Uint8Array.from(data);
      tampered[3] = tampered[3]! ^ 1;
      expect(verifyProof(tampered, mic.keys.publicKey, sig, hash)).toBe(false);
    }
  });

  it('EC: ordinary ECDSA', async () => {
    const keys = await testKey('ec-proof', { type: 'ec', curve: 'P-384' });
    const data = proofData(DEVICE, Uint8Array.of(0x30, 0));
    const sig = signProof(data, keys.privateKey, 'sha512');
    expect(verify('sha512', data, keys.publicKey, sig)).toBe(true);
    expect(verifyProof(data, keys.publicKey, sig, 'sha512')).toBe(true);
    expect(verifyProof(data, keys.publicKey, Uint8Array.of(1, 2, 3), 'sha512')).toBe(false);
  });

  it('SUDI data is the little-endian session id then the DER', () => {
    expect([...sudiData(0x01020304, Uint8Array.of(9))]).toEqual([4, 3, 2, 1, 9]);
  });
});

describe('LSC profile (formats.md §5)', () => {
  it('CN = device, issuer O/OU/L/ST/C copied, KU, EKU with IPsec end system, SAN URI, SHA-256', async () => {
    const { capf } = await labPki();
    const phoneKey = await testKey('lsc-subject', { type: 'ec', curve: 'P-256' });
    const lsc = await issueLsc(DEVICE, phoneKey.publicKey, { certificate: capf.info, privateKey: capf.keys.privateKey });
    expect(lsc.subject).toEqual([['CN', DEVICE], ...capf.info.subject.filter(([k]) => k !== 'CN')]);
    expect(lscSubject(DEVICE, capf.info)[0]).toEqual(['CN', DEVICE]);
    expect(lsc.issuerCucm).toBe(capf.info.subjectCucm);
    expect(lsc.extensions.keyUsage?.sort()).toEqual(['digitalSignature', 'keyEncipherment']);
    expect(lsc.extensions.extendedKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.5']);
    expect(lsc.extensions.uris).toEqual([DEVICE]);
    expect(lsc.signatureHash).toBe('SHA-256');
    const node = new X509Certificate(lsc.der);
    expect(node.verify(capf.keys.publicKey)).toBe(true);
    expect(node.ca).toBe(false);
    expect(parseCertificate(lsc.der).publicKey.export({ type: 'spki', format: 'der' })).toEqual(phoneKey.publicKey.export({ type: 'spki', format: 'der' }));
  });
});
