import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeTvsMessage, tvsDeviceName, tvsVerify, type TvsMessage, type TvsVerifyOutcome } from '../tvs-sim/index.js';
import { tvsIdentity, type TvsTestIdentity } from './tvs-fixtures.js';

/**
 * The TVS client against TLS peers that answer wrongly. These are plain `node:tls` servers
 * presenting a trusted TVS certificate, so every outcome here is about the answer, not trust.
 */

const DEVICE = tvsDeviceName(7975, 'aabbccddeeff');
let tvs: TvsTestIdentity;
let signer: TvsTestIdentity;
const peers: Server[] = [];

beforeAll(async () => {
  [tvs, signer] = await Promise.all([tvsIdentity('TVS-peer', { type: 'ec', curve: 'P-256' }), tvsIdentity('signer-peer', { type: 'ec', curve: 'P-256' })]);
});

afterEach(() => {
  for (const p of peers.splice(0)) p.close();
});

/** A TLS peer that reads the request's session id and answers with `reply(sessionId)`. */
async function peer(reply: (sessionId: number, socket: TLSSocket) => void): Promise<number> {
  const server = createServer({ cert: tvs.identity.certPem, key: tvs.identity.keyPem }, (s) => {
    s.on('error', () => undefined);
    s.once('data', (d: Buffer) => reply(d.readUInt32BE(4), s));
  });
  peers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

const verify = (port: number): Promise<TvsVerifyOutcome> =>
  tvsVerify({ members: [{ host: '127.0.0.1', port }], trustedTvs: [tvs.der], certificate: signer.der, deviceName: DEVICE, sessionId: 0xabcdef01 });

const answer = (m: Partial<TvsMessage> & { sessionId: number }): Buffer =>
  Buffer.from(encodeTvsMessage({ command: 2, reserved: 0, elements: [{ tag: 7, value: Uint8Array.of(0) }], ...m }));

describe('TVS client answers', () => {
  it('reads a tvsd answer: roles and TTL, a reserved byte of 245, and unknown elements', async () => {
    const port = await peer((sid, s) => s.end(answer({ sessionId: sid, reserved: 245, elements: [
      { tag: 7, value: Uint8Array.of(0) }, { tag: 0x55, value: Uint8Array.of(1) }, { tag: 8, value: Uint8Array.of(0, 2, 21) }, { tag: 9, value: Uint8Array.of(0, 0, 0x0e, 0x10) },
    ] })));
    expect(await verify(port)).toMatchObject({ kind: 'vouched', roles: [0, 2, 21], ttlSeconds: 3600, sessionId: 0xabcdef01 });
  });

  it('defaults the TTL to 86400 when a valid answer has none', async () => {
    const port = await peer((sid, s) => s.end(answer({ sessionId: sid })));
    expect(await verify(port)).toMatchObject({ kind: 'vouched', roles: [], ttlSeconds: 86_400 });
  });

  it('treats any non-zero STATUS as a refusal, as tvsc does', async () => {
    const port = await peer((sid, s) => s.end(answer({ sessionId: sid, elements: [{ tag: 7, value: Uint8Array.of(9) }] })));
    expect(await verify(port)).toMatchObject({ kind: 'refused', status: 9 });
  });

  it('presents the phone certificate when a server asks for one (as CUCM may; tvsd does not)', async () => {
    let seen: Buffer | undefined;
    const server = createServer({ cert: tvs.identity.certPem, key: tvs.identity.keyPem, requestCert: true, rejectUnauthorized: false }, (s) => {
      s.on('error', () => undefined);
      seen = s.getPeerX509Certificate()?.raw;
      s.once('data', (d: Buffer) => s.end(answer({ sessionId: d.readUInt32BE(4) })));
    });
    peers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const out = await tvsVerify({ members: [{ host: '127.0.0.1', port }], trustedTvs: [tvs.der], certificate: signer.der, deviceName: DEVICE, clientIdentity: signer.identity });
    expect(out.kind).toBe('vouched');
    expect(seen && Buffer.from(signer.der).equals(seen)).toBe(true);
  });

  it.each([
    ['garbage', (_sid: number, s: TLSSocket) => s.end(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')), 'TVS_BAD_PROTOCOL'],
    ['another session id', (sid: number, s: TLSSocket) => s.end(answer({ sessionId: (sid ^ 1) >>> 0 })), 'TVS_UNEXPECTED_COMMAND'],
    ['a request instead of an answer', (sid: number, s: TLSSocket) => s.end(answer({ sessionId: sid, command: 1 })), 'TVS_UNEXPECTED_COMMAND'],
    ['no STATUS', (sid: number, s: TLSSocket) => s.end(answer({ sessionId: sid, elements: [{ tag: 8, value: Uint8Array.of(0) }] })), 'TVS_MISSING_ELEMENT'],
    ['a TTL of 2 bytes', (sid: number, s: TLSSocket) => s.end(answer({ sessionId: sid, elements: [{ tag: 7, value: Uint8Array.of(0) }, { tag: 9, value: Uint8Array.of(1, 2) }] })), 'TVS_MALFORMED'],
    ['half an answer, then close', (sid: number, s: TLSSocket) => s.end(answer({ sessionId: sid }).subarray(0, 12)), 'TVS_NO_ANSWER'],
    ['a close without a word', (_sid: number, s: TLSSocket) => s.end(), 'TVS_NO_ANSWER'],
    ['a header declaring 60 000 bytes', (sid: number, s: TLSSocket) => s.end(Buffer.from([0x57, 1, 2, 0, sid >>> 24, (sid >>> 16) & 255, (sid >>> 8) & 255, sid & 255, 0xea, 0x60])), 'TVS_FRAME_TOO_LARGE'],
  ])('reports malformed-answer for %s', async (_what, reply, code) => {
    const port = await peer(reply);
    const out = await verify(port);
    expect(out).toMatchObject({ kind: 'malformed-answer', error: { code }, member: { port } });
  });
});
