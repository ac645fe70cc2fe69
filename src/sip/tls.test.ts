import { createSecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { labPki, DEVICE, testLeaf, NOT_AFTER } from '../../test/sip-pki.js';
import { CIPHER_POLICIES, cipherPolicy, isNullCipher, opensslCipherString, parseCipherPolicy } from './cipher-policy.js';
import { TrustAnchors, TrustAnchorCache } from './peer-trust.js';
import { certificateList, TlsClientHandshakeReader } from './tls-records.js';

describe('cipher policies (TLS-5)', () => {
  it('accepts the CUCM labels in their usual spellings', () => {
    expect(parseCipherPolicy('All Ciphers RSA Preferred')).toBe('all-rsa-preferred');
    expect(parseCipherPolicy('All Ciphers EC Preferred')).toBe('all-ecdsa-preferred');
    expect(parseCipherPolicy('Strongest – AES-256 SHA-384 Only: RSA Preferred')).toBe('strongest-rsa-preferred');
    expect(parseCipherPolicy('strongest - aes-256 sha-384 only: ecdsa preferred')).toBe('strongest-ecdsa-preferred');
    expect(parseCipherPolicy('ECDSA Only')).toBe('ecdsa-only');
    expect(parseCipherPolicy('Weakest')).toBeUndefined();
    expect(() => cipherPolicy('nope')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('every suite of every policy is one OpenSSL knows, and every policy builds a context', () => {
    for (const p of Object.values(CIPHER_POLICIES)) {
      for (const suite of p.tls12) expect(() => createSecureContext({ ciphers: `${suite}:@SECLEVEL=0`, maxVersion: 'TLSv1.2' }), suite).not.toThrow();
      expect(() => createSecureContext({ ciphers: opensslCipherString(p, true) })).not.toThrow();
    }
  });

  it('only the "All" policies allow NULL-SHA, AES128-SHA and TLS < 1.2, and they need @SECLEVEL=0', () => {
    for (const p of Object.values(CIPHER_POLICIES)) {
      const all = p.name.startsWith('all-');
      expect(p.tls12.includes('NULL-SHA'), p.name).toBe(all);
      expect(p.tls12.includes('AES128-SHA'), p.name).toBe(all);
      expect(p.minVersion === 'TLSv1', p.name).toBe(all);
      expect(opensslCipherString(p, false).endsWith('@SECLEVEL=0'), p.name).toBe(all);
    }
    expect(CIPHER_POLICIES['ecdsa-only'].tls12.every((s) => s.startsWith('ECDHE-ECDSA-'))).toBe(true);
    expect(CIPHER_POLICIES['strongest-rsa-preferred'].tls12.every((s) => /AES256.*SHA384$/.test(s))).toBe(true);
    expect(isNullCipher('NULL-SHA')).toBe(true);
    expect(isNullCipher('ECDHE-RSA-AES128-SHA256')).toBe(false);
  });
});

describe('TLS client handshake reader', () => {
  const cert = Uint8Array.of(0x30, 1, 2);
  const certMsg = Uint8Array.of(11, 0, 0, 9, 0, 0, 6, 0, 0, 3, ...cert);
  const hello = Uint8Array.of(1, 0, 0, 2, 3, 3);
  // ClientHello in one record, the Certificate split across two records, then ChangeCipherSpec.
  const stream = Uint8Array.of(
    22, 3, 1, 0, hello.length, ...hello,
    22, 3, 3, 0, 4, ...certMsg.subarray(0, 4),
    22, 3, 3, 0, certMsg.length - 4, ...certMsg.subarray(4),
    20, 3, 3, 0, 1, 1,
    23, 3, 3, 0, 2, 9, 9,
  );

  it('finds the Certificate message however the stream is split, and stops at ChangeCipherSpec', () => {
    const whole = new TlsClientHandshakeReader().push(stream);
    expect(whole.map((e) => e.kind === 'handshake' ? `hs${e.type}` : e.kind)).toEqual(['hs1', 'hs11', 'change-cipher-spec']);
    for (let i = 1; i < stream.length; i++) {
      const r = new TlsClientHandshakeReader();
      expect([...r.push(stream.subarray(0, i)), ...r.push(stream.subarray(i))], `split at ${i}`).toEqual(whole);
      expect(r.done).toBe(true);
    }
    const c = whole[1]!;
    expect(c.kind === 'handshake' && certificateList(c.body)).toEqual([cert]);
  });

  it('rejects what is not a TLS record, and malformed certificate lists', () => {
    expect(() => new TlsClientHandshakeReader().push(new TextEncoder().encode('REGISTER sip:x SIP/2.0'))).toThrow(expect.objectContaining({ code: 'TLS_RECORD_MALFORMED' }));
    expect(() => certificateList(Uint8Array.of(0, 0, 5, 0, 0, 9, 1))).toThrow(expect.objectContaining({ code: 'TLS_RECORD_MALFORMED' }));
    expect(certificateList(Uint8Array.of(0, 0, 0))).toEqual([]);
  });
});

describe('peer trust (TLS-4)', () => {
  it('builds leaf → sent intermediate → root, and refuses without the intermediate', async () => {
    const pki = await labPki();
    const anchors = TrustAnchors.fromPems([pki.mfgRoot.certPem, pki.capf.certPem]);
    const now = Date.UTC(2026, 0, 1);
    const ok = anchors.validate([pki.mic.der, pki.mfgSub.der], now);
    expect(ok.trusted && ok.path.map((c) => c.subject.split('\n')[0])).toEqual([`CN=${DEVICE}`, 'CN=Emulated Manufacturing CA SHA2', 'CN=Emulated Root CA M2']);
    expect(anchors.validate([pki.mic.der], now)).toMatchObject({ trusted: false, reason: 'unknown-ca' });
    expect(anchors.validate([pki.rogueLeaf.der, pki.rogueCa.der], now)).toMatchObject({ trusted: false, reason: 'unknown-ca' });
    expect(anchors.validate([Uint8Array.of(1, 2, 3)], now)).toMatchObject({ trusted: false, reason: 'bad-certificate' });
  });

  it('checks validity at the injected time, anchors included', async () => {
    const pki = await labPki();
    const anchors = TrustAnchors.fromPems([pki.capf.certPem]);
    const lsc = await testLeaf(DEVICE, pki.capf, { label: 'phone-lsc' });
    expect(anchors.validate([lsc.der], NOT_AFTER.getTime() + 1)).toMatchObject({ trusted: false, reason: 'expired' });
    expect(anchors.validate([lsc.der], Date.UTC(2020, 0, 1))).toMatchObject({ trusted: false, reason: 'not-yet-valid' });
    expect(anchors.validate([lsc.der], Date.UTC(2030, 0, 1)).trusted).toBe(true);
  });

  it('refuses an issuer that is not a CA (CAPF-5), and trusts a certificate that is itself in the store', async () => {
    const pki = await labPki();
    const notCa = await testLeaf('not-a-ca', undefined, { label: 'not-a-ca' });
    const issued = await testLeaf(DEVICE, notCa, { label: 'phone-lsc' });
    const now = Date.UTC(2026, 0, 1);
    expect(TrustAnchors.fromPems([notCa.certPem]).validate([issued.der], now)).toMatchObject({ trusted: false, reason: 'unknown-ca' });
    expect(TrustAnchors.fromPems([pki.rogueLeaf.certPem]).validate([pki.rogueLeaf.der], now).trusted).toBe(true);
  });

  it('re-parses a store only when its content changes', async () => {
    const pki = await labPki();
    const cache = new TrustAnchorCache();
    const a = cache.get([pki.capf.certPem]);
    expect(cache.get([`${pki.capf.certPem}`])).toBe(a);
    const b = cache.get([pki.capf.certPem, pki.mfgRoot.certPem]);
    expect(b).not.toBe(a);
    expect(b.size).toBe(2);
    expect(new X509Certificate(pki.capf.der).ca).toBe(true);
  });
});
