import { describe, expect, it } from 'vitest';
import { readSample, SAMPLE } from '../../test/helpers/samples.js';
import { expectRoundTrip } from '../../test/helpers/codec.js';
import { parseCertificate } from '../pki/index.js';
import {
  anchorOfRecord, decodeTrustList, encodeRecordBytes, encodeTrustList, encodedLengthTrustList, ipv4String,
  recordFor, roleName, summarize, verifyTrustList, type TrustList,
} from './index.js';

/**
 * Golden tests against real files (../shared/samples): a CUCM-signed CTL (2015) and a
 * certutils-built ITL used with real phones. Nothing here is our own output pasted back.
 */
const codec = { encode: encodeTrustList, decode: decodeTrustList, encodedLength: encodedLengthTrustList };

describe('CUCM CTL (gigantic-6, 2015)', () => {
  const bytes = readSample(SAMPLE.cucmCtl);
  const list = decodeTrustList(bytes);

  it('decodes the header and the six records CUCM wrote', () => {
    expect(list.header.version).toEqual({ major: 1, minor: 2 });
    expect(list.header.headerLength).toBe(312);
    expect(list.header.digest).toBe(1);
    expect(list.header.modulusCode).toBe(1);
    expect(list.header.filename).toBe('CTLFile.tlv');
    expect(list.header.timestamp).toBe(0x554ad7b7);
    expect(Buffer.from(list.header.signerSerial).toString('hex')).toBe('24491f10703fea9b');
    expect(list.records.map((r) => roleName(r.role))).toEqual(['SAST', 'CCM+TFTP', 'CCM+TFTP', 'CAPF', 'SAST', 'CCM+TFTP']);
    expect(list.records.map((r) => r.dnsName)).toEqual(['gigantic-6', 'gigantic-6', 'gigantic-7', 'gigantic-6', 'gigantic-6', 'ccm-sjcctg-013']);
    expect(ipv4String(list.records[0]!.ipAddress!)).toBe('10.35.48.106');
  });

  it('re-encodes byte for byte, with and without the decoded layout', () => {
    expectRoundTrip(codec, list);
    const canonical: TrustList = { header: list.header, records: list.records, dialect: 'cucm' };
    expect(Buffer.from(encodeTrustList(canonical)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('records rebuilt from their certificates match what CUCM wrote, byte for byte', () => {
    for (const rec of list.records) {
      const cert = parseCertificate(rec.certificate!);
      const rebuilt = recordFor({ role: rec.role, certificate: cert, dnsName: rec.dnsName!, ipAddress: ipv4String(rec.ipAddress!) });
      expect(Buffer.from(encodeRecordBytes(rebuilt)).toString('hex')).toBe(Buffer.from(encodeRecordBytes(rec)).toString('hex'));
    }
  });

  it('prints names in the fixed CN;OU;O;L;ST;C order whatever the certificate DN order', () => {
    const capf = parseCertificate(list.records[3]!.certificate!);
    expect(capf.subject.map(([k]) => k)).toEqual(['C', 'O', 'OU', 'CN', 'ST', 'L']);
    expect(capf.subjectCucm).toBe('CN=CAPF-2076a1a2;OU=VTG;O=Alpha;L=SJ;ST=CA;C=US');
  });

  it('verifies with the SAST record the header names', () => {
    const v = verifyTrustList(bytes);
    expect(v.reason).toBe('VALID');
    expect(v.signer).toEqual({ source: 'record', index: 0, headerMatch: true, record: 0 });
  });

  it('is SIGNER_NOT_TRUSTED when the caller trusts only the ITLRecovery certificate', () => {
    const recovery = anchorOfRecord(list.records[4]!)!;
    expect(verifyTrustList(bytes, { trusted: [recovery] }).reason).toBe('SIGNER_NOT_TRUSTED');
    expect(verifyTrustList(bytes, { trusted: [recovery, anchorOfRecord(list.records[0]!)!] }).reason).toBe('VALID');
  });

  it('fails on one flipped signature byte', () => {
    const copy = bytes.slice();
    copy[200]! ^= 0x01;
    expect(verifyTrustList(copy).reason).toBe('SIGNATURE_INVALID');
  });
});

describe('CUCM CTL as published (container lengths zeroed)', () => {
  const bytes = readSample(SAMPLE.cucmCtlAsFound);

  it('parses, re-encodes byte for byte, warns about the containers and fails verification', () => {
    const list = decodeTrustList(bytes);
    expect(list.layout?.header.containers).toEqual({ 3: 0, 7: 0, 9: 0 });
    expectRoundTrip(codec, list);
    const v = verifyTrustList(bytes);
    expect(v.reason).toBe('SIGNATURE_INVALID');
    const s = summarize(list, bytes, v);
    expect(s.warnings).toEqual([
      'container tag 3 declares 0 bytes but its nested elements take 127',
      'container tag 7 declares 0 bytes but its nested elements take 15',
      'container tag 9 declares 0 bytes but its nested elements take 8',
    ]);
  });
});

describe('certutils ITL (csptech)', () => {
  const bytes = readSample(SAMPLE.certutilsItl);
  const list = decodeTrustList(bytes);

  it('decodes the certutils dialect: tag 28, comma names, records without DNS name or IP', () => {
    expect(list.header.signerVersion).toEqual({ major: 1, minor: 0 });
    expect(list.header.headerLength).toBe(388);
    expect(list.header.signerName).toBe('CN=SAST,O=SAST,OU=SAST');
    expect(list.records.map((r) => roleName(r.role))).toEqual(['SAST', 'CCM', 'CCM', 'APP-SERVER', 'APP-SERVER']);
    expect(list.records.every((r) => r.dnsName === undefined && r.ipAddress === undefined)).toBe(true);
    expect(summarize(list, bytes, null).dialect).toBe('certutils');
  });

  it('re-encodes byte for byte, also from the canonical certutils order', () => {
    expectRoundTrip(codec, list);
    const canonical: TrustList = { header: list.header, records: list.records, dialect: 'certutils' };
    expect(Buffer.from(encodeTrustList(canonical)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('records rebuilt in the certutils dialect match the file', () => {
    for (const rec of list.records) {
      const rebuilt = recordFor({ role: rec.role, certificate: parseCertificate(rec.certificate!) }, 'certutils');
      expect(Buffer.from(encodeRecordBytes(rebuilt, undefined, 'certutils')).equals(Buffer.from(encodeRecordBytes(rec, undefined, 'certutils')))).toBe(true);
    }
  });

  it('verifies (RSA-2048, SHA-1)', () => {
    const v = verifyTrustList(bytes);
    expect(v.reason).toBe('VALID');
    expect(v.digest).toBe('sha1');
  });
});
