import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labRevocationSource } from '../src/cluster/lab-ca.js';
import { parseCertificate, pemCertificates, toPem } from '../src/pki/index.js';
import { RevocationServer } from '../src/revocation/index.js';
import { trustlab } from './helpers/cli.js';
import { testLab } from './helpers/lab.js';
import { has, runTool } from './helpers/tools.js';

/**
 * Issue 16 §3, judged by OpenSSL: certificates `trustlab ca sign` issues carry an AIA OCSP URI and
 * a CRL Distribution Point; `openssl ocsp` asks the URI from the certificate and gets `good`,
 * `revoked` after `trustlab ca revoke`, `unknown` for a serial the CA never issued, signed by the
 * CA or by a delegated responder (both verify against the CA chain); `openssl crl` reads the CRL
 * downloaded from the CDP URI with curl and lists the revoked serial.
 */
const OPENSSL = has('openssl');
const CURL = has('curl');
if (!OPENSSL) console.warn('revocation-openssl: SKIPPING: `openssl` is not installed (apt-get install openssl)');
if (OPENSSL && !CURL) console.warn('revocation-openssl: SKIPPING the CRL download test: `curl` is not installed (apt-get install curl)');

describe.skipIf(!OPENSSL)('the lab CA publishes revocation (openssl ocsp, openssl crl)', () => {
  let dir: string;
  let work: string;
  let server: RevocationServer;
  let ocspUri: string;
  let crlUri: string;
  const file = (n: string): string => join(work, n);

  beforeAll(async () => {
    const t = await testLab({ start: new Date() });
    dir = t.dir;
    work = mkdtempSync(join(tmpdir(), 'trustlab-ocsp-'));
    server = new RevocationServer({ source: labRevocationSource(t.lab, 0), clock: t.clock });
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
    expect((await trustlab(['ca', 'url', `http://127.0.0.1:${port}`, '--lab', dir])).code).toBe(0);
    const req = await runTool('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('leaf.key'), '-subj', '/CN=cucm-pub.lab.example/O=Lab', '-out', file('leaf.csr')]);
    expect(req.code).toBe(0);
    const signed = await trustlab(['ca', 'sign', file('leaf.csr'), '-o', file('leaf.pem'), '--lab', dir]);
    expect(signed.code, signed.stderr).toBe(0);
    expect((await trustlab(['ca', 'chain', '-o', file('chain.pem'), '--lab', dir])).code).toBe(0);
    const [, issuing] = pemCertificates(readFileSync(file('chain.pem'), 'utf8'));
    writeFileSync(file('issuing.pem'), toPem(issuing!));
    const ext = parseCertificate(readFileSync(file('leaf.pem'), 'utf8')).extensions;
    ocspUri = ext.ocspUrls[0]!;
    crlUri = ext.crlUrls[0]!;
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  const ocsp = (...target: string[]) => runTool('openssl', ['ocsp', '-issuer', file('issuing.pem'), ...target, '-url', ocspUri, '-CAfile', file('chain.pem')]);

  it('the certificate names the lab CA\'s responder and CRL', () => {
    expect(ocspUri).toBe(`http://127.0.0.1:${server.address!.port}/ocsp`);
    expect(crlUri).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.address!.port}/crl/.+_Issuing_CA\\.crl$`));
  });

  it('good, then revoked after trustlab ca revoke, and unknown for a serial never issued', async () => {
    const good = await ocsp('-cert', file('leaf.pem'));
    expect(good.stderr).toContain('Response verify OK');
    expect(good.stdout).toMatch(/leaf\.pem: good/);
    const unknown = await ocsp('-serial', '0x1234');
    expect(unknown.stderr).toContain('Response verify OK');
    expect(unknown.stdout).toContain('0x1234: unknown');
    const r = await trustlab(['ca', 'revoke', file('leaf.pem'), '--reason', 'keyCompromise', '--lab', dir]);
    expect(r.code, r.stderr).toBe(0);
    const revoked = await ocsp('-cert', file('leaf.pem'));
    expect(revoked.stderr).toContain('Response verify OK');
    expect(revoked.stdout).toMatch(/leaf\.pem: revoked/);
    expect(revoked.stdout).toContain('Reason: keyCompromise');
    const again = await trustlab(['ca', 'revoke', file('leaf.pem'), '--lab', dir, '--json']);
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stdout).error.code).toBe('CA_ALREADY_REVOKED');
  });

  it('a delegated responder (id-kp-OCSPSigning, issued by the CA) signs answers that openssl verifies', async () => {
    expect((await trustlab(['ca', 'responder', 'delegated', '--lab', dir])).code).toBe(0);
    const out = await runTool('openssl', ['ocsp', '-issuer', file('issuing.pem'), '-cert', file('leaf.pem'), '-url', ocspUri, '-CAfile', file('chain.pem'), '-resp_text']);
    expect(out.stderr).toContain('Response verify OK');
    expect(out.stdout).toContain('trustlab Enterprise OCSP Responder');
    expect(out.stdout).toContain('OCSP Signing');
    expect(out.stdout).toMatch(/leaf\.pem: revoked/);
    expect((await trustlab(['ca', 'responder', 'ca', '--lab', dir])).code).toBe(0);
  });

  it.skipIf(!CURL)('openssl crl reads the CRL from the CDP URI, verifies it, and lists the revoked serial', async () => {
    const serial = parseCertificate(readFileSync(file('leaf.pem'), 'utf8')).serialHex.toUpperCase();
    const got = await runTool('curl', ['-sS', '-f', '-o', file('issuing.crl'), crlUri]);
    expect(got.code, got.stderr).toBe(0);
    const text = await runTool('openssl', ['crl', '-inform', 'DER', '-in', file('issuing.crl'), '-text', '-noout']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`Serial Number: ${serial}`);
    expect(text.stdout).toContain('Key Compromise');
    const verified = await runTool('openssl', ['crl', '-inform', 'DER', '-in', file('issuing.crl'), '-CAfile', file('chain.pem'), '-noout']);
    expect(verified.stderr + verified.stdout).toContain('verify OK');
    // trustlab ca crl writes the same list.
    expect((await trustlab(['ca', 'crl', '-o', file('cli.crl'), '--lab', dir])).code).toBe(0);
    const cli = await runTool('openssl', ['crl', '-inform', 'DER', '-in', file('cli.crl'), '-text', '-noout']);
    expect(cli.stdout).toContain(`Serial Number: ${serial}`);
  });
});
