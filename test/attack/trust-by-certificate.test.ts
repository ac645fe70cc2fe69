import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate, toPem, type CertificateInfo, type DnSpec } from '../../src/pki/index.js';
import { anchorOfCertificate, buildSignedFile, buildTrustList, decodeTrustList, Role, signTrustList, verifySignedFile, verifyTrustList } from '../../src/trustlist/index.js';
import { decideConfig, decideTrustList } from '../../phones/machine/trust.js';
import type { Flash } from '../../phones/machine/types.js';
import { selfSigned, type TestIdentity } from '../helpers/pki.js';
import { trustlab } from '../helpers/cli.js';

/**
 * Issue 15, "trust by key, or by certificate": an ITL or `.sgn` signed with a trusted *key*, whose
 * header names another certificate carrying that key (another issuer, another serial, an expired
 * one), verified as VALID. Phones match the header's signer name, issuer and serial against their
 * trust list (docs/decisions/026-trust-by-certificate.md), so such a file has an unknown signer:
 * the phone asks TVS about the certificate the header names, and `verify` says why.
 */
const YEAR = 365 * 24 * 3600 * 1000;
const T0 = Date.UTC(2025, 5, 1);
const xml = new Uint8Array(Buffer.from('<?xml version="1.0"?>\n<device><deviceSecurityMode>1</deviceSecurityMode></device>\n'));

let cm: TestIdentity, tvs: TestIdentity, ca: TestIdentity;
/** CallManager's key in other certificates: CA-signed (the CSR flow keeps the key), and an expired one. */
let caSigned: CertificateInfo, expired: CertificateInfo;

beforeAll(async () => {
  [cm, tvs, ca] = await Promise.all([selfSigned('cucm-pub.lab.example'), selfSigned('cucm-pub-tvs'), selfSigned('Lab Enterprise CA')]);
  const dn: DnSpec = [['C', 'US'], ['O', 'Alpha'], ['OU', 'VTG'], ['CN', 'cucm-pub.lab.example'], ['ST', 'CA'], ['L', 'SJ']];
  [caSigned, expired] = await Promise.all([
    issueCertificate({ subject: dn, keys: cm.keys, issuer: { certificate: ca.certificate, keys: ca.keys }, notBefore: new Date(T0 - YEAR), notAfter: new Date(T0 + YEAR) }),
    issueCertificate({ subject: dn, keys: cm.keys, notBefore: new Date(T0 - 6 * YEAR), notAfter: new Date(T0 - YEAR) }),
  ]);
});

/** An ITL whose header names `named` (holding CallManager's key), signed with that key. */
function itlNaming(named: CertificateInfo): Uint8Array {
  return buildTrustList({
    signer: { certificate: named, privateKey: cm.keys.privateKey },
    records: [{ role: Role.SAST, certificate: named }, { role: Role.CCM_TFTP, certificate: named }, { role: Role.TVS, certificate: tvs.certificate }],
    timestamp: T0 / 1000,
  });
}

/** The flash of a phone in service: it holds the ITL signed by the self-signed CallManager. */
function inService(): Flash {
  return { itl: Buffer.from(itlNaming(cm.certificate)).toString('base64'), tvsCache: [], log: [] };
}

describe('attack: a trusted key inside a certificate the header names is not a trusted signer', () => {
  it('verify accepts the file only under the certificate its header names', () => {
    const trusted = [anchorOfCertificate(cm.certificate)];
    expect(verifyTrustList(itlNaming(cm.certificate), { trusted }).reason).toBe('VALID');
    for (const other of [caSigned, expired]) {
      const v = verifyTrustList(itlNaming(other), { trusted });
      expect(v.valid).toBe(false);
      expect(v.reason).toBe('SIGNER_NOT_TRUSTED');
      expect(v.message).toContain('not by key');
      // Trusting the certificate the header names is what makes it valid.
      expect(verifyTrustList(itlNaming(other), { trusted: [anchorOfCertificate(other)] }).reason).toBe('VALID');
    }
  });

  it('a header that names the trusted serial and issuer under another signer name is not trusted either', () => {
    const list = decodeTrustList(itlNaming(cm.certificate));
    const forged = signTrustList({ ...list, header: { ...list.header, signerName: 'CN=someone-else;O=Alpha' } }, cm.keys.privateKey);
    const v = verifyTrustList(forged, { trusted: [anchorOfCertificate(cm.certificate)] });
    expect(v.reason).toBe('SIGNER_NOT_TRUSTED');
    expect(v.message).toContain('CN=someone-else;O=Alpha');
  });

  it('a phone asks TVS about the named certificate instead of installing the ITL as known', () => {
    for (const other of [caSigned, expired]) {
      const d = decideTrustList('ITL', itlNaming(other), inService(), true, T0);
      expect(d.kind).toBe('ask-tvs');
      if (d.kind === 'ask-tvs') expect(Buffer.from(d.signer).equals(Buffer.from(other.der))).toBe(true);
    }
    // The self-signed certificate's own ITL (another build, so not byte-identical) installs as known.
    const again = buildTrustList({ signer: { certificate: cm.certificate, privateKey: cm.keys.privateKey }, records: [{ role: Role.SAST, certificate: cm.certificate }, { role: Role.TVS, certificate: tvs.certificate }], timestamp: T0 / 1000 + 60 });
    expect(decideTrustList('ITL', again, inService(), true, T0)).toEqual({ kind: 'accept', how: 'known' });
  });

  it('a .sgn config signed with the trusted key but naming the CA-signed certificate needs TVS, and only TVS vouching for that certificate applies it', () => {
    const sgn = buildSignedFile({ signer: { certificate: caSigned, privateKey: cm.keys.privateKey }, payload: xml, filename: 'SEP001122334455.cnf.xml.sgn', timestamp: T0 / 1000 });
    expect(verifySignedFile(sgn, [anchorOfCertificate(cm.certificate)]).reason).toBe('SIGNER_NOT_TRUSTED');
    const flash = inService();
    expect(decideConfig(sgn, true, flash).kind).toBe('ask-tvs');
    const vouchedOld = decideConfig(sgn, true, flash, [cm.certificate.der]);
    expect(vouchedOld.kind).toBe('reject');
    if (vouchedOld.kind === 'reject') expect(vouchedOld.reason).toContain('SIGNER_NOT_TRUSTED');
    expect(decideConfig(sgn, true, flash, [caSigned.der]).kind).toBe('accept');
  });

  it('trustlab sgn verify --trust explains the refusal and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustlab-attack-bykey-'));
    const file = join(dir, 'SEP001122334455.cnf.xml.sgn');
    writeFileSync(file, buildSignedFile({ signer: { certificate: caSigned, privateKey: cm.keys.privateKey }, payload: xml, filename: 'SEP001122334455.cnf.xml.sgn', timestamp: T0 / 1000 }));
    const pem = join(dir, 'CallManager.pem');
    writeFileSync(pem, toPem(cm.certificate.der));
    const r = await trustlab(['sgn', 'verify', file, '--trust', pem, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.valid).toBe(false);
    expect(out.reason).toBe('SIGNER_NOT_TRUSTED');
    expect(out.message).toContain('not by key');
  });
});
