import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SipRegistrar } from '../src/sip/index.js';
import { DEVICE, labPki, testLeaf, type LabPki } from './sip-pki.js';
import { registerText, TestRegistrarPolicy } from './sip-helpers.js';

/**
 * Interop with a client someone else wrote: `openssl s_client` against the registrar on 5061,
 * with the RSA and the ECDSA server certificate, with and without a valid phone certificate, and
 * under the cipher policies. Assertions are on s_client's own output and exit status.
 */
const OPENSSL = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const HAVE_OPENSSL = OPENSSL.status === 0;

interface SClient {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs s_client (`-nocommands`: a line starting with R would otherwise ask for a renegotiation,
 * which the registrar refuses, and REGISTER starts with R), writes `payload` to its stdin, and closes stdin once a SIP response head has
 * arrived (or the connection failed), so that s_client exits on its own.
 */
function sClient(port: number, args: string[], payload: string): Promise<SClient> {
  return new Promise((resolve) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'cucm', '-nocommands', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('latin1');
      if (/SIP\/2\.0 \d{3}[^\r]*\r\n[\s\S]*\r\n\r\n/.test(stdout)) child.stdin.end();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
    child.stdin.on('error', () => undefined);
    child.stdin.write(payload);
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(!HAVE_OPENSSL)(`openssl s_client → registrar (${HAVE_OPENSSL ? OPENSSL.stdout.trim() : 'skipped: openssl not found on PATH'})`, () => {
  let pki: LabPki;
  let dir: string;
  let policy: TestRegistrarPolicy;
  let registrar: SipRegistrar;
  let port: number;
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  let lscCert: string;
  let lscKey: string;

  beforeAll(async () => {
    pki = await labPki();
    dir = mkdtempSync(join(tmpdir(), 'trustlab-sip-openssl-'));
    const lsc = await testLeaf(DEVICE, pki.capf, { label: 'phone-lsc' });
    lscCert = file('lsc.pem', lsc.certPem);
    lscKey = file('lsc.key', lsc.keyPem);
    file('rogue.pem', pki.rogueLeaf.certPem);
    file('rogue.key', pki.rogueLeaf.keyPem);
    file('mic.pem', pki.mic.certPem);
    file('mic.key', pki.mic.keyPem);
    file('mfg-sub.pem', pki.mfgSub.certPem);
    policy = new TestRegistrarPolicy(
      { rsa: { certPem: pki.callManager.certPem, keyPem: pki.callManager.keyPem }, ecdsa: { certPem: pki.callManagerEc.certPem, keyPem: pki.callManagerEc.keyPem } },
      [pki.capf.certPem, pki.mfgRoot.certPem],
    );
    registrar = new SipRegistrar({ policy, tlsPort: 0, tcpPort: null });
    port = (await registrar.listen()).port;
  });

  afterAll(async () => {
    await registrar?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    policy.policy = 'all-rsa-preferred';
    policy.devices.set(DEVICE, { profile: 'encrypted' });
  });

  const lscArgs = (): string[] => ['-cert', lscCert, '-key', lscKey];

  it('RSA server certificate: a REGISTER with a valid LSC gets SIP/2.0 200 OK', async () => {
    const r = await sClient(port, [...lscArgs(), '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384', '-tls1_2'], registerText(DEVICE));
    expect(r.stdout).toContain('SIP/2.0 200 OK');
    expect(r.stdout).toMatch(/subject=CN\s*=\s*cucm-pub\.lab\.example/);
    expect(r.stdout).toContain('Cipher is ECDHE-RSA-AES256-GCM-SHA384');
    expect(r.code).toBe(0);
  });

  it('ECDSA server certificate: the same REGISTER over ECDHE-ECDSA gets 200 OK from CallManager-ECDSA', async () => {
    const r = await sClient(port, [...lscArgs(), '-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384', '-tls1_2'], registerText(DEVICE));
    expect(r.stdout).toContain('SIP/2.0 200 OK');
    expect(r.stdout).toMatch(/subject=CN\s*=\s*cucm-pub-EC\.lab\.example/);
    expect(r.code).toBe(0);
  });

  it('a MIC with its intermediate (-cert_chain) is accepted', async () => {
    const r = await sClient(port, ['-cert', join(dir, 'mic.pem'), '-key', join(dir, 'mic.key'), '-cert_chain', join(dir, 'mfg-sub.pem')], registerText(DEVICE));
    expect(r.stdout).toContain('SIP/2.0 200 OK');
  });

  for (const [label, cipher] of [['RSA', 'ECDHE-RSA-AES256-GCM-SHA384'], ['ECDSA', 'ECDHE-ECDSA-AES256-GCM-SHA384']] as const) {
    it(`${label} server certificate: no phone certificate → alert handshake failure, no SIP answer`, async () => {
      const r = await sClient(port, ['-cipher', cipher, '-tls1_2'], registerText(DEVICE));
      expect(r.stderr).toMatch(/alert handshake failure/);
      expect(r.stdout).not.toContain('SIP/2.0');
      expect(r.code).not.toBe(0);
    });

    it(`${label} server certificate: a certificate from an untrusted CA → alert unknown ca`, async () => {
      const r = await sClient(port, ['-cert', join(dir, 'rogue.pem'), '-key', join(dir, 'rogue.key'), '-cipher', cipher, '-tls1_2'], registerText(DEVICE));
      expect(r.stderr).toMatch(/alert unknown ca/);
      expect(r.stderr).toMatch(/SSL alert number 48/);
      expect(r.stdout).not.toContain('SIP/2.0');
      expect(r.code).not.toBe(0);
    });
  }

  it('Authenticated mode: -cipher NULL-SHA works under "All Ciphers RSA Preferred"', async () => {
    policy.devices.set(DEVICE, { profile: 'authenticated' });
    const r = await sClient(port, [...lscArgs(), '-cipher', 'NULL-SHA:@SECLEVEL=0', '-tls1_2'], registerText(DEVICE));
    expect(r.stdout).toContain('Cipher is NULL-SHA');
    expect(r.stdout).toContain('SIP/2.0 200 OK');
  });

  it('"Strongest – AES-256 SHA-384 Only" refuses NULL-SHA and AES-128, takes AES-256', async () => {
    policy.policy = 'strongest-rsa-preferred';
    const nul = await sClient(port, [...lscArgs(), '-cipher', 'NULL-SHA:@SECLEVEL=0', '-tls1_2'], registerText(DEVICE));
    expect(nul.stderr).toMatch(/alert handshake failure/);
    const aes128 = await sClient(port, [...lscArgs(), '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256', '-tls1_2'], registerText(DEVICE));
    expect(aes128.stderr).toMatch(/alert handshake failure/);
    const aes256 = await sClient(port, [...lscArgs(), '-cipher', 'ECDHE-RSA-AES256-SHA384', '-tls1_2'], registerText(DEVICE));
    expect(aes256.stdout).toContain('SIP/2.0 200 OK');
  });

  it('"Strongest … ECDSA Preferred" picks the ECDSA suite (and certificate) when the phone offers both', async () => {
    policy.policy = 'strongest-ecdsa-preferred';
    const r = await sClient(port, [...lscArgs(), '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384', '-tls1_2'], registerText(DEVICE));
    expect(r.stdout).toContain('Cipher is ECDHE-ECDSA-AES256-GCM-SHA384');
    expect(r.stdout).toMatch(/subject=CN\s*=\s*cucm-pub-EC\.lab\.example/);
  });

  it('"ECDSA Only" refuses an RSA-only offer and accepts ECDHE-ECDSA-AES128-SHA256', async () => {
    policy.policy = 'ecdsa-only';
    const rsa = await sClient(port, [...lscArgs(), '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA256:AES128-SHA', '-tls1_2'], registerText(DEVICE));
    expect(rsa.stderr).toMatch(/alert handshake failure/);
    expect(rsa.code).not.toBe(0);
    const ec = await sClient(port, [...lscArgs(), '-cipher', 'ECDHE-ECDSA-AES128-SHA256', '-tls1_2'], registerText(DEVICE));
    expect(ec.stdout).toContain('SIP/2.0 200 OK');
  });

  it('TLS 1.3 only (-tls1_3 -ciphersuites) is refused with alert protocol version', async () => {
    const r = await sClient(port, [...lscArgs(), '-tls1_3', '-ciphersuites', 'TLS_AES_256_GCM_SHA384'], registerText(DEVICE));
    expect(r.stderr).toMatch(/alert protocol version/);
    expect(r.code).not.toBe(0);
  });

  it('TLS 1.0 with AES128-SHA (7900 series) under "All Ciphers"', async () => {
    const r = await sClient(port, [...lscArgs(), '-cipher', 'AES128-SHA:@SECLEVEL=0', '-tls1'], registerText(DEVICE));
    expect(r.stdout).toMatch(/Protocol\s*: TLSv1\b/);
    expect(r.stdout).toContain('SIP/2.0 200 OK');
  });
});
