import { beforeAll, describe, expect, it } from 'vitest';
import { selfSigned, type TestIdentity } from '../../test/helpers/pki.js';
import { isEmulatorError } from '../shared/errors.js';
import { buildCrl, decodeCrl, emptyCaState, MAX_CRL_BYTES, recordIssued, revoke } from './index.js';

/** CRLs (RFC 5280 §5): what is built reads back, signed by the CA; bad bytes are typed errors. */
let ca: TestIdentity, other: TestIdentity;
const NOW = new Date(Date.UTC(2026, 5, 1, 12));

beforeAll(async () => {
  [ca, other] = await Promise.all([selfSigned('CRL Unit CA'), selfSigned('CRL Other CA')]);
});

function state() {
  let s = emptyCaState();
  for (const serial of ['0a1b', '7f00ff', '80']) s = recordIssued(s, { serial, subject: serial, notAfter: '', issuedAt: '' });
  s = revoke(s, '7f00ff', new Date(NOW.getTime() - 60_000), 'keyCompromise');
  s = revoke(s, '80', new Date(NOW.getTime() - 30_000), 'unspecified');
  return { ...s, crlNumber: 5 };
}

describe('CRLs', () => {
  it('list the revoked serials with dates, reasons and the CRL number, signed by the CA', async () => {
    const der = await buildCrl({ ca: { certificate: ca.certificate, privateKey: ca.keys.privateKey }, state: state(), thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + 86_400_000) });
    const crl = await decodeCrl(der);
    expect(crl.crlNumber).toBe(5);
    expect(crl.entries.map((e) => [e.serial, e.reason ?? null])).toEqual([['7f00ff', 'keyCompromise'], ['80', null]]);
    expect(crl.thisUpdate.getTime()).toBe(NOW.getTime());
    expect(await crl.verify(ca.certificate)).toBe(true);
    expect(await crl.verify(other.certificate)).toBe(false);
  });

  it('truncated or oversized bytes are CRL_MALFORMED / CRL_TOO_LARGE', async () => {
    const der = await buildCrl({ ca: { certificate: ca.certificate, privateKey: ca.keys.privateKey }, state: state(), thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + 86_400_000) });
    for (let n = 0; n < der.length; n += 11) {
      const code = await decodeCrl(der.subarray(0, n)).then(() => 'decoded', (e: unknown) => (isEmulatorError(e) ? e.code : 'untyped'));
      expect(code, `truncated to ${n}`).toBe('CRL_MALFORMED');
    }
    await expect(decodeCrl(new Uint8Array(MAX_CRL_BYTES + 1))).rejects.toMatchObject({ code: 'CRL_TOO_LARGE' });
  });
});
