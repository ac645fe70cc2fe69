import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/shared/clock.js';
import { EventBus } from '../src/shared/events.js';
import { Role } from '../src/trustlist/index.js';
import {
  buildTvsRequest, parseTvsResponse, tvsDeviceName, tvsExchange, TvsServer, TvsTrust, tvsVerify,
  type TvsEvent, type TvsIdentity, type TvsServerOptions, type TvsVerifyOptions,
} from '../tvs-sim/index.js';
import { MapAuthority, nextEvent, recorder, sha256, tvsIdentity, type TvsTestIdentity } from './tvs-fixtures.js';

/**
 * TVS server and client on real TLS sockets on 127.0.0.1, port 0 (formats.md §4,
 * phone-behaviour.md TVS-2..TVS-6, SC-3, SC-4, SC-10, SC-11).
 */

const DEVICE = tvsDeviceName(8861, '00:11:22:33:44:55');
const servers: TvsServer[] = [];
let tvsRsa: TvsTestIdentity;
let tvsEc: TvsTestIdentity;
let signer: TvsTestIdentity;
let stranger: TvsTestIdentity;

beforeAll(async () => {
  [tvsRsa, tvsEc, signer, stranger] = await Promise.all([
    tvsIdentity('TVS-cucm-a'),
    tvsIdentity('TVS-cucm-ec', { type: 'ec', curve: 'P-256' }),
    tvsIdentity('ITLRecovery-cucm-b'),
    tvsIdentity('CallManager-elsewhere', { type: 'ec', curve: 'P-384' }),
  ]);
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(o: Partial<TvsServerOptions> & { identity: () => TvsIdentity }): Promise<{ server: TvsServer; port: number }> {
  const server = new TvsServer({ authority: new MapAuthority(), host: '127.0.0.1', port: 0, ...o });
  servers.push(server);
  const { port } = await server.listen();
  return { server, port };
}

function ask(port: number | number[], trusted: Uint8Array[], extra: Partial<TvsVerifyOptions> = {}): ReturnType<typeof tvsVerify> {
  const ports = Array.isArray(port) ? port : [port];
  return tvsVerify({
    members: ports.map((p, priority) => ({ host: '127.0.0.1', port: p, priority })),
    trustedTvs: trusted,
    certificate: signer.der,
    deviceName: DEVICE,
    timeoutMs: 10_000,
    ...extra,
  });
}

async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe.each([
  ['RSA-2048', () => tvsRsa],
  ['ECDSA P-256', () => tvsEc],
])('TVS server with an %s certificate', (_label, tvs) => {
  it('vouches for a known certificate with its roles and the default TTL, and refuses an unknown one', async () => {
    const rec = recorder();
    const authority = new MapAuthority().add(signer.der, [Role.SAST, Role.TFTP]);
    const { server, port } = await start({ identity: () => tvs().identity, authority, events: rec.bus, name: 'cucm-a' });

    const yes = await ask(port, [tvs().der]);
    expect(yes).toMatchObject({ kind: 'vouched', roles: [0, 3], ttlSeconds: 86_400, member: { host: '127.0.0.1', port, priority: 0 } });
    const no = await ask(port, [tvs().der], { certificate: stranger.der });
    expect(no).toMatchObject({ kind: 'refused', status: 1, member: { port } });

    expect(authority.asked.map((a) => a.sha256)).toEqual([sha256(signer.der), sha256(stranger.der)]);
    expect(authority.asked[0]!.request).toMatchObject({ deviceName: DEVICE, command: 1, node: 'cucm-a' });
    const results = rec.of('tvs.verify.result');
    expect(results.map((r) => r.status)).toEqual(['valid', 'invalid']);
    expect(results[0]).toMatchObject({ node: 'cucm-a', deviceName: DEVICE, certificateSha256: sha256(signer.der), roles: [0, 3], ttlSeconds: 86_400 });
    expect(rec.of('tvs.handshake').every((h) => h.certificateSha256 === sha256(tvs().der))).toBe(true);
    await expect.poll(() => rec.of('tvs.connection.closed').map((c) => c.reason)).toEqual(['answered', 'answered']);
    expect(server.connectionCount).toBe(0);
    expect(rec.of('tvs.error')).toEqual([]);
  });
});

describe('TVS server', () => {
  it('passes the authority TTL through, and a phone-like TLS 1.2 AES256-SHA client gets an answer', async () => {
    const authority = new MapAuthority().add(signer.der, [Role.SAST, Role.CCM_TFTP], 3600);
    const { port } = await start({ identity: () => tvsRsa.identity, authority });
    expect(await ask(port, [tvsRsa.der], { maxVersion: 'TLSv1.2', ciphers: 'AES256-SHA' })).toMatchObject({ kind: 'vouched', roles: [0, 2], ttlSeconds: 3600 });
  });

  it('lets TLS 1.0 (7900-series) clients in only when minVersion says so', async () => {
    const authority = new MapAuthority().add(signer.der, [Role.SAST]);
    const rec = recorder();
    const legacy = await start({ identity: () => tvsRsa.identity, authority, minVersion: 'TLSv1', events: rec.bus });
    expect(await ask(legacy.port, [tvsRsa.der], { minVersion: 'TLSv1', maxVersion: 'TLSv1' })).toMatchObject({ kind: 'vouched' });
    expect(rec.of('tvs.handshake')[0]!.protocol).toBe('TLSv1');
    const modern = await start({ identity: () => tvsRsa.identity, authority });
    expect(await ask(modern.port, [tvsRsa.der], { minVersion: 'TLSv1', maxVersion: 'TLSv1' })).toMatchObject({ kind: 'handshake-failed' });
  });

  it('runs several TVS nodes of one cluster, each presenting its own certificate', async () => {
    const rec = recorder();
    const authority = new MapAuthority().add(signer.der, [Role.SAST, Role.TFTP]);
    const a = await start({ identity: () => tvsRsa.identity, authority, events: rec.bus, name: 'cucm-a' });
    const b = await start({ identity: () => tvsEc.identity, authority, events: rec.bus, name: 'cucm-b' });

    const onlyA = await ask([b.port, a.port], [tvsRsa.der]);
    expect(onlyA.kind).toBe('vouched');
    expect(onlyA.attempts.map((x) => [x.kind, x.member.port])).toEqual([['server-certificate-not-trusted', b.port], ['vouched', a.port]]);
    const first = onlyA.attempts[0]!;
    expect(first.kind === 'server-certificate-not-trusted' && sha256(first.serverCertificate!)).toBe(sha256(tvsEc.der));

    const both = await ask([b.port, a.port], [tvsRsa.der, tvsEc.der]);
    expect(both).toMatchObject({ kind: 'vouched', member: { port: b.port } });
    const byNode = new Map(rec.of('tvs.handshake').map((h) => [h.node, h.certificateSha256]));
    expect(byNode).toEqual(new Map([['cucm-b', sha256(tvsEc.der)], ['cucm-a', sha256(tvsRsa.der)]]));
  });

  it('presents a regenerated TVS certificate from the next connection on, without a restart (SC-4)', async () => {
    let current = tvsRsa.identity;
    const authority = new MapAuthority().add(signer.der, [Role.SAST, Role.CCM_TFTP]);
    const { server, port } = await start({ identity: () => current, authority });
    expect(await ask(port, [tvsRsa.der])).toMatchObject({ kind: 'vouched' });

    current = tvsEc.identity; // "Regenerate" in the model.
    const old = await ask(port, [tvsRsa.der]);
    expect(old.kind).toBe('server-certificate-not-trusted');
    expect(old.kind === 'server-certificate-not-trusted' && Buffer.from(old.serverCertificate!).equals(Buffer.from(tvsEc.der))).toBe(true);
    expect(await ask(port, [tvsEc.der])).toMatchObject({ kind: 'vouched', roles: [0, 2] });
    expect(server.state).toBe('listening');
    expect(authority.asked).toHaveLength(2); // the untrusted server was never sent the request
  });

  it('pins the certificate bytes by default, and the public key only when asked to', async () => {
    const reissued = await tvsIdentity('TVS-cucm-a'); // same key (memoised per CN), new certificate
    expect(Buffer.from(reissued.der).equals(Buffer.from(tvsRsa.der))).toBe(false);
    const authority = new MapAuthority().add(signer.der, [Role.SAST]);
    const { port } = await start({ identity: () => reissued.identity, authority });
    expect((await ask(port, [tvsRsa.der])).kind).toBe('server-certificate-not-trusted');
    expect((await ask(port, [tvsRsa.der], { pin: 'public-key' })).kind).toBe('vouched');
    expect((await ask(port, [tvsEc.der], { pin: 'public-key' })).kind).toBe('server-certificate-not-trusted');
  });

  it('answers Cisco-style subject queries (QUERY_REQUEST → QUERY_RESPONSE) through the authority', async () => {
    const authority = Object.assign(new MapAuthority(), {
      lookupSubject: (subject: string) =>
        subject === signer.certificate.subjectCucm ? { status: 'valid' as const, roles: [Role.SAST, Role.TFTP], certificates: [signer.der] } : { status: 'invalid' as const, roles: [], certificates: [] },
    });
    const { port } = await start({ identity: () => tvsRsa.identity, authority });
    const exchange = (subject: string) =>
      tvsExchange({ host: '127.0.0.1', port }, buildTvsRequest({ sessionId: 77, deviceName: DEVICE, subject }), {
        trust: new TvsTrust([tvsRsa.der]), timeoutMs: 10_000, clock: new ManualClock(), maxFrameBytes: 16384,
      });
    const hit = await exchange(signer.certificate.subjectCucm);
    expect(hit.kind).toBe('answer');
    if (hit.kind !== 'answer') return;
    const answer = parseTvsResponse(hit.message);
    expect(answer).toMatchObject({ command: 4, sessionId: 77, status: 0, roles: [0, 3], ttlSeconds: 86_400 });
    expect(Buffer.from(answer.certificates[0]!).equals(Buffer.from(signer.der))).toBe(true);
    const miss = await exchange('CN=nobody');
    expect(miss.kind === 'answer' && parseTvsResponse(miss.message).status).toBe(1);

    const plain = await start({ identity: () => tvsRsa.identity, authority: new MapAuthority() });
    const noLookup = await tvsExchange({ host: '127.0.0.1', port: plain.port }, buildTvsRequest({ sessionId: 1, subject: 'CN=x' }), {
      trust: new TvsTrust([tvsRsa.der]), timeoutMs: 10_000, clock: new ManualClock(), maxFrameBytes: 16384,
    });
    expect(noLookup.kind === 'answer' && parseTvsResponse(noLookup.message)).toMatchObject({ command: 4, status: 1 });
  });

  it('closes without an answer when the authority fails or its identity is broken, and keeps serving', async () => {
    const rec = recorder();
    let identity: TvsIdentity = { certPem: 'not a certificate', keyPem: 'nor a key' };
    let fail = true;
    const authority = new MapAuthority().add(signer.der, [Role.SAST]);
    const flaky = { verify: (der: Uint8Array, info: Parameters<MapAuthority['verify']>[1]) => { if (fail) throw new Error('database is down'); return authority.verify(der, info); } };
    const { port } = await start({ identity: () => identity, authority: flaky, events: rec.bus });

    expect((await ask(port, [tvsRsa.der])).kind).toBe('handshake-failed');
    expect(rec.of('tvs.error').map((e) => e.error.code)).toEqual(['PKI_BAD_CERTIFICATE']);
    identity = { certPem: tvsRsa.identity.certPem, keyPem: tvsEc.identity.keyPem };
    expect((await ask(port, [tvsRsa.der])).kind).toBe('handshake-failed');
    expect(rec.of('tvs.error').map((e) => e.error.code)).toEqual(['PKI_BAD_CERTIFICATE', 'PKI_BAD_KEY']);

    identity = tvsRsa.identity;
    const failed = await ask(port, [tvsRsa.der]);
    expect(failed).toMatchObject({ kind: 'malformed-answer', error: { code: 'TVS_NO_ANSWER' } });
    expect(rec.of('tvs.error').map((e) => e.error.code)).toEqual(['PKI_BAD_CERTIFICATE', 'PKI_BAD_KEY', 'TVS_AUTHORITY_FAILED']);
    fail = false;
    expect((await ask(port, [tvsRsa.der])).kind).toBe('vouched');
  });

  it('follows the shared lifecycle: listen once, idempotent close, { signal }, checked options', async () => {
    const server = new TvsServer({ identity: () => tvsRsa.identity, authority: new MapAuthority(), host: '127.0.0.1', port: 0 });
    expect(server.state).toBe('idle');
    const address = await server.listen();
    expect(address.port).toBeGreaterThan(0);
    expect(server.state).toBe('listening');
    await expect(server.listen()).rejects.toMatchObject({ code: 'INVALID_STATE' });
    const c1 = server.close();
    const c2 = server.close();
    expect(c2).toBe(c1);
    await c1;
    expect(server.state).toBe('closed');
    expect((await ask(address.port, [tvsRsa.der])).kind).toBe('connection-refused');

    const holder = await start({ identity: () => tvsRsa.identity });
    const clash = new TvsServer({ identity: () => tvsRsa.identity, authority: new MapAuthority(), host: '127.0.0.1', port: holder.port });
    await expect(clash.listen()).rejects.toMatchObject({ code: 'LISTEN_FAILED', details: { errno: 'EADDRINUSE' } });
    expect(clash.state).toBe('closed');

    const aborted = new TvsServer({ identity: () => tvsRsa.identity, authority: new MapAuthority(), host: '127.0.0.1', port: 0 });
    await expect(aborted.listen({ signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow('stop');

    const controller = new AbortController();
    const bus = new EventBus<TvsEvent>();
    const byAbort = new TvsServer({ identity: () => tvsRsa.identity, authority: new MapAuthority(), host: '127.0.0.1', port: 0, events: bus });
    await byAbort.listen({ signal: controller.signal });
    const closed = nextEvent(bus, 'tvs.closed');
    controller.abort();
    await closed;
    await byAbort.close(); // the same close the abort started
    expect(byAbort.state).toBe('closed');

    expect(() => new TvsServer({ identity: () => tvsRsa.identity, authority: new MapAuthority(), maxFrameBytes: 5 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new TvsServer({ identity: () => tvsRsa.identity, authority: new MapAuthority(), port: 70000 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new TvsServer({ identity: () => tvsRsa.identity, authority: {} as never })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('TVS client', () => {
  it('fails over in priority order: a closed port first, then the member that answers', async () => {
    const authority = new MapAuthority().add(signer.der, [Role.SAST, Role.TFTP]);
    const { port } = await start({ identity: () => tvsRsa.identity, authority });
    const dead = await closedPort();
    const out = await tvsVerify({
      members: [{ host: '127.0.0.1', port, priority: 1 }, { host: '127.0.0.1', port: dead, priority: 0 }],
      trustedTvs: [tvsRsa.der],
      certificate: signer.der,
      deviceName: DEVICE,
    });
    expect(out).toMatchObject({ kind: 'vouched', member: { port, priority: 1 }, roles: [0, 3] });
    expect(out.attempts.map((a) => a.kind)).toEqual(['connection-refused', 'vouched']);
    expect(out.attempts[0]).toMatchObject({ errno: 'ECONNREFUSED', member: { port: dead } });
  });

  it('reports connection-refused when every member is unreachable (SC-10), after trying each', async () => {
    const [p1, p2] = [await closedPort(), await closedPort()];
    const out = await ask([p1, p2], [tvsRsa.der]);
    expect(out.kind).toBe('connection-refused');
    expect(out.attempts.map((a) => a.member.port)).toEqual([p1, p2]);
  });

  it('stops at a refusal: an "invalid" answer is an answer, not a reason to ask the next member', async () => {
    const a = await start({ identity: () => tvsRsa.identity, authority: new MapAuthority() });
    const b = await start({ identity: () => tvsRsa.identity, authority: new MapAuthority().add(signer.der, [Role.SAST]) });
    const out = await ask([a.port, b.port], [tvsRsa.der]);
    expect(out).toMatchObject({ kind: 'refused', member: { port: a.port } });
    expect(out.attempts).toHaveLength(1);
  });

  it('times out on the injected clock when a member accepts TCP but never completes TLS, then tries the next', async () => {
    // Waiting for the ClientHello (not just the accept) makes sure the client saw its TCP connect.
    const silent = createNetServer((s) => s.on('error', () => undefined));
    const helloSeen = new Promise<void>((r) => silent.once('connection', (s) => s.once('data', () => r())));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentPort = (silent.address() as AddressInfo).port;
    const { port } = await start({ identity: () => tvsRsa.identity, authority: new MapAuthority().add(signer.der, [Role.SAST]) });
    const clock = new ManualClock();
    const pending = ask([silentPort, port], [tvsRsa.der], { clock, timeoutMs: 5000 });
    await helloSeen;
    clock.advance(4999);
    clock.advance(1);
    const out = await pending;
    expect(out.kind).toBe('vouched');
    expect(out.attempts[0]).toMatchObject({ kind: 'timeout', stage: 'handshake', member: { port: silentPort } });
    silent.close();
  });

  it('does not ask anyone without trusted TVS certificates or members, and refuses a malformed device name', async () => {
    expect(await ask(1, [])).toEqual({ kind: 'not-attempted', reason: 'no-trusted-tvs', attempts: [] });
    expect(await tvsVerify({ members: [], trustedTvs: [tvsRsa.der], certificate: signer.der, deviceName: DEVICE })).toMatchObject({ kind: 'not-attempted', reason: 'no-members' });
    await expect(ask(1, [tvsRsa.der], { deviceName: 'SEP001122334455' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('rejects with the signal reason when aborted mid-attempt', async () => {
    const silent = createNetServer((s) => s.on('error', () => undefined));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const accepted = new Promise<void>((r) => silent.once('connection', () => r()));
    const controller = new AbortController();
    const pending = ask((silent.address() as AddressInfo).port, [tvsRsa.der], { signal: controller.signal, clock: new ManualClock() });
    await accepted;
    controller.abort(new Error('phone reset'));
    await expect(pending).rejects.toThrow('phone reset');
    silent.close();
  });
});
