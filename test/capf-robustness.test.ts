import { connect as tcpConnect, type Socket } from 'node:net';
import { connect } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCapfClient } from '../src/capf/index.js';
import type { KeyPair, KeySpec } from '../src/pki/index.js';
import { ManualClock } from '../src/shared/clock.js';
import { CapfCommand, CapfFramer, CapfServer, capfMessage, encodeCapfMessage, type CapfServerOptions } from '../src/capf/index.js';
import { startTestCapf, TestCapfAuthority } from './capf-authority.js';
import { testKey } from './helpers/pki.js';
import { until } from './sip-helpers.js';
import { DEVICE, labPki, type LabPki } from './sip-pki.js';

/**
 * CAPF under hostile or slow peers (issue 5, item 7) and its lifecycle: garbage before and after
 * the handshake, half-open TLS, a phone that never finishes key generation, many sessions at
 * once, close() with sessions in flight. Timeouts run on a ManualClock; assertions are on
 * counters and events.
 */
let pki: LabPki;
const servers: CapfServer[] = [];

beforeAll(async () => {
  pki = await labPki();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const start = (extra: Partial<CapfServerOptions> = {}) => startTestCapf(pki, servers, extra);

function raw(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
  });
}

const keySource = (spec: KeySpec): Promise<KeyPair> => testKey(`phone-${JSON.stringify(spec)}`, spec);

describe('garbage', () => {
  it('plaintext instead of TLS is a capf.error; the server keeps serving', async () => {
    const { server, events, port } = await start();
    const s = await raw(port);
    s.on('error', () => undefined);
    s.write('GET / HTTP/1.1\r\n\r\n');
    await new Promise((r) => s.once('close', r));
    expect(events.some((e) => e.type === 'capf.error')).toBe(true);
    expect((await runCapfClient({ host: '127.0.0.1', port, deviceName: DEVICE, capfRecords: [pki.capf.der], auth: { mode: 'null-string' }, keySource })).status).toBe('installed');
    await until(() => server.connections === 0, 'drain');
  });

  it('garbage after the handshake ends the session with END_SESSION 7 ("malformed message")', async () => {
    const { server, events, port } = await start();
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    const framer = new CapfFramer();
    const got: number[] = [];
    s.on('data', (d: Buffer) => got.push(...framer.push(d).map((m) => m.command)));
    await new Promise((r) => s.once('secureConnect', r));
    s.write(Buffer.from('0123456789abcdef'));
    await new Promise((r) => s.once('close', r));
    expect(got).toEqual([1, 15]);
    expect(events.find((e) => e.type === 'capf.refused')).toMatchObject({ reason: 'malformed message', detail: expect.stringContaining('CAPF_BAD_PROTOCOL') });
    await until(() => server.connections === 0, 'drain');
  });
});

describe('slow and half-open peers (ManualClock)', () => {
  it('a TCP connection that never completes TLS is dropped after the idle timeout', async () => {
    const clock = new ManualClock();
    const { server, events, port } = await start({ clock, idleTimeoutMs: 10_000 });
    const s = await raw(port);
    await until(() => server.connections === 1, 'tracked');
    clock.advance(9_999);
    expect(server.connections).toBe(1);
    clock.advance(1);
    await new Promise((r) => (s.destroyed ? r(undefined) : s.once('close', r)));
    await until(() => server.connections === 0, 'drain');
    expect(server.stats.idleClosed).toBe(1);
    expect(events.find((e) => e.type === 'capf.error')).toMatchObject({ code: 'IDLE_TIMEOUT' });
  });

  it('a phone that never answers KEY_GEN_REQ is ended with 7 after the key-generation timeout', async () => {
    const clock = new ManualClock();
    const { server, authority, events, port } = await start({ clock, keyGenTimeoutMs: 45 * 60_000 });
    // A hand-made phone: answers AUTH_REQ, then goes silent after KEY_GEN_REQ. The server arms
    // its wait when it sends KEY_GEN_REQ, so once the phone has it the deadline is fixed.
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    s.on('error', () => undefined);
    const framer = new CapfFramer();
    const got: number[] = [];
    s.on('data', (d: Buffer) => {
      for (const m of framer.push(d)) {
        got.push(m.command);
        if (m.command === CapfCommand.AuthReq) {
          s.write(encodeCapfMessage(capfMessage(CapfCommand.AuthResp, m.sessionId, { reason: 1, version: 3, deviceName: DEVICE, password: '' })));
        }
      }
    });
    await until(() => got.includes(CapfCommand.KeyGenReq), 'KEY_GEN_REQ');
    clock.advance(45 * 60_000 - 1);
    expect(events.some((e) => e.type === 'capf.end')).toBe(false);
    clock.advance(1);
    await until(() => got.includes(CapfCommand.EndSession), 'END_SESSION');
    expect(events.find((e) => e.type === 'capf.refused')).toMatchObject({ reason: 'timeout' });
    expect(events.find((e) => e.type === 'capf.end')).toMatchObject({ reason: 7, status: 'Upgrade Failed: Key Generation Timeout' });
    expect(authority.statuses.get(DEVICE)).toEqual(['Upgrade Failed: Key Generation Timeout']);
    s.destroy();
    await until(() => server.connections === 0, 'drain');
  });
});

describe('many sessions', () => {
  it('runs 40 simultaneous installs and returns to zero tracked connections', async () => {
    const { server, authority, port } = await start();
    const names = Array.from({ length: 40 }, (_, i) => `SEP0000000000${i.toString(16).padStart(2, '0').toUpperCase()}`);
    for (const n of names) authority.devices.set(n, { authMode: 'null-string', operation: 'install', keySpec: { type: 'ec', curve: 'P-256' } });
    const outs = await Promise.all(names.map((n) => runCapfClient({ host: '127.0.0.1', port, deviceName: n, capfRecords: [pki.capf.der], auth: { mode: 'null-string' }, keySource })));
    expect(outs.filter((o) => o.status === 'installed')).toHaveLength(40);
    expect(new Set(outs.map((o) => (o.status === 'installed' ? o.sessionId : -1))).size).toBe(40);
    expect(authority.lscs.size).toBe(40);
    await until(() => server.connections === 0, 'drain');
    expect(server.stats).toMatchObject({ accepted: 40, open: 0 });
  });

  it('refuses a source over its share of maxConnections; at the cap a newcomer evicts the oldest connection', async () => {
    const { server, events, port } = await start({ maxConnections: 2 });
    // One source may hold half the slots.
    const first = await raw(port);
    first.on('error', () => undefined);
    await until(() => server.connections === 1, 'one tracked');
    const second = await raw(port);
    second.on('error', () => undefined);
    await new Promise((r) => (second.destroyed ? r(undefined) : second.once('close', r)));
    expect(server.stats.rejected).toBe(1);
    expect(events.some((e) => e.type === 'capf.refused' && e.reason === 'too many connections')).toBe(true);
    // A second source fills the cap; a third evicts the oldest (first), which never completed a message.
    const other = await rawFrom(port, '127.0.0.2');
    await until(() => server.connections === 2, 'two tracked');
    const third = await rawFrom(port, '127.0.0.3');
    await new Promise((r) => (first.destroyed ? r(undefined) : first.once('close', r)));
    await until(() => server.stats.evicted === 1, 'one evicted');
    expect(server.connections).toBe(2);
    [other, third].forEach((s) => s.destroy());
  });
});

describe('lifecycle', () => {
  it('close() with a session waiting for the phone ends it, and is idempotent', async () => {
    const { server, port } = await start();
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    await new Promise((r) => s.once('secureConnect', r));
    await until(() => server.connections === 1, 'tracked');
    const a = server.close();
    expect(server.close()).toBe(a);
    await a;
    expect(server.state).toBe('closed');
    expect(server.connections).toBe(0);
    await expect(server.listen()).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('an abort signal closes a listening server', async () => {
    const authority = new TestCapfAuthority({ certPem: pki.capf.certPem, keyPem: pki.capf.keyPem });
    const ac = new AbortController();
    const server = new CapfServer({ authority, port: 0 });
    servers.push(server);
    await server.listen({ signal: ac.signal });
    ac.abort();
    await until(() => server.state === 'closed', 'closed by the signal');
  });

  it('validates options', () => {
    const authority = new TestCapfAuthority({ certPem: '', keyPem: '' });
    expect(() => new CapfServer({ authority, keyGenTimeoutMs: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new CapfServer({ authority, port: 1e6 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

function rawFrom(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host: '127.0.0.1', port, localAddress }, () => resolve(s));
    s.on('error', reject);
  });
}
