import { connect as tcpConnect, type Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/shared/events.js';
import { SipRegistrar, type SipEvent, type SipRegistrarOptions } from '../../src/sip/index.js';
import { DEVICE, labPki, testLeaf, type LabPki, type TestCert } from '../sip-pki.js';
import { registerText, statusOf, TestRegistrarPolicy, tlsSend, until } from '../sip-helpers.js';

/**
 * Issue 15 §2, SIP lockout without credentials. Before: 4,100 idle plain-TCP connections to
 * 5060 (no bytes at all) filled the 4,096 connections 5060 and 5061 shared, and a trusted
 * phone's TLS REGISTER on 5061 was refused for 300 s — indefinitely with a byte trickled now and
 * then. Now each listener has its own budget, one address its share, the first request a
 * deadline that trickled bytes do not extend, and a newcomer at the cap evicts the oldest
 * connection that never completed a request. The caps here are small (64) so that the attack
 * fits any file-descriptor limit; the rules are the same at 4,096.
 */
let pki: LabPki;
let lsc: TestCert;
const open: SipRegistrar[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  pki = await labPki();
  lsc = await testLeaf(DEVICE, pki.capf, { label: 'phone-lsc' });
});

afterEach(async () => {
  sockets.splice(0).forEach((s) => s.destroy());
  await Promise.all(open.splice(0).map((r) => r.close()));
});

async function start(extra: Partial<SipRegistrarOptions> = {}) {
  const policy = new TestRegistrarPolicy({ rsa: { certPem: pki.callManager.certPem, keyPem: pki.callManager.keyPem } }, [pki.capf.certPem]);
  policy.devices.set(DEVICE, { profile: 'encrypted' });
  const events: SipEvent[] = [];
  const bus = new EventBus<SipEvent>();
  bus.onAny((e) => events.push(e));
  const registrar = new SipRegistrar({ policy, tlsPort: 0, tcpPort: 0, events: bus, maxConnections: 64, ...extra });
  open.push(registrar);
  const tls = (await registrar.listen()).port;
  return { registrar, events, tls, tcp: registrar.addresses.tcp!.port };
}

/** Opens `n` idle TCP connections from `localAddress`; resolves when each has connected or been refused. */
async function flood(port: number, n: number, localAddress = '127.0.0.1'): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port, localAddress }, () => resolve());
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    sockets.push(s);
  })));
}

const register = async (port: number) => tlsSend(port, { cert: lsc.certPem, key: lsc.keyPem }, registerText(DEVICE));

describe('attack: SIP connection lockout', () => {
  it('idle connections flooding 5060 leave 5061 alone: a trusted phone registers during the flood', async () => {
    const { registrar, tls, tcp } = await start();
    await flood(tcp, 100);
    await until(() => registrar.stats.accepted + registrar.stats.rejected >= 100, 'the flood to be accepted or refused');
    const r = await register(tls);
    expect(r.ok && statusOf(r.response)).toBe(200);
  });

  it('idle connections from several addresses filling 5061 are evicted, oldest first, for a phone that registers', async () => {
    const { registrar, tls, events } = await start();
    for (const a of ['127.0.1.1', '127.0.1.2', '127.0.1.3']) await flood(tls, 40, a);
    await until(() => registrar.stats.accepted + registrar.stats.rejected === 120, 'the flood to be accepted or refused');
    expect(registrar.connections).toBe(64);
    expect(registrar.stats.rejected).toBe(24); // each address holds at most half the cap: 8 of its 40 refused
    expect(registrar.stats.evicted).toBe(32); // the third address's 32 evicted the oldest idle ones
    for (let i = 0; i < 3; i++) {
      const r = await register(tls);
      expect(r.ok && statusOf(r.response)).toBe(200);
    }
    expect(registrar.stats.evicted).toBeGreaterThanOrEqual(33);
    expect(events.filter((e) => e.type === 'sip.refused' && e.reason === 'evicted').length).toBe(registrar.stats.evicted);
  });

  it('a connection trickling a request head byte by byte is closed at the first-request deadline, however often it sends', async () => {
    const { registrar, tcp, events } = await start({ firstRequestTimeoutMs: 300 });
    const s = tcpConnect({ host: '127.0.0.1', port: tcp });
    sockets.push(s);
    s.on('error', () => undefined);
    const text = registerText('SEP0000000000AA');
    let i = 0;
    const trickle = setInterval(() => {
      if (!s.destroyed && i < text.length - 4) s.write(text[i++]!);
    }, 20);
    try {
      await new Promise((r) => s.once('close', r));
    } finally {
      clearInterval(trickle);
    }
    expect(i).toBeGreaterThan(3);
    expect(i).toBeLessThan(text.length - 4);
    await until(() => registrar.connections === 0, 'the connection to be dropped');
    expect(registrar.stats.idleClosed).toBe(1);
    expect(events.some((e) => e.type === 'sip.idle')).toBe(true);
  });
});
