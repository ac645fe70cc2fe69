import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { labRevocationSource } from '../src/cluster/lab-ca.js';
import { certIdFor, encodeOcspRequest, judgeOcspResponse, MAX_OCSP_BYTES, RevocationServer, decodeOcspResponse, type RevocationEvent } from '../src/revocation/index.js';
import { testLab } from './helpers/lab.js';

/**
 * The lab CA's HTTP endpoints on a real socket: GET and POST OCSP, the CRL, and bad input —
 * garbage bodies, oversized bodies, unknown paths and methods, a peer that never finishes its
 * request head — each a clear answer, with the server still serving (issue 16 §3, §5).
 */
describe('RevocationServer', () => {
  let server: RevocationServer;
  let base: string;
  let issuing: Awaited<ReturnType<typeof testLab>>['lab']['cas']['enterprise'];
  const events: RevocationEvent[] = [];

  beforeAll(async () => {
    const t = await testLab({ start: new Date() });
    issuing = t.lab.cas.enterprise;
    server = new RevocationServer({ source: labRevocationSource(t.lab, 0), clock: t.clock });
    server.events.onAny((e) => events.push(e));
    const a = await server.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${a.port}`;
  }, 60_000);

  afterAll(async () => {
    await server.close();
    expect(server.connections).toBe(0);
  });

  const certId = () => certIdFor(new Uint8Array([0x42]), issuing!.issuing.certificate);

  it('answers POST and the GET form (RFC 6960 §A.1) alike: unknown for a serial it never issued', async () => {
    const der = encodeOcspRequest({ certIds: [certId()] });
    const post = await request(`${base}/ocsp`, { method: 'POST', body: Buffer.from(der), headers: { 'content-type': 'application/ocsp-request' } });
    expect(post.statusCode).toBe(200);
    expect(post.headers['content-type']).toBe('application/ocsp-response');
    const a = new Uint8Array(await post.body.arrayBuffer());
    const get = await request(`${base}/ocsp/${encodeURIComponent(Buffer.from(der).toString('base64'))}`);
    const b = new Uint8Array(await get.body.arrayBuffer());
    for (const body of [a, b]) {
      expect(judgeOcspResponse(body, { certId: certId(), issuer: issuing!.issuing.certificate, trustedResponders: [], now: new Date() })).toMatchObject({ status: 'unknown', model: 'DTM' });
    }
  });

  it('garbage is malformedRequest; an oversized body is 413; other paths 404, other methods 405', async () => {
    const bad = await request(`${base}/ocsp`, { method: 'POST', body: 'not DER at all' });
    expect(bad.statusCode).toBe(200);
    expect(decodeOcspResponse(new Uint8Array(await bad.body.arrayBuffer())).status).toBe('malformedRequest');
    const big = await request(`${base}/ocsp`, { method: 'POST', body: Buffer.alloc(MAX_OCSP_BYTES + 1) });
    expect(big.statusCode).toBe(413);
    await big.body.dump();
    const nf = await request(`${base}/nothing`);
    expect(nf.statusCode).toBe(404);
    await nf.body.dump();
    const put = await request(`${base}/ocsp`, { method: 'PUT', body: 'x' });
    expect(put.statusCode).toBe(405);
    await put.body.dump();
    const crl = await request(`${base}/crl/${issuing!.issuing.name}.crl`);
    expect(crl.statusCode).toBe(200);
    expect(crl.headers['content-type']).toBe('application/pkix-crl');
    await crl.body.dump();
    const nocrl = await request(`${base}/crl/nobody.crl`);
    expect(nocrl.statusCode).toBe(404);
    await nocrl.body.dump();
    expect(events.filter((e) => e.type === 'revocation.request').map((e) => (e as { status: number }).status)).toEqual(expect.arrayContaining([200, 413, 404, 405]));
  });

  it('a peer that opens a connection and sends nothing does not stop others being served', async () => {
    const idle = await new Promise<ReturnType<typeof connect>>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: server.address!.port }, () => resolve(s));
    });
    const r = await request(`${base}/crl/${issuing!.issuing.name}.crl`);
    expect(r.statusCode).toBe(200);
    await r.body.dump();
    idle.destroy();
  });
});
