import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { labPki, DEVICE, type LabPki } from '../../test/sip-pki.js';
import { until } from '../../test/sip-helpers.js';
import { ManualClock } from '../shared/clock.js';
import { CapfCommand, CapfCurve, CapfFramer, CapfKeyType, capfMessage, encodeCapfMessage, readCapfFields } from './index.js';
import { chooseCredential, requestedKeySpec, runCapfClient } from './client.js';

/**
 * The phone-side CAPF client against small in-test TLS peers (not the CapfServer): typed
 * outcomes for what a network or a broken server can do, and the phone's own choices.
 */
let pki: LabPki;
const servers: Server[] = [];

beforeAll(async () => {
  pki = await labPki();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A TLS server with the CAPF certificate that runs `onSecure` for each connection. */
async function peer(onSecure: (s: TLSSocket) => void): Promise<number> {
  const server = createServer({ cert: pki.capf.certPem, key: pki.capf.keyPem }, onSecure);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

const base = { host: '127.0.0.1', deviceName: DEVICE, auth: { mode: 'null-string' as const } };

describe('runCapfClient outcomes', () => {
  it('connection-failed when nothing listens', async () => {
    const probe = createTcpServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    expect(await runCapfClient({ ...base, port, capfRecords: [pki.capf.der] })).toMatchObject({ status: 'connection-failed', code: 'ECONNREFUSED' });
  });

  it('server-not-trusted when the certificate is in no CAPF record, before sending anything', async () => {
    let received = 0;
    const port = await peer((s) => {
      s.on('data', (d: Buffer) => (received += d.length));
      s.write(encodeCapfMessage(capfMessage(CapfCommand.AuthReq, 1, { version: 3, authType: 0 })));
    });
    const out = await runCapfClient({ ...base, port, capfRecords: [pki.otherCapf.der] });
    expect(out.status).toBe('server-not-trusted');
    expect(received).toBe(0);
  });

  it('timeout (on the injected clock) when the server never speaks', async () => {
    const clock = new ManualClock();
    let connected = false;
    const port = await peer(() => (connected = true));
    const pending = runCapfClient({ ...base, port, capfRecords: [pki.capf.der], clock, timeoutMs: 10_000 });
    await until(() => connected, 'the TLS connection');
    await new Promise((r) => setImmediate(r));
    await until(() => clock.pending > 0, 'the client to wait');
    clock.advance(10_000);
    expect(await pending).toEqual({ status: 'timeout', waitingFor: 'AUTH_REQ' });
  });

  it('protocol-error for garbage, a wrong VERSION, or a changed session id', async () => {
    const garbage = await peer((s) => s.write('hello, phone'));
    expect(await runCapfClient({ ...base, port: garbage, capfRecords: [pki.capf.der] })).toMatchObject({ status: 'protocol-error', detail: expect.stringContaining('CAPF_BAD_PROTOCOL') });
    const v2 = await peer((s) => s.write(encodeCapfMessage(capfMessage(CapfCommand.AuthReq, 1, { version: 2 }))));
    expect(await runCapfClient({ ...base, port: v2, capfRecords: [pki.capf.der] })).toMatchObject({ status: 'protocol-error', detail: 'server VERSION 2' });
    const sid = await peer((s) => {
      s.write(encodeCapfMessage(capfMessage(CapfCommand.AuthReq, 1, { version: 3 })));
      s.once('data', () => s.write(encodeCapfMessage(capfMessage(CapfCommand.EndSession, 2, { reason: 0 }))));
    });
    expect(await runCapfClient({ ...base, port: sid, capfRecords: [pki.capf.der] })).toMatchObject({ status: 'protocol-error', detail: 'session id 2 ≠ 1' });
  });

  it('answers a key request it cannot make (P-521) with a KEY_GEN_RESP without a key', async () => {
    const seen: Array<{ command: number; publicKey: boolean; reason?: number }> = [];
    const port = await peer((s) => {
      const framer = new CapfFramer();
      s.write(encodeCapfMessage(capfMessage(CapfCommand.AuthReq, 5, { version: 3 })));
      s.on('data', (d: Buffer) => {
        for (const m of framer.push(d)) {
          const f = readCapfFields(m);
          seen.push({ command: m.command, publicKey: f.publicKey !== undefined, ...(f.reason !== undefined ? { reason: f.reason } : {}) });
          if (m.command === CapfCommand.AuthResp) s.write(encodeCapfMessage(capfMessage(CapfCommand.KeyGenReq, 5, { keyType: CapfKeyType.Ec, curve: CapfCurve.P521 })));
          if (m.command === CapfCommand.KeyGenResp) s.write(encodeCapfMessage(capfMessage(CapfCommand.EndSession, 5, { reason: 7 })));
        }
      });
    });
    expect(await runCapfClient({ ...base, port, capfRecords: [pki.capf.der] })).toMatchObject({ status: 'refused', reason: 'invalid-element', endReason: 7 });
    expect(seen).toEqual([
      { command: CapfCommand.AuthResp, publicKey: false, reason: 1 },
      { command: CapfCommand.RequestInProgress, publicKey: false },
      { command: CapfCommand.KeyGenResp, publicKey: false, reason: 7 },
    ]);
  });

  it('aborted when the signal fires', async () => {
    const port = await peer(() => undefined);
    const ac = new AbortController();
    const pending = runCapfClient({ ...base, port, capfRecords: [pki.capf.der], signal: ac.signal });
    setImmediate(() => ac.abort());
    expect(await pending).toEqual({ status: 'aborted' });
    expect(await runCapfClient({ ...base, port, capfRecords: [pki.capf.der], signal: AbortSignal.abort() })).toEqual({ status: 'aborted' });
  });
});

describe('phone choices', () => {
  const lsc = { certificate: Uint8Array.of(1), privateKey: undefined as never };
  const mic = { certificate: Uint8Array.of(2), privateKey: undefined as never };

  it('picks the certificate by precedence (CAPF-2)', () => {
    expect(chooseCredential({ mode: 'existing-lsc' }, lsc, mic)?.type).toBe('LSC');
    expect(chooseCredential({ mode: 'existing-lsc' }, undefined, mic)?.type).toBe('MIC');
    expect(chooseCredential({ mode: 'existing-mic' }, lsc, mic)?.type).toBe('MIC');
    expect(chooseCredential({ mode: 'existing-mic' }, lsc)?.type).toBe('LSC');
    expect(chooseCredential({ mode: 'null-string' }, lsc, mic)).toBeUndefined();
  });

  it('maps KEY_GEN_REQ to a key spec', () => {
    expect(requestedKeySpec({ keyType: 0, keySize: 3072 })).toEqual({ type: 'rsa', bits: 3072 });
    expect(requestedKeySpec({ keyType: 0, keySize: 512 })).toBeUndefined();
    expect(requestedKeySpec({ keyType: 1, curve: 1 })).toEqual({ type: 'ec', curve: 'P-384' });
    expect(requestedKeySpec({ keyType: 1, curve: 2 })).toBeUndefined();
  });
});
