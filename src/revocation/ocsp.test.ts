import { beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate, type DnSpec } from '../pki/index.js';
import { isEmulatorError } from '../shared/errors.js';
import { testKey, type TestIdentity } from '../../test/helpers/pki.js';
import {
  answerOcsp, certIdFor, decodeOcspRequest, encodeOcspError, encodeOcspRequest, judgeOcspResponse, MAX_OCSP_BYTES, OID, recordIssued, revoke, emptyCaState,
  type CaRevocationState, type OcspSigner,
} from './index.js';

/**
 * OCSP codec and judge (RFC 6960): round trips, every truncation and oversize as a typed error,
 * and each way a response can be wrong — nonce, freshness, signature, responder, CertID, status —
 * as its own result code, never "good" (issue 16 §5).
 */
const YEAR = 365 * 24 * 3600_000;
const NOW = new Date(Date.UTC(2026, 5, 1, 12));
const dn = (cn: string): DnSpec => [['O', 'Unit'], ['CN', cn]];
let ca: TestIdentity, other: TestIdentity, leaf: TestIdentity, delegated: TestIdentity, noEku: TestIdentity;
let state: CaRevocationState;

async function make(cn: string, o: { issuer?: TestIdentity; eku?: string[]; ca?: boolean } = {}): Promise<TestIdentity> {
  const keys = await testKey(`unit-ocsp-${cn}`);
  const certificate = await issueCertificate({
    subject: dn(cn), keys, notBefore: new Date(NOW.getTime() - YEAR), notAfter: new Date(NOW.getTime() + YEAR),
    ...(o.issuer ? { issuer: { certificate: o.issuer.certificate, keys: o.issuer.keys } } : {}),
    ...(o.eku ? { extendedKeyUsage: o.eku } : {}), ...(o.ca ? { ca: {} } : {}),
  });
  return { keys, certificate };
}

beforeAll(async () => {
  ca = await make('Unit CA', { ca: true });
  other = await make('Other CA', { ca: true });
  [leaf, delegated, noEku] = await Promise.all([make('leaf', { issuer: ca }), make('Unit OCSP', { issuer: ca, eku: [OID.ocspSigning] }), make('Unit not-OCSP', { issuer: ca })]);
  state = recordIssued(emptyCaState(), { serial: leaf.certificate.serialHex, subject: 'leaf', notAfter: '', issuedAt: '' });
});

const signer = (id: TestIdentity, include = false): OcspSigner => ({ certificate: id.certificate, privateKey: id.keys.privateKey, include });
const nonce = new Uint8Array(16).fill(7);

function respond(o: { by?: OcspSigner; now?: Date; st?: CaRevocationState; n?: Uint8Array; validityMs?: number } = {}): { der: Uint8Array; certId: ReturnType<typeof certIdFor> } {
  const certId = certIdFor(leaf.certificate.serial, ca.certificate);
  const req = encodeOcspRequest({ certIds: [certId], nonce: o.n ?? nonce });
  const der = answerOcsp(req, { cas: [{ certificate: ca.certificate, state: o.st ?? state }], signerFor: () => o.by ?? signer(ca), now: o.now ?? NOW, ...(o.validityMs ? { validityMs: o.validityMs } : {}) });
  return { der, certId };
}

const judge = (der: Uint8Array, certId: ReturnType<typeof certIdFor>, extra: { now?: Date; trusted?: TestIdentity[]; n?: Uint8Array } = {}) =>
  judgeOcspResponse(der, { certId, issuer: ca.certificate, trustedResponders: (extra.trusted ?? []).map((t) => t.certificate), now: extra.now ?? NOW, nonce: extra.n ?? nonce });

describe('OCSP requests', () => {
  it('round-trip CertID and nonce', () => {
    const certId = certIdFor(leaf.certificate.serial, ca.certificate);
    const back = decodeOcspRequest(encodeOcspRequest({ certIds: [certId], nonce }));
    expect(back.certIds).toHaveLength(1);
    expect(Buffer.from(back.certIds[0]!.serial).toString('hex')).toBe(leaf.certificate.serialHex);
    expect(Buffer.from(back.nonce!).equals(Buffer.from(nonce))).toBe(true);
  });

  it('every truncation is OCSP_MALFORMED, and an oversized one OCSP_TOO_LARGE', () => {
    const der = encodeOcspRequest({ certIds: [certIdFor(leaf.certificate.serial, ca.certificate)], nonce });
    for (let n = 0; n < der.length; n++) {
      let code: string | undefined;
      try {
        decodeOcspRequest(der.subarray(0, n));
      } catch (e) {
        code = isEmulatorError(e) ? e.code : 'untyped';
      }
      expect(code, `truncated to ${n}`).toBe('OCSP_MALFORMED');
    }
    expect(() => decodeOcspRequest(new Uint8Array(MAX_OCSP_BYTES + 1))).toThrow(expect.objectContaining({ code: 'OCSP_TOO_LARGE' }));
  });

  it('the responder answers garbage with malformedRequest, not an exception', () => {
    const out = answerOcsp(new Uint8Array([0x30, 0x03, 0x02, 0x01]), { cas: [{ certificate: ca.certificate, state }], signerFor: () => signer(ca), now: NOW });
    expect(judgeOcspResponse(out, { certId: certIdFor(leaf.certificate.serial, ca.certificate), issuer: ca.certificate, trustedResponders: [], now: NOW })).toMatchObject({ status: 'error', code: 'OCSP_RESPONDER_STATUS' });
  });
});

describe('judging OCSP responses', () => {
  it('good and revoked under DTM, signed by the CA or by its delegated responder', () => {
    const a = respond();
    expect(judge(a.der, a.certId)).toMatchObject({ status: 'good', model: 'DTM' });
    const b = respond({ by: signer(delegated, true), st: revoke(state, leaf.certificate.serialHex, NOW, 'superseded') });
    expect(judge(b.der, b.certId)).toMatchObject({ status: 'revoked', model: 'DTM', reason: 'superseded' });
  });

  it('a serial the CA never issued is unknown', () => {
    const certId = certIdFor(new Uint8Array([1, 2, 3]), ca.certificate);
    const der = answerOcsp(encodeOcspRequest({ certIds: [certId] }), { cas: [{ certificate: ca.certificate, state }], signerFor: () => signer(ca), now: NOW });
    expect(judgeOcspResponse(der, { certId, issuer: ca.certificate, trustedResponders: [], now: NOW })).toMatchObject({ status: 'unknown' });
  });

  it('every truncation of a response is an error result, never good', () => {
    const { der, certId } = respond();
    for (let n = 0; n < der.length; n += 7) {
      const r = judge(der.subarray(0, n), certId);
      expect(r.status, `truncated to ${n}`).toBe('error');
    }
  });

  it('each flipped byte is an error or the same verdict, never a different status', () => {
    const { der, certId } = respond({ st: revoke(state, leaf.certificate.serialHex, NOW, 'keyCompromise') });
    for (let i = 0; i < der.length; i += 3) {
      const m = der.slice();
      m[i]! ^= 0x01;
      const r = judge(m, certId);
      expect(['error', 'revoked'], `byte ${i}`).toContain(r.status);
    }
  });

  it('a response for another request\'s nonce is OCSP_NONCE_MISMATCH', () => {
    const { der, certId } = respond();
    expect(judge(der, certId, { n: new Uint8Array(16).fill(9) })).toMatchObject({ status: 'error', code: 'OCSP_NONCE_MISMATCH' });
  });

  it('stale: nextUpdate passed, or thisUpdate in the future', () => {
    const { der, certId } = respond({ validityMs: 3600_000 });
    expect(judge(der, certId, { now: new Date(NOW.getTime() + 2 * 3600_000) })).toMatchObject({ code: 'OCSP_STALE' });
    expect(judge(der, certId, { now: new Date(NOW.getTime() - 3600_000) })).toMatchObject({ code: 'OCSP_STALE' });
  });

  it('signed by another CA, by a CA-issued certificate without OCSPSigning, or with a bad signature: OCSP_UNTRUSTED_RESPONDER', () => {
    const a = respond({ by: signer(other, true) });
    expect(judge(a.der, a.certId)).toMatchObject({ code: 'OCSP_UNTRUSTED_RESPONDER' });
    const b = respond({ by: signer(noEku, true) });
    expect(judge(b.der, b.certId)).toMatchObject({ code: 'OCSP_UNTRUSTED_RESPONDER' });
    const c = respond();
    const flipped = c.der.slice();
    flipped[flipped.length - 1]! ^= 0xff;
    expect(judge(flipped, c.certId)).toMatchObject({ code: 'OCSP_UNTRUSTED_RESPONDER' });
  });

  it('TRP: another CA\'s responder is good only when it is in tomcat-trust', () => {
    const { der, certId } = respond({ by: signer(other, true) });
    expect(judge(der, certId, { trusted: [other] })).toMatchObject({ status: 'good', model: 'TRP' });
  });

  it('a response about another certificate is OCSP_NO_MATCHING_RESPONSE; tryLater is OCSP_RESPONDER_STATUS', () => {
    const { der } = respond();
    expect(judge(der, certIdFor(new Uint8Array([9]), ca.certificate))).toMatchObject({ code: 'OCSP_NO_MATCHING_RESPONSE' });
    expect(judge(encodeOcspError('tryLater'), certIdFor(leaf.certificate.serial, ca.certificate))).toMatchObject({ code: 'OCSP_RESPONDER_STATUS' });
  });
});
