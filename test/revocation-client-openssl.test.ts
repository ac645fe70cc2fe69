import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate, toPem, type CertificateInfo, type DnSpec } from '../src/pki/index.js';
import { checkOcsp, OID } from '../src/revocation/index.js';
import { testKey, type TestIdentity } from './helpers/pki.js';
import { has } from './helpers/tools.js';

/**
 * Issue 16 §2: the cluster's OCSP client against a responder trustlab did not write,
 * `openssl ocsp -index … -port …`, in both of the chapter's trust models:
 * - DTM: the responder certificate was issued by the CA with id-kp-OCSPSigning (and the CA
 *   signing for itself);
 * - TRP: a designated responder certificate the CA did not issue, trusted because it is in
 *   tomcat-trust — and refused when it is not.
 */
const OPENSSL = has('openssl');
if (!OPENSSL) console.warn('revocation-client-openssl: SKIPPING: `openssl` is not installed (apt-get install openssl)');

const YEAR = 365 * 24 * 3600_000;
const now = new Date();
const dn = (cn: string): DnSpec => [['C', 'US'], ['O', 'Other Corp'], ['CN', cn]];

async function identity(cn: string, o: { issuer?: TestIdentity; ca?: boolean; eku?: string[] } = {}): Promise<TestIdentity> {
  const keys = await testKey(`ocsp-${cn}`);
  const certificate = await issueCertificate({
    subject: dn(cn), keys, notBefore: new Date(now.getTime() - YEAR), notAfter: new Date(now.getTime() + YEAR), hash: 'SHA-256',
    ...(o.issuer ? { issuer: { certificate: o.issuer.certificate, keys: o.issuer.keys } } : {}),
    ...(o.ca ? { ca: {}, keyUsage: ['keyCertSign', 'cRLSign', 'digitalSignature'] as const } : {}),
    ...(o.eku ? { extendedKeyUsage: o.eku } : {}),
  });
  return { keys, certificate };
}

/** openssl's CA database line: status, expiry, revocation, serial, file, subject (tab-separated). */
function indexLine(c: CertificateInfo, revokedAt?: Date): string {
  const t = (d: Date): string => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  const serial = c.serialHex.length % 2 ? `0${c.serialHex}` : c.serialHex;
  return [revokedAt ? 'R' : 'V', t(c.notAfter), revokedAt ? `${t(revokedAt)},keyCompromise` : '', serial.toUpperCase(), 'unknown', '/C=US/O=Other Corp/CN=x'].join('\t');
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/**
 * Waits for openssl's "waiting for OCSP client connections" line. Not a TCP probe: `openssl ocsp`
 * serves one connection at a time, and a probe that sends nothing would hold it.
 */
function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`openssl ocsp did not start: ${seen}`)), 10_000);
    const onData = (d: Buffer): void => {
      seen += d.toString();
      if (/waiting for OCSP client connections/i.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`openssl ocsp exited with ${code}: ${seen}`));
    });
  });
}

describe.skipIf(!OPENSSL)('the OCSP client against openssl ocsp as the responder', () => {
  let ca: TestIdentity, delegated: TestIdentity, designated: TestIdentity, good: TestIdentity, bad: TestIdentity, stranger: TestIdentity;
  const responders: ChildProcess[] = [];
  let work: string;

  beforeAll(async () => {
    ca = await identity('Other Corp Issuing CA', { ca: true });
    [delegated, designated, good, bad] = await Promise.all([
      identity('Other Corp OCSP', { issuer: ca, eku: [OID.ocspSigning] }),
      identity('Designated Responder', { eku: [OID.ocspSigning] }),
      identity('phone-good', { issuer: ca }),
      identity('phone-revoked', { issuer: ca }),
    ]);
    stranger = await identity('never-issued', { issuer: ca });
    work = mkdtempSync(join(tmpdir(), 'trustlab-ocsp-client-'));
    writeFileSync(join(work, 'index.txt'), `${indexLine(good.certificate)}\n${indexLine(bad.certificate, new Date(now.getTime() - 3600_000))}\n`);
    for (const [name, id] of Object.entries({ ca, delegated, designated })) {
      writeFileSync(join(work, `${name}.pem`), toPem(id.certificate.der));
      writeFileSync(join(work, `${name}.key`), id.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    }
  }, 60_000);

  afterAll(() => {
    for (const r of responders) r.kill('SIGKILL');
  });

  /** Starts `openssl ocsp` as a responder signing with `signer`; returns its URL. */
  async function responder(signer: string): Promise<string> {
    const port = await freePort();
    const child = spawn('openssl', ['ocsp', '-index', join(work, 'index.txt'), '-port', String(port), '-CA', join(work, 'ca.pem'), '-rsigner', join(work, `${signer}.pem`), '-rkey', join(work, `${signer}.key`), '-nmin', '60', '-ignore_err'], { stdio: ['ignore', 'pipe', 'pipe'] });
    responders.push(child);
    await waitForReady(child);
    return `http://127.0.0.1:${port}/`;
  }

  const ask = (url: string, cert: CertificateInfo, trusted: CertificateInfo[] = []) => checkOcsp({ certificate: cert, issuer: ca.certificate, url, trustedResponders: trusted, now: new Date() });

  it('DTM: a responder certificate the CA issued with id-kp-OCSPSigning', async () => {
    const url = await responder('delegated');
    expect(await ask(url, good.certificate)).toMatchObject({ status: 'good', model: 'DTM', responder: expect.stringContaining('Other Corp OCSP') });
    expect(await ask(url, bad.certificate)).toMatchObject({ status: 'revoked', model: 'DTM', reason: 'keyCompromise' });
    expect(await ask(url, stranger.certificate)).toMatchObject({ status: 'unknown', model: 'DTM' });
  });

  it('DTM: the CA signing for itself', async () => {
    const url = await responder('ca');
    expect(await ask(url, good.certificate)).toMatchObject({ status: 'good', model: 'DTM' });
  });

  it('TRP: a designated responder is trusted only from tomcat-trust', async () => {
    const url = await responder('designated');
    expect(await ask(url, good.certificate)).toMatchObject({ status: 'error', code: 'OCSP_UNTRUSTED_RESPONDER' });
    expect(await ask(url, good.certificate, [designated.certificate])).toMatchObject({ status: 'good', model: 'TRP' });
    expect(await ask(url, bad.certificate, [designated.certificate])).toMatchObject({ status: 'revoked', model: 'TRP' });
  });

  it('a responder that is down is a result of its own, never good', async () => {
    const url = `http://127.0.0.1:${await freePort()}/`;
    expect(await ask(url, good.certificate)).toMatchObject({ status: 'error', code: 'OCSP_UNREACHABLE' });
  });
});
