import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCapfClient, type CapfClientOptions } from '../src/capf/index.js';
import type { KeySpec } from '../src/pki/index.js';
import { EventBus } from '../src/shared/events.js';
import { CapfServer, type CapfEvent } from '../src/capf/index.js';
import { TestCapfAuthority } from './capf-authority.js';
import { testKey } from './helpers/pki.js';
import { DEVICE, labPki, testLeaf, type LabPki } from './sip-pki.js';

/**
 * The CAPF server (formats.md §5, phone-behaviour.md §11) driven by the phone-side client over
 * real TLS on 127.0.0.1: every auth mode, every operation, the refusals, and identity changes
 * between connections.
 */
let pki: LabPki;
let authority: TestCapfAuthority;
let server: CapfServer;
let port: number;
const events: CapfEvent[] = [];
const keySource = (spec: KeySpec) => testKey(`phone-${JSON.stringify(spec)}`, spec);

beforeAll(async () => {
  pki = await labPki();
  authority = new TestCapfAuthority({ certPem: pki.capf.certPem, keyPem: pki.capf.keyPem }, [pki.mfgRoot.certPem, pki.mfgSub.certPem]);
  const bus = new EventBus<CapfEvent>();
  bus.onAny((e) => events.push(e));
  server = new CapfServer({ authority, port: 0, events: bus });
  port = (await server.listen()).port;
});

afterAll(() => server.close());

beforeEach(() => {
  events.length = 0;
  authority.id = { certPem: pki.capf.certPem, keyPem: pki.capf.keyPem };
  authority.devices.clear();
  authority.lscs.clear();
  authority.statuses.clear();
  authority.failIssue = false;
});

function client(extra: Partial<CapfClientOptions> = {}): Promise<Awaited<ReturnType<typeof runCapfClient>>> {
  return runCapfClient({ host: '127.0.0.1', port, deviceName: DEVICE, capfRecords: [pki.capf.der], auth: { mode: 'null-string' }, keySource, ...extra });
}

const of = <T extends CapfEvent['type']>(type: T) => events.filter((e): e is Extract<CapfEvent, { type: T }> => e.type === type);

describe('CAPF install (KEY_GEN_REQ → STORE_CERT_REQ)', () => {
  it('issues an RSA-2048 LSC by null string, signed by the CAPF certificate, and records it', async () => {
    authority.devices.set(DEVICE, { authMode: 'null-string', operation: 'install', keySpec: { type: 'rsa', bits: 2048 } });
    const out = await client();
    expect(out.status).toBe('installed');
    if (out.status !== 'installed') return;
    expect(out.endReason).toBe(1);
    const lsc = new X509Certificate(out.lsc);
    expect(lsc.verify(pki.capf.keys.publicKey)).toBe(true);
    expect(lsc.subject.split('\n')[0]).toBe(`CN=${DEVICE}`);
    expect(lsc.publicKey.export({ type: 'spki', format: 'der' })).toEqual(out.keys.publicKey.export({ type: 'spki', format: 'der' }));
    expect(authority.lscs.get(DEVICE)).toEqual(out.lsc);
    expect(authority.statuses.get(DEVICE)).toEqual(['Upgrade Success']);
    expect(of('capf.session')[0]).toMatchObject({ deviceName: DEVICE, authMode: 'null-string', operation: 'install' });
    expect(of('capf.issued')[0]).toMatchObject({ deviceName: DEVICE, keySpec: { type: 'rsa', bits: 2048 } });
    expect(of('capf.end')[0]).toMatchObject({ reason: 1, status: 'Upgrade Success' });
    expect(of('capf.error')).toEqual([]);
    expect(of('capf.refused')).toEqual([]);
  });

  it('asks for EC P-384 with KEY_TYPE 1 / CURVE 1 and the phone\'s key source supplies it', async () => {
    authority.devices.set(DEVICE, { authMode: 'null-string', operation: 'install', keySpec: { type: 'ec', curve: 'P-384' } });
    const asked: KeySpec[] = [];
    const out = await client({ keySource: (spec) => (asked.push(spec), keySource(spec)) });
    expect(asked).toEqual([{ type: 'ec', curve: 'P-384' }]);
    expect(out.status).toBe('installed');
    if (out.status === 'installed') expect(new X509Certificate(out.lsc).publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
  });

  it('refuses a public key of the wrong size (END_SESSION 7, key mismatch)', async () => {
    authority.devices.set(DEVICE, { authMode: 'null-string', operation: 'install', keySpec: { type: 'rsa', bits: 2048 } });
    const out = await client({ keySource: () => testKey('phone-small', { type: 'rsa', bits: 1024 }) });
    expect(out).toMatchObject({ status: 'refused', reason: 'invalid-element', endReason: 7 });
    expect(of('capf.refused')[0]).toMatchObject({ reason: 'key mismatch' });
    expect(authority.lscs.has(DEVICE)).toBe(false);
    expect(authority.statuses.get(DEVICE)).toEqual(['Upgrade Failed: Key Generation Failed']);
  });

  it('reports a CA failure as CA Communication Failure', async () => {
    authority.devices.set(DEVICE, { authMode: 'null-string', operation: 'install', keySpec: { type: 'rsa', bits: 2048 } });
    authority.failIssue = true;
    expect(await client()).toMatchObject({ status: 'refused', endReason: 7 });
    expect(authority.statuses.get(DEVICE)).toEqual(['Upgrade Failed: CA Communication Failure']);
  });
});

describe('CAPF authentication modes (CAPF-2)', () => {
  it('by authentication string: the right string passes, a wrong one ends with 7', async () => {
    authority.devices.set(DEVICE, { authMode: 'auth-string', authString: '123456', operation: 'install', keySpec: { type: 'rsa', bits: 2048 } });
    expect((await client({ auth: { mode: 'auth-string', authString: '123456' } })).status).toBe('installed');
    events.length = 0;
    const bad = await client({ auth: { mode: 'auth-string', authString: '654321' } });
    expect(bad).toMatchObject({ status: 'refused', reason: 'invalid-element', endReason: 7 });
    expect(of('capf.refused')[0]).toMatchObject({ reason: 'invalid authentication string', deviceName: DEVICE });
    expect(authority.statuses.get(DEVICE)?.at(-1)).toBe('Upgrade Failed: Invalid Authentication String');
  });

  it('an unknown device gets END_SESSION 9', async () => {
    const out = await client();
    expect(out).toMatchObject({ status: 'refused', reason: 'unknown-device', endReason: 9 });
    expect(of('capf.refused')[0]).toMatchObject({ reason: 'unknown device', deviceName: DEVICE });
  });

  it('by existing MIC: a MIC chaining to CAPF-trust passes, with SUDI data too', async () => {
    authority.devices.set(DEVICE, { authMode: 'existing-mic', operation: 'none', keySpec: { type: 'rsa', bits: 2048 } });
    const mic = { certificate: pki.mic.der, privateKey: pki.mic.keys.privateKey };
    expect(await client({ auth: { mode: 'existing-mic' }, mic })).toMatchObject({ status: 'no-action', endReason: 0 });
    expect(of('capf.session')[0]).toMatchObject({ certificateType: 'MIC' });
    expect((await client({ auth: { mode: 'existing-mic' }, mic, sudi: mic })).status).toBe('no-action');
  });

  it('by existing MIC: an untrusted issuer is "invalid MIC", a borrowed certificate "invalid proof"', async () => {
    authority.devices.set(DEVICE, { authMode: 'existing-mic', operation: 'install', keySpec: { type: 'rsa', bits: 2048 } });
    const rogue = await client({ auth: { mode: 'existing-mic' }, mic: { certificate: pki.rogueLeaf.der, privateKey: pki.rogueLeaf.keys.privateKey } });
    expect(rogue).toMatchObject({ status: 'refused', endReason: 7 });
    expect(of('capf.refused').at(-1)).toMatchObject({ reason: 'invalid MIC' });
    expect(authority.statuses.get(DEVICE)?.at(-1)).toBe('Upgrade Failed: Invalid MIC');
    const borrowed = await client({ auth: { mode: 'existing-mic' }, mic: { certificate: pki.mic.der, privateKey: pki.rogueLeaf.keys.privateKey } });
    expect(borrowed).toMatchObject({ status: 'refused', endReason: 7 });
    expect(of('capf.refused').at(-1)).toMatchObject({ reason: 'invalid proof' });
    const badSudi = await client({ auth: { mode: 'existing-mic' }, mic: { certificate: pki.mic.der, privateKey: pki.mic.keys.privateKey }, sudi: { certificate: pki.rogueLeaf.der, privateKey: pki.rogueLeaf.keys.privateKey } });
    expect(badSudi).toMatchObject({ status: 'refused', endReason: 7 });
    expect(of('capf.refused').at(-1)).toMatchObject({ reason: 'invalid SUDI' });
  });

  it('by existing LSC: an LSC from this CAPF passes; one from another cluster\'s CAPF is "invalid LSC"', async () => {
    const phoneKey = await testKey('lsc-auth');
    const ours = await testLeaf(DEVICE, pki.capf, { label: 'lsc-auth' });
    const theirs = await testLeaf(DEVICE, pki.otherCapf, { label: 'lsc-auth' });
    authority.devices.set(DEVICE, { authMode: 'existing-lsc', operation: 'none', keySpec: { type: 'rsa', bits: 2048 } });
    const ok = await client({ auth: { mode: 'existing-lsc' }, lsc: { certificate: ours.der, privateKey: phoneKey.privateKey }, mic: { certificate: pki.mic.der, privateKey: pki.mic.keys.privateKey } });
    expect(ok.status).toBe('no-action');
    expect(of('capf.session')[0]).toMatchObject({ certificateType: 'LSC' });
    const bad = await client({ auth: { mode: 'existing-lsc' }, lsc: { certificate: theirs.der, privateKey: phoneKey.privateKey } });
    expect(bad).toMatchObject({ status: 'refused', endReason: 7 });
    expect(of('capf.refused').at(-1)).toMatchObject({ reason: 'invalid LSC' });
  });

  it('the phone does not connect in certificate mode without a certificate', async () => {
    expect(await client({ auth: { mode: 'existing-lsc' } })).toEqual({ status: 'no-credential' });
    expect(events).toEqual([]);
  });
});

describe('CAPF fetch, delete, none', () => {
  it('fetch (Troubleshoot) brings the phone\'s LSC back; delete clears the record', async () => {
    const lsc = { certificate: (await testLeaf(DEVICE, pki.capf, { label: 'lsc-auth' })).der, privateKey: (await testKey('lsc-auth')).privateKey };
    authority.devices.set(DEVICE, { authMode: 'null-string', operation: 'fetch', keySpec: { type: 'rsa', bits: 2048 } });
    expect(await client({ lsc })).toMatchObject({ status: 'fetched', endReason: 0 });
    expect(of('capf.fetched')[0]).toMatchObject({ deviceName: DEVICE, certificate: lsc.certificate, certificateType: 1 });
    expect(authority.statuses.get(DEVICE)).toEqual(['Troubleshoot Success']);
    authority.devices.set(DEVICE, { authMode: 'null-string', operation: 'delete', keySpec: { type: 'rsa', bits: 2048 } });
    authority.lscs.set(DEVICE, lsc.certificate);
    expect(await client({ lsc })).toMatchObject({ status: 'deleted', endReason: 1 });
    expect(authority.lscs.get(DEVICE)).toBeNull();
    expect(of('capf.deleted')).toHaveLength(1);
  });

  it('no pending operation ends with 0', async () => {
    authority.devices.set(DEVICE, { authMode: 'null-string', operation: 'none', keySpec: { type: 'rsa', bits: 2048 } });
    expect(await client()).toMatchObject({ status: 'no-action', endReason: 0 });
  });
});

describe('CAPF identity from the model', () => {
  it('a regenerated CAPF certificate is presented to the next connection without a restart', async () => {
    authority.devices.set(DEVICE, { authMode: 'null-string', operation: 'install', keySpec: { type: 'rsa', bits: 2048 } });
    authority.id = { certPem: pki.otherCapf.certPem, keyPem: pki.otherCapf.keyPem };
    const stale = await client();
    expect(stale.status).toBe('server-not-trusted');
    if (stale.status === 'server-not-trusted') expect(stale.certificate).toEqual(pki.otherCapf.der);
    expect(of('capf.session')).toHaveLength(0);
    const fresh = await client({ capfRecords: [pki.otherCapf.der] });
    expect(fresh.status).toBe('installed');
    if (fresh.status === 'installed') expect(new X509Certificate(fresh.lsc).verify(pki.otherCapf.keys.publicKey)).toBe(true);
  });

  it('a server outside the phone\'s CAPF records may be vouched for (TVS fallback)', async () => {
    authority.devices.set(DEVICE, { authMode: 'null-string', operation: 'none', keySpec: { type: 'rsa', bits: 2048 } });
    const asked: Uint8Array[] = [];
    const out = await client({ capfRecords: [], verifyUnknownServer: async (der) => (asked.push(der), true) });
    expect(out.status).toBe('no-action');
    expect(asked).toEqual([pki.capf.der]);
  });
});
