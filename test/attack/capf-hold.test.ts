import { connect, type TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CapfCommand, CapfFramer, capfMessage, encodeCapfMessage, runCapfClient, type CapfServer, type CapfServerOptions } from '../../src/capf/index.js';
import type { KeyPair, KeySpec } from '../../src/pki/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { startTestCapf } from '../capf-authority.js';
import { testKey } from '../helpers/pki.js';
import { until } from '../sip-helpers.js';
import { DEVICE, labPki, type LabPki } from '../sip-pki.js';

/**
 * Issue 15 §8: CAPF could hold a connection for 45 minutes after KEY_GEN_REQ, and a peer that
 * sent REQUEST_IN_PROGRESS now and then held it for ever (each one restarted the wait). Each
 * session state now has its own bound, the key-generation wait is one deadline for the whole
 * state, and a device has one session at a time: a newer authenticated session supersedes the
 * older one, so a legitimate phone that reconnects is served at once.
 */
let pki: LabPki;
const servers: CapfServer[] = [];
const sockets: TLSSocket[] = [];
const KEYGEN = 45 * 60_000;

beforeAll(async () => {
  pki = await labPki();
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const start = (extra: Partial<CapfServerOptions> = {}) => startTestCapf(pki, servers, extra);

/** A hand-made phone that authenticates, then stalls in key generation; it records commands. */
function stallingPhone(port: number): { got: number[]; sessionId: () => number; socket: TLSSocket } {
  const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  sockets.push(s);
  s.on('error', () => undefined);
  const framer = new CapfFramer();
  const got: number[] = [];
  let id = -1;
  s.on('data', (d: Buffer) => {
    for (const m of framer.push(d)) {
      got.push(m.command);
      id = m.sessionId;
      if (m.command === CapfCommand.AuthReq) s.write(encodeCapfMessage(capfMessage(CapfCommand.AuthResp, m.sessionId, { reason: 1, version: 3, deviceName: DEVICE, password: '' })));
    }
  });
  return { got, sessionId: () => id, socket: s };
}

const keySource = (spec: KeySpec): Promise<KeyPair> => testKey(`phone-${JSON.stringify(spec)}`, spec);

describe('attack: CAPF sessions are bounded per state', () => {
  it('REQUEST_IN_PROGRESS does not extend the key-generation wait', async () => {
    const clock = new ManualClock();
    const { server, events, port } = await start({ clock, keyGenTimeoutMs: KEYGEN });
    const phone = stallingPhone(port);
    await until(() => phone.got.includes(CapfCommand.KeyGenReq), 'KEY_GEN_REQ');
    // At 40 minutes the peer says it is still working, which used to restart the 45-minute wait.
    clock.advance(40 * 60_000);
    phone.socket.write(encodeCapfMessage(capfMessage(CapfCommand.RequestInProgress, phone.sessionId(), {})));
    await new Promise((r) => setTimeout(r, 100));
    expect(events.some((e) => e.type === 'capf.end')).toBe(false);
    clock.advance(KEYGEN - 40 * 60_000);
    await until(() => phone.got.includes(CapfCommand.EndSession), 'END_SESSION at the state deadline');
    expect(events.find((e) => e.type === 'capf.end')).toMatchObject({ reason: 7, status: 'Upgrade Failed: Key Generation Timeout' });
    phone.socket.destroy();
    await until(() => server.connections === 0, 'drain');
  });

  it('a newer session of the same device supersedes a stalled one, and the phone is served', async () => {
    const { server, authority, events, port } = await start({ keyGenTimeoutMs: KEYGEN });
    const stale = [stallingPhone(port), stallingPhone(port), stallingPhone(port)];
    await until(() => stale.every((p) => p.got.includes(CapfCommand.KeyGenReq)), 'three sessions in key generation');
    // Each newer one superseded the one before: one session per device holds a slot.
    await until(() => events.filter((e) => e.type === 'capf.refused' && e.reason === 'superseded').length === 2, 'two superseded');
    await until(() => server.connections === 1, 'the superseded connections closed');
    const r = await runCapfClient({ host: '127.0.0.1', port, deviceName: DEVICE, capfRecords: [pki.capf.der], auth: { mode: 'null-string' }, keySource });
    expect(r.status).toBe('installed');
    expect(events.filter((e) => e.type === 'capf.refused' && e.reason === 'superseded')).toHaveLength(3);
    // Superseded sessions record no failure status of their own: the device's log shows the install.
    expect(authority.statuses.get(DEVICE)).toEqual(['Upgrade Success']);
    await until(() => server.connections === 0, 'drain');
  });
});
