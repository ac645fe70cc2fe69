import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchPage, probeServer } from '../phones/https-client.js';
import { systemClock } from '../src/shared/clock.js';
import { DIRECTORY_PATH, TomcatService, type TomcatEvent } from '../src/ucm/index.js';
import { toPem } from '../src/pki/index.js';
import { selfSigned, type TestIdentity } from './helpers/pki.js';

/**
 * Cisco Tomcat's HTTPS 8443 as phones reach it (SC-23) on real loopback sockets: the page, the
 * certificate read per connection, the phone's pinned fetch, bad input and slow peers, and curl
 * (a client nobody here wrote) trusting the tomcat certificate as its only CA.
 */
const pemPair = (id: TestIdentity): { certPem: string; keyPem: string } => ({ certPem: toPem(id.certificate.der), keyPem: id.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string });

let first: TestIdentity;
let second: TestIdentity;
beforeAll(async () => {
  [first, second] = await Promise.all([selfSigned('tomcat-one.lab'), selfSigned('tomcat-two.lab')]);
});

let server: TomcatService | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(o: { idleTimeoutMs?: number } = {}): Promise<{ port: number; events: TomcatEvent[]; use(id: TestIdentity): void }> {
  let current = first;
  server = new TomcatService({ identity: () => pemPair(current), port: 0, ...o });
  const events: TomcatEvent[] = [];
  server.events.onAny((e) => events.push(e));
  const { port } = await server.listen();
  return { port, events, use: (id) => void (current = id) };
}

const target = (port: number, path = DIRECTORY_PATH) => ({ url: `https://127.0.0.1:${port}${path}`, clock: systemClock, timeoutMs: 5000, minVersion: 'TLSv1.2' as const, maxVersion: 'TLSv1.3' as const });

/** Sends raw text over TLS and returns the whole response. */
function rawHttps(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => s.end(text));
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    s.on('error', reject);
  });
}

describe('TomcatService', () => {
  it('serves the corporate directory as a CiscoIPPhoneInput, presenting the tomcat certificate', async () => {
    const { port, events } = await start();
    const probe = await probeServer(target(port));
    expect(probe.ok && Buffer.from(probe.certificate).equals(Buffer.from(first.certificate.der))).toBe(true);
    const page = await fetchPage({ ...target(port), pinned: first.certificate.der });
    expect(page).toMatchObject({ ok: true, status: 200, title: 'Corporate Directory' });
    const body = await rawHttps(port, `GET ${DIRECTORY_PATH} HTTP/1.1\r\nHost: pub\r\nConnection: close\r\n\r\n`);
    expect(body).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(body).toContain('<CiscoIPPhoneInput>');
    expect(body).toContain('<URL>https://pub/ccmcip/xmldirectorylist.jsp</URL>');
    expect(events.filter((e) => e.type === 'https.request').map((e) => (e as { status: number }).status)).toEqual([200, 200]);
  });

  it('reads the certificate for every connection: a fetch pinned to the old one is refused before the request is sent', async () => {
    const { port, events, use } = await start();
    use(second);
    const probe = await probeServer(target(port));
    expect(probe.ok && Buffer.from(probe.certificate).equals(Buffer.from(second.certificate.der))).toBe(true);
    const stale = await fetchPage({ ...target(port), pinned: first.certificate.der });
    expect(stale).toEqual({ ok: false, error: 'the server now presents a different certificate' });
    expect(events.filter((e) => e.type === 'https.request')).toHaveLength(0);
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    const { port } = await start();
    expect(await fetchPage({ ...target(port, '/ccmcip/nothing.jsp'), pinned: first.certificate.der })).toEqual({ ok: false, status: 404, error: 'HTTP 404' });
    const post = await rawHttps(port, `POST ${DIRECTORY_PATH} HTTP/1.1\r\nHost: pub\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    expect(post).toMatch(/^HTTP\/1\.1 405 /);
    expect(post).toMatch(/Allow: GET, HEAD/i);
  });

  it('survives garbage instead of TLS, a malformed request and an oversized head, then serves the next phone', async () => {
    const { port, events } = await start();
    await new Promise<void>((resolve) => {
      const s = netConnect({ host: '127.0.0.1', port }, () => s.write(Buffer.from('\x16\x03\x01\x00\x05hello not tls at all', 'latin1')));
      s.on('error', () => undefined);
      s.resume(); // read the alert, or 'close' never comes
      s.on('close', () => resolve());
    });
    expect(events.some((e) => e.type === 'https.error')).toBe(true);
    expect(await rawHttps(port, 'NONSENSE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await rawHttps(port, `GET ${DIRECTORY_PATH} HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 (400|431) /);
    expect(await fetchPage({ ...target(port), pinned: first.certificate.der })).toMatchObject({ ok: true });
  });

  it('closes a peer that opens a connection and says nothing, and close() is idempotent', async () => {
    const { port, events } = await start({ idleTimeoutMs: 200 });
    await new Promise<void>((resolve) => {
      const s = netConnect({ host: '127.0.0.1', port });
      s.on('error', () => undefined);
      s.resume(); // read the alert, or 'close' never comes
      s.on('close', () => resolve());
    });
    expect(events.find((e) => e.type === 'https.error')).toMatchObject({ code: 'IDLE_TIMEOUT' });
    const s = server!;
    await Promise.all([s.close(), s.close()]);
    expect(s.state).toBe('closed');
    expect((await probeServer(target(port))).ok).toBe(false);
  });
});

const CURL = spawnSync('curl', ['--version'], { encoding: 'utf8' });
const HAVE_CURL = CURL.status === 0 && /\bhttps\b/.test(CURL.stdout);

describe.skipIf(!HAVE_CURL)(`curl ↔ TomcatService (${HAVE_CURL ? CURL.stdout.split('\n')[0] : 'SKIPPED: curl with https not found on PATH'})`, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tomcat-curl-'));
    writeFileSync(join(dir, 'one.pem'), toPem(first.certificate.der));
    writeFileSync(join(dir, 'two.pem'), toPem(second.certificate.der));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Asynchronous: the server runs in this process, so a blocking spawnSync would starve it.
  const curl = (port: number, ca: string): Promise<{ code: number | null; out: string }> => new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', '--max-time', '20', '--cacert', join(dir, ca), '--resolve', `tomcat-one.lab:${port}:127.0.0.1`, `https://tomcat-one.lab:${port}${DIRECTORY_PATH}`]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });

  it('fetches the directory when it trusts the tomcat certificate, and refuses when it trusts another', async () => {
    const { port } = await start();
    const ok = await curl(port, 'one.pem');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('<Title>Corporate Directory</Title>');
    const refused = await curl(port, 'two.pem');
    expect(refused.code).toBe(60);
  });
});
