import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/shared/clock.js';
import { EventBus } from '../src/shared/events.js';
import { SipRegistrar, type SipEvent, type SipRegistrarOptions } from '../src/sip/index.js';
import { DEVICE, labPki, testLeaf, type LabPki, type TestCert } from './sip-pki.js';
import { registerText, statusOf, tcpSend, TestRegistrarPolicy, tlsSend, until } from './sip-helpers.js';

/**
 * The registrar under hostile or sloppy peers (issue 5, item 7): garbage, half-open TLS, idle
 * connections, oversize messages, many connections at once, the connection cap, and the
 * lifecycle. Assertions are on tracked-connection counters and events, never on elapsed time;
 * timeouts run on a ManualClock.
 */
let pki: LabPki;
let lsc: TestCert;
const open: SipRegistrar[] = [];

beforeAll(async () => {
  pki = await labPki();
  lsc = await testLeaf(DEVICE, pki.capf, { label: 'phone-lsc' });
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

async function start(extra: Partial<SipRegistrarOptions> = {}) {
  const policy = new TestRegistrarPolicy({ rsa: { certPem: pki.callManager.certPem, keyPem: pki.callManager.keyPem } }, [pki.capf.certPem]);
  policy.devices.set(DEVICE, { profile: 'encrypted' });
  policy.devices.set('SEP0000000000AA', { profile: 'non-secure' });
  const events: SipEvent[] = [];
  const bus = new EventBus<SipEvent>();
  bus.onAny((e) => events.push(e));
  const registrar = new SipRegistrar({ policy, tlsPort: 0, tcpPort: 0, events: bus, ...extra });
  open.push(registrar);
  const tls = (await registrar.listen()).port;
  return { registrar, policy, events, tls, tcp: registrar.addresses.tcp!.port };
}

const phone = () => ({ cert: lsc.certPem, key: lsc.keyPem });

function raw(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
  });
}

const closed = (s: Socket): Promise<void> => new Promise((r) => (s.destroyed ? r() : s.once('close', () => r())));

describe('garbage', () => {
  it('plaintext on 5061 fails the handshake; the next phone still registers', async () => {
    const { registrar, events, tls } = await start();
    const s = await raw(tls);
    s.on('error', () => undefined);
    s.write(registerText(DEVICE));
    await closed(s);
    expect(events.find((e) => e.type === 'sip.refused')).toMatchObject({ stage: 'tls' });
    const r = await tlsSend(tls, phone(), registerText(DEVICE));
    expect(r.ok && statusOf(r.response)).toBe(200);
    await until(() => registrar.connections === 0, 'connections to drain');
  });

  it('random bytes inside a good TLS session close it with a "malformed request" event', async () => {
    const { registrar, events, tls } = await start();
    const r = await tlsSend(tls, phone(), Uint8Array.from([0x41, 0x00, ...randomBytes(62)]));
    expect(r.ok).toBe(false);
    expect(events.find((e) => e.type === 'sip.refused' && e.stage === 'sip')).toMatchObject({ reason: expect.stringMatching(/malformed request|message too large/) });
    await until(() => registrar.connections === 0, 'connections to drain');
  });

  it('random bytes on 5060 never crash the server', async () => {
    const { registrar, tcp } = await start();
    await Promise.all(Array.from({ length: 20 }, () => tcpSend(tcp, Uint8Array.from([0x7f, ...randomBytes(299)]))));
    const ok = await tcpSend(tcp, registerText('SEP0000000000AA', { transport: 'TCP' }));
    expect(ok.ok && statusOf(ok.response)).toBe(200);
    await until(() => registrar.connections === 0, 'connections to drain');
  });
});

describe('oversize messages (RFC 3261 §21.5.9)', () => {
  it('a declared body over the cap is answered 513 Message Too Large and the connection closed', async () => {
    const { events, tcp } = await start({ limits: { maxBodyBytes: 1024 } });
    const big = registerText('SEP0000000000AA', { transport: 'TCP' }).replace('Content-Length: 0', 'Content-Length: 1000000');
    const r = await tcpSend(tcp, big);
    expect(r.ok && statusOf(r.response)).toBe(513);
    expect(events.find((e) => e.type === 'sip.refused')).toMatchObject({ reason: 'message too large', status: 513 });
  });

  it('a head that never ends is cut off at the cap without buffering the rest', async () => {
    const { registrar, events, tcp } = await start({ limits: { maxHeaderBytes: 2048 } });
    const s = await raw(tcp);
    s.on('error', () => undefined);
    s.write(`REGISTER sip:x SIP/2.0\r\nX-Junk: ${'a'.repeat(64 * 1024)}`);
    await closed(s);
    expect(events.find((e) => e.type === 'sip.refused')).toMatchObject({ reason: 'message too large' });
    await until(() => registrar.connections === 0, 'connections to drain');
  });
});

describe('half-open and idle connections (ManualClock)', () => {
  it('a TCP connection that never starts TLS is dropped at the handshake deadline', async () => {
    const clock = new ManualClock();
    const { registrar, events, tls } = await start({ clock, handshakeTimeoutMs: 5_000, idleTimeoutMs: 60_000 });
    const s = await raw(tls);
    const partial = await raw(tls);
    partial.write(Uint8Array.of(22, 3, 1, 0, 200, 1, 0, 0, 196, 3, 3));
    await until(() => registrar.connections === 2, 'both connections to be tracked');
    clock.advance(4_999);
    expect(registrar.connections).toBe(2);
    clock.advance(1);
    await Promise.all([closed(s), closed(partial)]);
    await until(() => registrar.connections === 0, 'connections to drain');
    expect(registrar.stats.idleClosed).toBe(2);
    expect(events.filter((e) => e.type === 'sip.refused' && e.reason === 'handshake timeout')).toHaveLength(2);
  });

  it('a registered phone that goes quiet is dropped after the idle timeout; traffic resets it', async () => {
    const clock = new ManualClock();
    const { registrar, events, tls } = await start({ clock, idleTimeoutMs: 60_000 });
    const s = connect({ host: '127.0.0.1', port: tls, rejectUnauthorized: false, ...phone() });
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('error', () => undefined);
    await new Promise((r) => s.once('secureConnect', r));
    s.write(registerText(DEVICE));
    await until(() => got.includes('\r\n\r\n'), 'the 200');
    clock.advance(59_000);
    s.write(registerText(DEVICE, { callId: 'again', cseq: 102 }));
    await until(() => got.split('SIP/2.0 200').length === 3, 'the second 200');
    clock.advance(59_000);
    expect(registrar.connections).toBe(1);
    clock.advance(1_000);
    await new Promise((r) => (s.destroyed ? r(undefined) : s.once('close', r)));
    await until(() => registrar.connections === 0, 'connections to drain');
    expect(events.some((e) => e.type === 'sip.idle')).toBe(true);
  });
});

describe('many connections', () => {
  it('serves 60 simultaneous mutual-TLS REGISTERs and returns to zero tracked connections', async () => {
    const { registrar, events, tls } = await start();
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => tlsSend(tls, phone(), registerText(DEVICE, { callId: `many-${i}` }))));
    expect(results.filter((r) => r.ok && statusOf(r.response) === 200)).toHaveLength(60);
    expect(events.filter((e) => e.type === 'sip.register')).toHaveLength(60);
    await until(() => registrar.connections === 0, 'connections to drain');
    expect(registrar.stats).toMatchObject({ accepted: 60, open: 0, rejected: 0 });
  });

  it('refuses a source over its share; at maxConnections a newcomer evicts the oldest connection that never completed a request', async () => {
    const { registrar, events, tls } = await start({ maxConnections: 3, maxPerSource: 2 });
    const held = await Promise.all([raw(tls), raw(tls)]);
    held.forEach((s) => s.on('error', () => undefined));
    await until(() => registrar.connections === 2, 'two tracked');
    const over = await raw(tls);
    over.on('error', () => undefined);
    await closed(over);
    expect(registrar.stats.rejected).toBe(1);
    expect(events.filter((e) => e.type === 'sip.refused' && e.reason === 'too many connections')).toHaveLength(1);
    // A phone from another address: the third slot. It registers and keeps its connection.
    const s = connect({ socket: tcpConnect({ host: '127.0.0.1', port: tls, localAddress: '127.0.0.2' }), rejectUnauthorized: false, ...phone() });
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('error', () => undefined);
    await new Promise((r) => s.once('secureConnect', r));
    s.write(registerText(DEVICE));
    await until(() => got.includes('SIP/2.0 200'), 'the 200');
    // The cap is reached; a fourth connection evicts the oldest idle one, never the phone.
    const fourth = await new Promise<Socket>((resolve) => {
      const c = tcpConnect({ host: '127.0.0.1', port: tls, localAddress: '127.0.0.3' }, () => resolve(c));
      c.on('error', () => undefined);
    });
    await closed(held[0]!);
    await until(() => registrar.stats.evicted === 1, 'one eviction');
    expect(events.filter((e) => e.type === 'sip.refused' && e.reason === 'evicted')).toHaveLength(1);
    expect(s.destroyed).toBe(false);
    [s, fourth, ...held].forEach((x) => x.destroy());
    await until(() => registrar.connections === 0, 'connections to drain');
  });
});

describe('lifecycle (conventions.md §8)', () => {
  it('listen() resolves with the TLS address; a second listen() is INVALID_STATE', async () => {
    const { registrar, tls } = await start();
    expect(registrar.addresses.tls?.port).toBe(tls);
    expect(registrar.state).toBe('listening');
    await expect(registrar.listen()).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('close() destroys live connections, waits for them, and is idempotent', async () => {
    const { registrar, tls } = await start();
    const s = connect({ host: '127.0.0.1', port: tls, rejectUnauthorized: false, ...phone() });
    s.on('error', () => undefined);
    await new Promise((r) => s.once('secureConnect', r));
    await until(() => registrar.connections === 1, 'tracked');
    const a = registrar.close();
    const b = registrar.close();
    expect(b).toBe(a);
    await a;
    expect(registrar.state).toBe('closed');
    expect(registrar.connections).toBe(0);
    await new Promise((r) => (s.destroyed ? r(undefined) : s.once('close', r)));
  });

  it('an abort signal closes a listening registrar; an already-aborted one refuses to listen', async () => {
    const policy = new TestRegistrarPolicy({ rsa: { certPem: pki.callManager.certPem, keyPem: pki.callManager.keyPem } }, []);
    const ac = new AbortController();
    const r = new SipRegistrar({ policy, tlsPort: 0, tcpPort: 0 });
    open.push(r);
    await r.listen({ signal: ac.signal });
    ac.abort();
    await until(() => r.state === 'closed', 'closed by the signal');
    const r2 = new SipRegistrar({ policy, tlsPort: 0, tcpPort: 0 });
    await expect(r2.listen({ signal: AbortSignal.abort() })).rejects.toBeDefined();
    expect(r2.state).toBe('idle');
  });

  it('validates options before binding anything', () => {
    const policy = new TestRegistrarPolicy({ rsa: { certPem: '', keyPem: '' } }, []);
    expect(() => new SipRegistrar({ policy, idleTimeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new SipRegistrar({ policy, tlsPort: 70000 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new SipRegistrar({ policy, limits: { maxHeaders: -1 } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
