import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, trustlab } from './helpers/cli.js';
import { referenceParse } from './helpers/reference-tlv.js';
import { SAMPLE, readSample } from './helpers/samples.js';

/**
 * The `trustlab itl` and `trustlab sgn` commands, run as a user runs them: the built
 * executable in a child process, on the real samples and on certificates made by OpenSSL.
 */
const dir = mkdtempSync(join(tmpdir(), 'trustlab-cli-'));
let haveOpenssl = false;

beforeAll(async () => {
  haveOpenssl = (await run('openssl', ['version'])).code === 0;
  if (!haveOpenssl) return;
  const mk = (name: string, cn: string, args: string[] = ['-newkey', 'rsa:2048']) =>
    run('openssl', ['req', '-x509', ...args, '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`), '-days', '1825', '-subj', `/C=US/ST=CA/L=SJ/O=Alpha/OU=VTG/CN=${cn}`]);
  await Promise.all([
    mk('callmanager', 'cucm-pub.lab.example'),
    mk('recovery', 'ITLRECOVERY_cucm-pub.lab.example'),
    mk('tvs', 'cucm-pub-tvs.lab.example'),
    mk('ec', 'cucm-pub-EC.lab.example', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']),
  ]);
});

describe('trustlab itl dump', () => {
  it('prints the CUCM CTL as JSON: 6 records, sha1, header length 312', async () => {
    const r = await trustlab(['itl', 'dump', SAMPLE.cucmCtl, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.records.map((x: { role: string }) => x.role)).toEqual(['SAST', 'CCM+TFTP', 'CCM+TFTP', 'CAPF', 'SAST', 'CCM+TFTP']);
    expect(j.digest).toBe('sha1');
    expect(j.headerLength).toBe(312);
    expect(j.version).toBe('1.2');
    expect(j.filename).toBe('CTLFile.tlv');
    expect(j.timestamp).toBe('2015-05-07T03:10:47.000Z');
    expect(j.signer).toEqual({ name: 'CN=gigantic-6.cisco.com;OU=VTG;O=Alpha;L=SJ;ST=CA;C=US', serial: '24491f10703fea9b', issuer: 'CN=gigantic-6.cisco.com;OU=VTG;O=Alpha;L=SJ;ST=CA;C=US' });
    expect(j.records[0].signedThisFile).toBe(true);
    expect(j.records[4].signedThisFile).toBe(false);
    expect(j.records[0].certificateSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('prints `show ctl` text with the signing record marked', async () => {
    const r = await trustlab(['itl', 'dump', SAMPLE.cucmCtl]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('HeaderLength:   312 (BYTES)');
    expect(r.stdout).toContain('CTL Record #:6');
    expect(r.stdout.match(/This etoken was used to sign the CTL file\./g)).toHaveLength(1);
    expect(r.stdout).toContain('The CTL file was verified successfully.');
  });
});

describe('trustlab itl verify exit codes', () => {
  it.each([
    ['the reconstructed CUCM CTL', SAMPLE.cucmCtl, 0],
    ['the certutils ITL', SAMPLE.certutilsItl, 0],
    ['the CTL as published (zeroed containers)', SAMPLE.cucmCtlAsFound, 1],
  ])('%s → exit %d', async (_n, file, code) => {
    expect((await trustlab(['itl', 'verify', file])).code).toBe(code);
  });

  it('exits 1 on one flipped signature byte and 2 (TRUNCATED) on a truncated copy', async () => {
    const bytes = readSample(SAMPLE.cucmCtl);
    const flipped = bytes.slice();
    flipped[170]! ^= 0x80;
    writeFileSync(join(dir, 'flipped.tlv'), flipped);
    writeFileSync(join(dir, 'truncated.tlv'), bytes.subarray(0, 5000));
    const f = await trustlab(['itl', 'verify', join(dir, 'flipped.tlv'), '--json']);
    expect(f.code).toBe(1);
    expect(JSON.parse(f.stdout).reason).toBe('SIGNATURE_INVALID');
    const t = await trustlab(['itl', 'verify', join(dir, 'truncated.tlv')]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('TRUNCATED');
    const tj = await trustlab(['itl', 'verify', join(dir, 'truncated.tlv'), '--json']);
    expect(JSON.parse(tj.stdout).error.code).toBe('TRUNCATED');
  });

  it('exits 1 when the signer is not among --trust certificates, 66 for a missing file', async () => {
    if (!haveOpenssl) return;
    const r = await trustlab(['itl', 'verify', SAMPLE.cucmCtl, '--trust', join(dir, 'tvs.pem'), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).reason).toBe('SIGNER_NOT_TRUSTED');
    expect((await trustlab(['itl', 'verify', join(dir, 'nope.tlv')])).code).toBe(66);
  });
});

describe('trustlab itl build', () => {
  it('builds a CUCM-layout ITL from OpenSSL certificates that an independent reader verifies', async (ctx) => {
    if (!haveOpenssl) ctx.skip();
    const out = join(dir, 'ITLFile.tlv');
    const r = await trustlab([
      'itl', 'build',
      '--signer-cert', join(dir, 'recovery.pem'), '--signer-key', join(dir, 'recovery.key'),
      '--record', `SAST=${join(dir, 'recovery.pem')},dns=cucm-pub,ip=10.0.0.11`,
      '--record', `SAST=${join(dir, 'callmanager.pem')},dns=cucm-pub,ip=10.0.0.11`,
      '--record', `TFTP=${join(dir, 'callmanager.pem')},dns=cucm-pub,ip=10.0.0.11`,
      '--record', `TVS=${join(dir, 'tvs.pem')},dns=cucm-pub,ip=10.0.0.11`,
      '--record', `CCM=${join(dir, 'ec.pem')},dns=cucm-pub,ip=10.0.0.11`,
      '--digest', 'sha512', '--timestamp', '1750000000', '-o', out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ref = referenceParse(new Uint8Array(readFileSync(out)));
    expect(ref.signatureValid).toBe(true);
    expect(ref.digestId).toBe(3);
    expect(ref.headerTags.filter((t) => t !== 13)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15]);
    expect(ref.records.map((x) => x.role)).toEqual([0, 0, 3, 21, 1]);
    expect(ref.records.every((x) => x.tags.join() === '1,2,3,4,5,6,7,8,9,10')).toBe(true);
    const v = await trustlab(['itl', 'verify', out, '--trust', join(dir, 'recovery.pem')]);
    expect(v.code).toBe(0);
    const dump = JSON.parse((await trustlab(['itl', 'dump', out, '--json'])).stdout);
    expect(dump.records[0].signedThisFile).toBe(true);
    expect(dump.records[3].dnsName).toBe('cucm-pub');
    expect(dump.timestamp).toBe(new Date(1750000000 * 1000).toISOString());
  });

  it('adds the signer as the first SAST record when no --record names it', async (ctx) => {
    if (!haveOpenssl) ctx.skip();
    const out = join(dir, 'auto.tlv');
    const r = await trustlab(['itl', 'build', '--signer-cert', join(dir, 'callmanager.pem'), '--signer-key', join(dir, 'callmanager.key'), '--record', `TVS=${join(dir, 'tvs.pem')}`, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('added the signer as SAST record #1');
    expect((await trustlab(['itl', 'verify', out])).code).toBe(0);
  });

  it('refuses an EC signer (2), an unknown role (64) and a key that is not the certificate\'s (2)', async (ctx) => {
    if (!haveOpenssl) ctx.skip();
    const base = ['itl', 'build', '-o', join(dir, 'x.tlv')];
    const ec = await trustlab([...base, '--signer-cert', join(dir, 'ec.pem'), '--signer-key', join(dir, 'ec.key')]);
    expect(ec.code).toBe(2);
    expect(ec.stderr).toContain('TRUSTLIST_UNSUPPORTED_SIGNER_KEY');
    const role = await trustlab([...base, '--signer-cert', join(dir, 'callmanager.pem'), '--signer-key', join(dir, 'callmanager.key'), '--record', `BOSS=${join(dir, 'tvs.pem')}`]);
    expect(role.code).toBe(64);
    expect(role.stderr).toContain('unknown role "BOSS"');
    const mismatch = await trustlab([...base, '--signer-cert', join(dir, 'callmanager.pem'), '--signer-key', join(dir, 'recovery.key')]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain('TRUSTLIST_KEY_MISMATCH');
  });
});

describe('trustlab sgn', () => {
  it('signs, verifies against the cert or the ITL\'s TFTP record, and strips back to the original', async (ctx) => {
    if (!haveOpenssl) ctx.skip();
    const cnf = join(dir, 'SEP001122334455.cnf.xml');
    const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<device><deviceSecurityMode>1</deviceSecurityMode></device>\n';
    writeFileSync(cnf, xml);
    const s = await trustlab(['sgn', 'sign', cnf, '--signer-cert', join(dir, 'callmanager.pem'), '--signer-key', join(dir, 'callmanager.key')]);
    expect(s.code).toBe(0);
    const sgnPath = `${cnf}.sgn`;
    const ref = referenceParse(new Uint8Array(readFileSync(sgnPath)), readFileSync(join(dir, 'callmanager.pem'), 'utf8'), false);
    expect(ref.signatureValid).toBe(true);
    expect(ref.filename).toBe('SEP001122334455.cnf.xml.sgn');
    expect((await trustlab(['sgn', 'verify', sgnPath, '--trust', join(dir, 'callmanager.pem')])).code).toBe(0);
    expect((await trustlab(['sgn', 'verify', sgnPath, '--trust', join(dir, 'tvs.pem')])).code).toBe(1);
    const itl = join(dir, 'ITLFile.tlv');
    if (readFileSync(itl).length) expect((await trustlab(['sgn', 'verify', sgnPath, '--itl', itl])).code).toBe(0);
    const out = join(dir, 'stripped.xml');
    expect((await trustlab(['sgn', 'strip', sgnPath, '-o', out])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(xml);
    expect((await trustlab(['sgn', 'verify', sgnPath])).code).toBe(64);
  });
});

describe('--help', () => {
  it.each([[[]], [['itl']], [['itl', 'dump']], [['itl', 'verify']], [['itl', 'build']], [['sgn']], [['sgn', 'sign']], [['sgn', 'verify']], [['sgn', 'strip']], [['demo']]])('trustlab %j --help', async (args) => {
    const r = await trustlab([...args, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: trustlab/);
  });
});
