import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { selfSigned } from '../../test/helpers/pki.js';
import { decodePkcs12, encodePkcs12, type Pkcs12Entry } from './pkcs12.js';

let rsa: Pkcs12Entry;
let ec: Pkcs12Entry;

beforeAll(async () => {
  rsa = { friendlyName: 'bpub_tftp', der: (await selfSigned('bpub.lab.example')).certificate.der };
  ec = { friendlyName: 'bpub_ecdsa', der: (await selfSigned('bpub-EC.lab.example', { type: 'ec', curve: 'P-256' })).certificate.der };
});

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('PKCS#12 certificate bundles', () => {
  it.each(['3des', 'aes256'] as const)('round-trips RSA and EC certificates with their friendly names (%s)', (cipher) => {
    const out = decodePkcs12(encodePkcs12([rsa, ec, { der: rsa.der }], 'cisco123', { cipher, iterations: 16 }), 'cisco123');
    expect(out.map((e) => [e.friendlyName, hex(e.der)])).toEqual([['bpub_tftp', hex(rsa.der)], ['bpub_ecdsa', hex(ec.der)], [undefined, hex(rsa.der)]]);
  });

  it('refuses the wrong password with PKCS12_BAD_PASSWORD, and an empty list with INVALID_ARGUMENT', () => {
    const p12 = encodePkcs12([rsa], 'right', { iterations: 16 });
    expect(() => decodePkcs12(p12, 'wrong')).toThrow(expect.objectContaining({ code: 'PKCS12_BAD_PASSWORD' }));
    expect(() => encodePkcs12([], 'x')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('every truncation is PKCS12_MALFORMED', () => {
    const p12 = encodePkcs12([rsa], 'pw', { iterations: 16 });
    fc.assert(fc.property(fc.integer({ min: 0, max: p12.length - 1 }), (n) => {
      expect(() => decodePkcs12(p12.subarray(0, n), 'pw')).toThrow(expect.objectContaining({ code: 'PKCS12_MALFORMED' }));
    }), { numRuns: 200 });
  });

  it('a flipped byte is a typed error, never a silently different certificate', () => {
    const p12 = encodePkcs12([rsa], 'pw', { iterations: 16 });
    fc.assert(fc.property(fc.integer({ min: 0, max: p12.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
      const bad = Uint8Array.from(p12);
      bad[at] = bad[at]! ^ x;
      let out: Pkcs12Entry[] | undefined;
      try {
        out = decodePkcs12(bad, 'pw');
      } catch (e) {
        expect(['PKCS12_MALFORMED', 'PKCS12_BAD_PASSWORD']).toContain((e as { code?: string }).code);
        return;
      }
      // Only bytes outside the MAC'd content (salt/iteration encodings that still parse) can survive.
      expect(out.map((o) => hex(o.der))).toEqual([hex(rsa.der)]);
    }), { numRuns: 300 });
  });

  it('garbage and oversized input are PKCS12_MALFORMED', () => {
    expect(() => decodePkcs12(Buffer.from('-----BEGIN CERTIFICATE-----\n'), 'pw')).toThrow(expect.objectContaining({ code: 'PKCS12_MALFORMED' }));
    expect(() => decodePkcs12(Buffer.from('3082010202010330', 'hex'), 'pw')).toThrow(expect.objectContaining({ code: 'PKCS12_MALFORMED' }));
    expect(() => decodePkcs12(new Uint8Array(5 * 1024 * 1024), 'pw')).toThrow(expect.objectContaining({ code: 'PKCS12_MALFORMED' }));
  });
});
