import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/shared/clock.js';
import { Role } from '../src/trustlist/index.js';
import { buildTvsRequest, decodeTvsMessage, encodeTvsMessage, parseTvsResponse, tvsDeviceName, TvsServer, tvsVerify, type TvsServerOptions } from '../tvs-sim/index.js';
import { MapAuthority, nextEvent, recorder, tvsIdentity, until, type TvsTestIdentity } from './tvs-fixtures.js';

/**
 * Robustness of the TVS server on real sockets (issue 5 item 7): garbage, oversize frames,
 * half-open TLS, idle and trickling connections, floods. The server must keep serving, report
 * each case as a typed event and end with no connection left open.
 */

/** A manual clock that counts the timers armed on it. */
class CountingClock extends ManualClock {
  armed = 0;
  override setTimeout(fn: () => void, ms: number): ReturnType<ManualClock['setTimeout']> {
    this.armed++;
    return super.setTimeout(fn, ms);
  }
}

const DEVICE = tvsDeviceName(8845, '0000DEADBEEF');
let tvs: TvsTestIdentity;
let signer: TvsTestIdentity;
const servers: TvsServer[] = [];

beforeAll(async () => {
  [tvs, signer] = await Promise.all([tvsIdentity('TVS-robust', { type: 'ec', curve: 'P-256' }), tvsIdentity('signer-robust', { type: 'ec', curve: 'P-256' })]);
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(o: Partial<TvsServerOptions> = {}) {
  const rec = recorder();
  const server = new TvsServer({
    identity: () => tvs.identity,
    authority: new MapAuthority().add(signer.der, [Role.SAST, Role.TFTP]),
    host: '127.0.0.1',
    port: 0,
    events: rec.bus,
    ...o,
  });
  servers.push(server);
  const { port } = await server.listen();
  const verify = () => tvsVerify({ members: [{ host: '127.0.0.1', port }], trustedTvs: [tvs.der], certificate: signer.der, deviceName: DEVICE });
  return { server, port, rec, verify };
}

/** Everything a socket receives until it closes. */
function drain(s: Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  s.on('data', (d: Buffer) => parts.push(d));
  s.on('error', () => undefined);
  return new Promise((r) => s.once('close', () => r(Buffer.concat(parts))));
}

function tlsOpen(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve(s));
    s.once('error', reject);
  });
}

function rawOpen(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1', () => resolve(s));
  });
}

const request = encodeTvsMessage(buildTvsRequest({ sessionId: 3, deviceName: DEVICE, certificate: Uint8Array.of(0x30, 0) })); // unknown to the authority

describe('TVS server robustness', () => {
  it('drops plain-text garbage on the TLS port with a typed error and keeps serving', async () => {
    const { server, port, rec, verify } = await start();
    const s = await rawOpen(port);
    const done = drain(s);
    s.write('GET / HTTP/1.1\r\nHost: tvs\r\n\r\n');
    expect((await done).length).toBe(0);
    await until(() => rec.of('tvs.connection.closed').length === 1, 'garbage connection closed');
    expect(rec.of('tvs.error')[0]!.error.code).toBe('TVS_TLS_FAILED');
    expect(rec.of('tvs.connection.closed')[0]!.reason).toBe('error');
    expect((await verify()).kind).toBe('vouched');
    await until(() => server.connectionCount === 0, 'no connections left');
  });

  it('closes without an answer on garbage inside TLS, at its first byte', async () => {
    const { port, rec, verify } = await start();
    const s = await tlsOpen(port);
    const done = drain(s);
    s.write(Buffer.from('\x16\x03\x01 not tvs'));
    expect((await done).length).toBe(0);
    await until(() => rec.of('tvs.error').length === 1, 'error event');
    expect(rec.of('tvs.error')[0]!.error).toMatchObject({ code: 'TVS_BAD_PROTOCOL', offset: 0 });
    expect((await verify()).kind).toBe('vouched');
  });

  it('refuses an oversize frame as soon as its header declares it', async () => {
    const { port, rec } = await start({ maxFrameBytes: 4096 });
    const s = await tlsOpen(port);
    const done = drain(s);
    s.write(Uint8Array.of(0x57, 1, 1, 0, 0, 0, 0, 1, 0x20, 0x00)); // declares 8192 bytes, sends none
    expect((await done).length).toBe(0);
    await until(() => rec.of('tvs.error').length === 1, 'error event');
    expect(rec.of('tvs.error')[0]!.error).toMatchObject({ code: 'TVS_FRAME_TOO_LARGE', details: { declared: 8202, cap: 4096 } });
  });

  it('closes half-open TLS (a partial ClientHello) and idle connections after the idle timeout on its clock', async () => {
    const clock = new ManualClock();
    const { server, port, rec, verify } = await start({ clock, idleTimeoutMs: 10_000 });
    const half = await rawOpen(port);
    const halfDone = drain(half);
    half.write(Uint8Array.of(0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00)); // record header + start of a ClientHello
    const idle = await tlsOpen(port); // handshake done, no request
    const idleDone = drain(idle);
    await until(() => rec.of('tvs.handshake').length === 1 && server.connectionCount === 2, 'two open connections');

    clock.advance(9_999);
    expect(server.connectionCount).toBe(2);
    clock.advance(1);
    await Promise.all([halfDone, idleDone]);
    await until(() => server.connectionCount === 0, 'both closed');
    expect(rec.of('tvs.connection.closed').map((c) => c.reason)).toEqual(['idle-timeout', 'idle-timeout']);
    expect((await verify()).kind).toBe('vouched');
  });

  it('closes a connection that trickles bytes to look busy once connectionTimeoutMs has passed', async () => {
    const clock = new CountingClock();
    const { server, port, rec } = await start({ clock, idleTimeoutMs: 1_000, connectionTimeoutMs: 5_000 });
    const s = await tlsOpen(port);
    s.setNoDelay(true);
    const done = drain(s);
    await until(() => rec.of('tvs.handshake').length === 1, 'handshake');
    const frame = Buffer.from(request);
    // Each byte that reaches the server re-arms its timer; wait for that before moving time.
    const trickle = async (i: number): Promise<void> => {
      const before = clock.armed;
      s.write(frame.subarray(i, i + 1));
      await until(() => clock.armed > before, `byte ${i} to reach the server`);
    };
    for (let i = 0; i < 5; i++) {
      await trickle(i);
      clock.advance(999); // never idle for 1 000 ms
      expect(server.connectionCount).toBe(1);
    }
    await trickle(5); // at 4 995 ms: the idle deadline would be 5 995, past the 5 000 limit
    clock.advance(100);
    await done;
    await until(() => rec.of('tvs.connection.closed').length === 1, 'closed event');
    expect(rec.of('tvs.connection.closed')[0]!.reason).toBe('connection-timeout');
  });

  it('answers the first request only, even when a client sends two in one write', async () => {
    const { port, rec } = await start();
    const s = await tlsOpen(port);
    const done = drain(s);
    s.write(Buffer.concat([request, request]));
    const got = await done;
    const answer = parseTvsResponse(decodeTvsMessage(new Uint8Array(got)));
    expect(answer).toMatchObject({ command: 2, sessionId: 3, status: 1 });
    expect(rec.of('tvs.request')).toHaveLength(1);
  });

  it('still answers a client that half-closes right after its request', async () => {
    const { port } = await start();
    const s = await tlsOpen(port);
    const done = drain(s);
    s.end(request);
    const answer = parseTvsResponse(decodeTvsMessage(new Uint8Array(await done)));
    expect(answer.status).toBe(1);
  });

  it('serves 100 simultaneous verifications mixed with garbage, and the connection count returns to zero', async () => {
    const { server, port, rec } = await start();
    const verify = () => tvsVerify({ members: [{ host: '127.0.0.1', port }], trustedTvs: [tvs.der], certificate: signer.der, deviceName: DEVICE });
    const garbage = Array.from({ length: 20 }, async () => {
      const s = await rawOpen(port);
      const d = drain(s);
      s.end('\x00\x01garbage');
      return d;
    });
    const outcomes = await Promise.all(Array.from({ length: 100 }, verify));
    await Promise.all(garbage);
    expect(outcomes.filter((o) => o.kind === 'vouched')).toHaveLength(100);
    await until(() => server.connectionCount === 0, 'all connections closed');
    expect(rec.of('tvs.verify.result')).toHaveLength(100);
    const reasons = rec.of('tvs.connection.closed').map((c) => c.reason);
    expect(reasons.filter((r) => r === 'answered')).toHaveLength(100);
    expect(reasons).toHaveLength(120);
  });

  it('drops connections past maxConnections on accept, and serves again once they go', async () => {
    const { server, port, rec, verify } = await start({ maxConnections: 2 });
    const held = [await tlsOpen(port), await tlsOpen(port)];
    await until(() => server.connectionCount === 2, 'two held');
    const dropped = nextEvent(rec.bus, 'tvs.connection.closed', (e) => e.reason === 'too-many-connections');
    expect((await verify()).kind).toBe('handshake-failed');
    await dropped;
    held.forEach((s) => s.destroy());
    await until(() => server.connectionCount === 0, 'held connections gone');
    expect((await verify()).kind).toBe('vouched');
  });

  it('destroys live connections on close() and resolves with none left', async () => {
    const { server, port, rec } = await start();
    const sockets = await Promise.all([tlsOpen(port), tlsOpen(port), rawOpen(port)]);
    const closed = sockets.map(drain);
    await until(() => server.connectionCount === 3, 'three open');
    await server.close();
    expect(server.connectionCount).toBe(0);
    await Promise.all(closed);
    expect(rec.of('tvs.connection.closed').map((c) => c.reason)).toEqual(['server-closing', 'server-closing', 'server-closing']);
    expect(rec.of('tvs.closed')).toHaveLength(1);
  });
});
