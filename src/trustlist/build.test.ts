import { beforeAll, describe, expect, it } from 'vitest';
import { referenceParse } from '../../test/helpers/reference-tlv.js';
import { selfSigned, testKey, type TestIdentity } from '../../test/helpers/pki.js';
import { toPem } from '../pki/index.js';
import { buildTrustList, decodeTrustList, Role, signTrustList, verifyTrustList, type RecordSpec } from './index.js';

/**
 * The builder writes the CUCM dialect exactly as formats.md §1.9 lays it out. Each file is
 * checked by an independent reading of formats.md (test/helpers/reference-tlv.ts), not by our
 * own decoder alone.
 */
let cm: TestIdentity, recovery: TestIdentity, tvs: TestIdentity, capf: TestIdentity, ecCm: TestIdentity;
const T0 = Date.UTC(2025, 5, 1) / 1000;

beforeAll(async () => {
  [cm, recovery, tvs, capf, ecCm] = await Promise.all([
    selfSigned('cucm-pub.lab.example'),
    selfSigned('ITLRECOVERY_cucm-pub.lab.example'),
    selfSigned('cucm-pub.lab.example-tvs'),
    selfSigned('CAPF-1a2b3c4d'),
    selfSigned('cucm-pub-EC.lab.example', { type: 'ec', curve: 'P-256' }),
  ]);
});

function itlRecords(): RecordSpec[] {
  const host = { dnsName: 'cucm-pub', ipAddress: '10.1.1.10' };
  return [
    { role: Role.SAST, certificate: cm.certificate, ...host },
    { role: Role.TFTP, certificate: cm.certificate, ...host },
    { role: Role.TVS, certificate: tvs.certificate, ...host },
    { role: Role.CAPF, certificate: capf.certificate, ...host },
    { role: Role.SAST, certificate: recovery.certificate, ...host },
    { role: Role.CCM, certificate: ecCm.certificate, ...host },
  ];
}

describe('buildTrustList (CUCM dialect)', () => {
  it('lays the header and records out as formats.md §1.9 says, and signs the file', () => {
    const file = buildTrustList({ signer: { certificate: cm.certificate, privateKey: cm.keys.privateKey }, records: itlRecords(), timestamp: T0 });
    const ref = referenceParse(file);
    const padding = ref.headerTags.filter((t) => t === 13).length;
    expect(ref.headerTags.slice(0, 14)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15]);
    expect(ref.headerTags.slice(14)).toEqual(Array(padding).fill(13));
    expect(padding).toBeLessThan(4);
    expect(ref.headerLength % 4).toBe(0);
    const nameLen = Buffer.byteLength(cm.certificate.subjectCucm) + 1;
    expect(ref.containers).toEqual({ 3: 3 + nameLen + 3 + cm.certificate.serial.length + 3 + Buffer.byteLength(cm.certificate.issuerCucm) + 1, 7: 15, 9: 8 });
    expect(ref.digestId).toBe(1);
    expect(ref.modulusCode).toBe(2);
    expect(ref.filename).toBe('ITLFile.tlv');
    expect(ref.serialHex).toBe(cm.certificate.serialHex);
    expect(ref.records.map((r) => r.tags)).toEqual(Array(6).fill([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    expect(ref.records.map((r) => r.role)).toEqual([0, 3, 21, 4, 0, 1]);
    expect(ref.signatureValid).toBe(true);
    expect(verifyTrustList(file).reason).toBe('VALID');
  });

  it('writes record fields copied from the certificate (CUCM names, PKCS#1 key, EC point)', () => {
    const file = buildTrustList({ signer: { certificate: cm.certificate, privateKey: cm.keys.privateKey }, records: itlRecords(), timestamp: T0 });
    const list = decodeTrustList(file);
    const r0 = list.records[0]!;
    expect(r0.subject).toBe('CN=cucm-pub.lab.example;OU=VTG;O=Alpha;L=SJ;ST=CA;C=US');
    expect(r0.dnsName).toBe('cucm-pub');
    expect([...r0.ipAddress!]).toEqual([10, 1, 1, 10]);
    expect(r0.publicKey!.length).toBe(270);
    expect(r0.publicKey![0]).toBe(0x30);
    expect(Buffer.from(r0.signature!).equals(Buffer.from(cm.certificate.signatureValue))).toBe(true);
    const ec = list.records[5]!;
    expect(ec.publicKey!.length).toBe(65);
    expect(ec.publicKey![0]).toBe(0x04);
    expect(list.header.timestamp).toBe(T0);
  });

  it('signs with SHA-512 as digest id 3', () => {
    const file = buildTrustList({ signer: { certificate: recovery.certificate, privateKey: recovery.keys.privateKey }, records: itlRecords(), timestamp: T0, digest: 'sha512' });
    const ref = referenceParse(file, toPem(recovery.certificate.der));
    expect(ref.digestId).toBe(3);
    expect(ref.signatureValid).toBe(true);
    const v = verifyTrustList(file);
    expect(v.reason).toBe('VALID');
    expect(v.signer?.index).toBe(4);
  });

  it('writes the certutils dialect on request', () => {
    const file = buildTrustList({ signer: { certificate: cm.certificate, privateKey: cm.keys.privateKey }, records: [{ role: Role.SAST, certificate: cm.certificate }], timestamp: T0, dialect: 'certutils' });
    const ref = referenceParse(file);
    expect(ref.headerTags.filter((t) => t !== 13)).toEqual([1, 2, 28, 3, 4, 6, 5, 7, 8, 9, 10, 11, 12, 14, 15]);
    expect(ref.records[0]!.tags).toEqual([1, 3, 5, 6, 4, 7, 8, 9]);
    expect(decodeTrustList(file).header.signerName).toBe('C=US,O=Alpha,OU=VTG,CN=cucm-pub.lab.example,ST=CA,L=SJ');
    expect(ref.signatureValid).toBe(true);
  });

  it('writes certificate-less placeholder records (TAC 118892)', () => {
    const file = buildTrustList({
      signer: { certificate: cm.certificate, privateKey: cm.keys.privateKey },
      records: [{ role: Role.SAST, certificate: cm.certificate }, { role: Role.CCM_TFTP, dnsName: '10.48.47.153', ipAddress: '10.48.47.153' }],
      timestamp: T0,
    });
    const ref = referenceParse(file);
    expect(ref.records[1]!.tags).toEqual([1, 2, 4, 10]);
    const list = decodeTrustList(file);
    expect(list.records[1]!.certificate).toBeUndefined();
    expect(verifyTrustList(file).reason).toBe('VALID');
  });
});

describe('refusals', () => {
  it.each([
    ['an EC signer', async () => ({ certificate: ecCm.certificate, privateKey: ecCm.keys.privateKey }), 'TRUSTLIST_UNSUPPORTED_SIGNER_KEY'],
    ['a key that is not the certificate\'s', async () => ({ certificate: cm.certificate, privateKey: recovery.keys.privateKey }), 'TRUSTLIST_KEY_MISMATCH'],
    ['a 3072-bit signer (no modulus code)', async () => {
      const id = await selfSigned('rsa3072', { type: 'rsa', bits: 3072 });
      return { certificate: id.certificate, privateKey: id.keys.privateKey };
    }, 'TRUSTLIST_UNSUPPORTED_KEY_SIZE'],
  ])('refuses %s', async (_name, signer, code) => {
    const s = await signer();
    expect(() => buildTrustList({ signer: s, records: [], timestamp: T0 })).toThrowError(expect.objectContaining({ code }));
  });

  it('refuses to write SHA-256 (read-only digest) and bad IPs', () => {
    const signer = { certificate: cm.certificate, privateKey: cm.keys.privateKey };
    expect(() => buildTrustList({ signer, records: [], timestamp: T0, digest: 'sha256' })).toThrowError(expect.objectContaining({ code: 'TRUSTLIST_UNSUPPORTED_DIGEST' }));
    expect(() => buildTrustList({ signer, records: [{ role: 0, ipAddress: '10.0.0.300' }], timestamp: T0 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('verification outcomes', () => {
  const build = (): Uint8Array => buildTrustList({ signer: { certificate: cm.certificate, privateKey: cm.keys.privateKey }, records: itlRecords(), timestamp: T0 });

  it('SIGNER_MISMATCH when the file verifies only under a SAST record the header does not name', () => {
    const list = decodeTrustList(build());
    const forged = signTrustList({ ...list, header: { ...list.header, signerSerial: recovery.certificate.serial } }, cm.keys.privateKey);
    const v = verifyTrustList(forged);
    expect(v.reason).toBe('SIGNER_MISMATCH');
    expect(v.valid).toBe(false);
    expect(v.signer).toEqual({ source: 'record', index: 0, headerMatch: false, record: 0 });
  });

  it('SIGNATURE_INVALID when signed by a key no SAST record holds', async () => {
    const stranger = await testKey('stranger');
    const list = decodeTrustList(build());
    expect(verifyTrustList(signTrustList(list, stranger.privateKey)).reason).toBe('SIGNATURE_INVALID');
  });

  it('MODULUS_MISMATCH when the modulus code disagrees with the signature length', () => {
    const list = decodeTrustList(build());
    const file = signTrustList({ ...list, header: { ...list.header, modulusCode: 3 } }, cm.keys.privateKey);
    expect(verifyTrustList(file).reason).toBe('MODULUS_MISMATCH');
  });

  it('UNSUPPORTED_DIGEST and UNSUPPORTED_ALGORITHM for ids nobody writes', () => {
    const bytes = build();
    const list = decodeTrustList(bytes);
    const copy = bytes.slice();
    const digestAt = referenceOffsetOfTag(copy, 8);
    copy[digestAt + 3] = 9;
    expect(verifyTrustList(copy).reason).toBe('UNSUPPORTED_DIGEST');
    const algo = signTrustList({ ...list, header: { ...list.header, signatureAlgorithm: 1 } }, cm.keys.privateKey);
    expect(verifyTrustList(algo).reason).toBe('UNSUPPORTED_ALGORITHM');
  });

  it('SIGNER_NOT_FOUND without SAST records and without trusted certificates', () => {
    const file = buildTrustList({ signer: { certificate: cm.certificate, privateKey: cm.keys.privateKey }, records: [{ role: Role.TFTP, certificate: cm.certificate }], timestamp: T0 });
    expect(verifyTrustList(file).reason).toBe('SIGNER_NOT_FOUND');
    expect(verifyTrustList(file, { trusted: [{ der: cm.certificate.der, serial: cm.certificate.serial }] }).reason).toBe('VALID');
  });
});

/** Offset of a header tag, found by the same plain walk as the reference reader. */
function referenceOffsetOfTag(b: Uint8Array, want: number): number {
  let p = 5 + 5;
  while (p < b.length) {
    const tag = b[p]!;
    if (tag === want) return p;
    if (tag === 13) p += 1;
    else if (tag === 3 || tag === 7 || tag === 9) p += 3;
    else p += 3 + ((b[p + 1]! << 8) | b[p + 2]!);
  }
  throw new Error(`tag ${want} not found`);
}
