import { beforeAll, describe, expect, it } from 'vitest';
import { tvsIdentity, type TvsTestIdentity } from '../test/tvs-fixtures.js';
import { SecureContextCache, TvsTrust } from './index.js';

let a: TvsTestIdentity;
let aReissued: TvsTestIdentity;
let b: TvsTestIdentity;

beforeAll(async () => {
  a = await tvsIdentity('TVS-unit-a', { type: 'ec', curve: 'P-256' });
  aReissued = await tvsIdentity('TVS-unit-a', { type: 'ec', curve: 'P-256' }); // same key, new certificate
  b = await tvsIdentity('TVS-unit-b', { type: 'ec', curve: 'P-256' });
});

describe('TvsTrust', () => {
  it('trusts byte-identical certificates only, by default', () => {
    const t = new TvsTrust([Uint8Array.of(1, 2, 3), a.der]);
    expect(t.trusts(new Uint8Array(a.der))).toBe(true);
    expect(t.trusts(aReissued.der)).toBe(false);
    expect(t.trusts(b.der)).toBe(false);
    expect(t.trusts(a.der.subarray(0, a.der.length - 1))).toBe(false);
    expect(t.trusts(undefined)).toBe(false);
    expect(t.trusts(new Uint8Array(0))).toBe(false);
  });

  it('with pin "public-key", trusts a re-issued certificate on the same key, skipping unparsable records', () => {
    const t = new TvsTrust([Uint8Array.of(0x30, 0), a.der], 'public-key');
    expect(t.trusts(aReissued.der)).toBe(true);
    expect(t.trusts(b.der)).toBe(false);
    expect(t.trusts(Uint8Array.of(0x30, 0x03, 1, 2, 3))).toBe(false);
  });
});

describe('SecureContextCache', () => {
  it('builds a context once per identity and a new one when the identity changes', () => {
    const cache = new SecureContextCache();
    const first = cache.get(a.identity);
    expect(cache.get({ ...a.identity })).toBe(first);
    const next = cache.get(b.identity);
    expect(next).not.toBe(first);
    expect(next.certificateSha256).toBe(b.certificate.sha256);
  });

  it('reports a broken certificate or a key that does not match with PKI codes', () => {
    const cache = new SecureContextCache();
    expect(() => cache.get({ certPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', keyPem: a.identity.keyPem })).toThrowError(expect.objectContaining({ code: 'PKI_BAD_CERTIFICATE' }));
    expect(() => cache.get({ certPem: a.identity.certPem, keyPem: 'junk' })).toThrowError(expect.objectContaining({ code: 'PKI_BAD_KEY' }));
    expect(() => cache.get({ certPem: a.identity.certPem, keyPem: b.identity.keyPem })).toThrowError(expect.objectContaining({ code: 'PKI_BAD_KEY' }));
    expect(() => new SecureContextCache({ ciphers: 'NOT-A-CIPHER' }).get(a.identity)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
