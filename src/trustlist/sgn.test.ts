import { beforeAll, describe, expect, it } from 'vitest';
import { referenceParse } from '../../test/helpers/reference-tlv.js';
import { selfSigned, type TestIdentity } from '../../test/helpers/pki.js';
import { toPem } from '../pki/index.js';
import { anchorOfCertificate, buildSignedFile, decodeSignedFile, encodeSignedFile, stripSignedFile, verifySignedFile } from './index.js';

let tftp: TestIdentity, other: TestIdentity;
const T0 = Date.UTC(2025, 5, 1) / 1000;
const xml = new Uint8Array(Buffer.from('<?xml version="1.0"?>\n<device><deviceSecurityMode>1</deviceSecurityMode></device>\n'));

beforeAll(async () => {
  [tftp, other] = await Promise.all([selfSigned('cucm-tftp.lab.example'), selfSigned('someone-else')]);
});

function sign(payload = xml): Uint8Array {
  return buildSignedFile({ signer: { certificate: tftp.certificate, privateKey: tftp.keys.privateKey }, payload, filename: 'SEP001122334455.cnf.xml.sgn', timestamp: T0 });
}

describe('.sgn files (formats.md §2)', () => {
  it('put the untouched payload right after the header, signed over header and payload', () => {
    const file = sign();
    const ref = referenceParse(file, toPem(tftp.certificate.der), false);
    expect(ref.signatureValid).toBe(true);
    expect(ref.headerTags.filter((t) => t !== 13)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15]);
    expect(ref.filename).toBe('SEP001122334455.cnf.xml.sgn');
    expect(Buffer.from(file.subarray(ref.headerLength)).equals(Buffer.from(xml))).toBe(true);
    expect(Buffer.from(stripSignedFile(file)).equals(Buffer.from(xml))).toBe(true);
  });

  it('re-encode byte for byte', () => {
    const file = sign();
    expect(Buffer.from(encodeSignedFile(decodeSignedFile(file))).equals(Buffer.from(file))).toBe(true);
  });

  it('verify against the trusted signer, and only against it', () => {
    const file = sign();
    expect(verifySignedFile(file, [anchorOfCertificate(tftp.certificate)]).reason).toBe('VALID');
    expect(verifySignedFile(file, [anchorOfCertificate(other.certificate)]).reason).toBe('SIGNER_NOT_TRUSTED');
    expect(verifySignedFile(file, []).reason).toBe('SIGNER_NOT_TRUSTED');
  });

  it('fail when one payload byte changes', () => {
    const file = sign();
    file[file.length - 3]! ^= 0x20;
    expect(verifySignedFile(file, [anchorOfCertificate(tftp.certificate)]).reason).toBe('SIGNATURE_INVALID');
  });

  it('allow an empty payload', () => {
    const file = sign(new Uint8Array(0));
    expect(decodeSignedFile(file).payload.length).toBe(0);
    expect(verifySignedFile(file, [anchorOfCertificate(tftp.certificate)]).valid).toBe(true);
  });
});
