import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bulkExport, certOf, DEFAULT_BULK_PASSWORD, identityOf, type Cluster, type Lab } from '../src/cluster/index.js';
import { decodePkcs12 } from '../src/pki/index.js';
import { trustlab } from './helpers/cli.js';
import { nodes, testLab } from './helpers/lab.js';
import { has, runTool } from './helpers/tools.js';

/**
 * CUCM's bulk format against OpenSSL, someone else's PKCS#12 implementation: `openssl pkcs12
 * -info` reads every file `bulk export` and `bulk consolidate` write, and a bundle made with
 * `openssl pkcs12 -export -nokeys` in CUCM's layout (`<node>_<type>.p12`, no bag names) is
 * consolidated and imported through the CLI.
 */
const HAVE_OPENSSL = has('openssl');
const reason = HAVE_OPENSSL ? 'openssl found' : 'skipped: openssl not found on PATH (.ci/run installs it)';

let lab: Lab;
let labDir: string;
let A: Cluster;
let B: Cluster;

beforeAll(async () => {
  ({ lab, dir: labDir } = await testLab());
  A = await lab.createCluster({ name: 'A', release: '11.5', nodes: nodes('apub') });
  B = await lab.createCluster({ name: 'B', release: '14', nodes: nodes('bpub', 'bsub') });
}, 120_000);

/** The certificates `openssl pkcs12 -info -nokeys` printed, as base64 DER. */
const pems = (out: string): string[] => [...out.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => m[1]!.replace(/\s+/g, ''));
const b64 = (der: Uint8Array): string => Buffer.from(der).toString('base64');
const identityPem = (sha256: string): string => B.state.identities.find((i) => certOf(i.certPem).sha256 === sha256)!.certPem;

const info = (file: string, password: string) => runTool('openssl', ['pkcs12', '-info', '-in', file, '-passin', `pass:${password}`, '-nokeys']);

describe.skipIf(!HAVE_OPENSSL)(`bulk PKCS#12 files and openssl pkcs12 (${reason})`, () => {
  it('openssl pkcs12 -info reads every exported and consolidated file, with the bag names and subjects trustlab wrote', async () => {
    const sftp = mkdtempSync(join(tmpdir(), 'sftp-'));
    const exported = await bulkExport(B.state, sftp);
    expect((await trustlab(['bulk', 'consolidate', '--dir', sftp])).code).toBe(0);
    const files = readdirSync(sftp).sort();
    expect(files).toEqual([...exported.files.map((f) => f.file), 'consolidated.p12'].sort());
    for (const f of exported.files) {
      const r = await info(join(sftp, f.file), DEFAULT_BULK_PASSWORD);
      expect(r.code, `${f.file}: ${r.stderr}`).toBe(0);
      expect(r.stderr).toContain('MAC: sha1');
      expect(r.stdout).toContain(`friendlyName: ${f.units[0]!.unit}`);
      expect(pems(r.stdout)).toEqual([b64(certOf(identityPem(f.units[0]!.sha256)).der)]);
    }
    const all = await info(join(sftp, 'consolidated.p12'), DEFAULT_BULK_PASSWORD);
    expect(all.code, all.stderr).toBe(0);
    for (const f of exported.files) expect(all.stdout).toContain(`friendlyName: ${f.units[0]!.unit}`);
    // openssl prints one "subject=" per certificate bag: every exported certificate is in the bundle.
    expect(pems(all.stdout).sort()).toEqual(exported.files.map((f) => b64(certOf(identityPem(f.units[0]!.sha256)).der)).sort());
    expect((await info(join(sftp, 'bpub_tftp.p12'), 'wrong')).code).not.toBe(0);
  });

  it('reads what openssl writes with RC2-40 (-legacy, OpenSSL 1.1\'s default) and with AES-256 (OpenSSL 3\'s)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'pem-'));
    const pem = identityOf(B.state, 'CAPF', 'bpub')!.certPem;
    writeFileSync(join(work, 'capf.pem'), pem);
    for (const extra of [['-legacy'], []]) {
      const out = join(work, `bpub_capf${extra.length ? '-legacy' : ''}.p12`);
      const r = await runTool('openssl', ['pkcs12', '-export', '-nokeys', ...extra, '-in', join(work, 'capf.pem'), '-passout', 'pass:pw', '-out', out]);
      if (r.code !== 0 && extra.length) continue; // an OpenSSL without the legacy provider
      expect(r.code, r.stderr).toBe(0);
      expect(decodePkcs12(readFileSync(out), 'pw').map((e) => b64(e.der))).toEqual([b64(certOf(pem).der)]);
    }
  });

  it('a bundle made with openssl pkcs12 -export in CUCM\'s layout consolidates and imports through the CLI', async () => {
    const sftp = mkdtempSync(join(tmpdir(), 'sftp-'));
    const work = mkdtempSync(join(tmpdir(), 'pem-'));
    const units: Array<[string, string]> = [
      ['bpub_tftp', identityOf(B.state, 'CallManager', 'bpub')!.certPem],
      ['bsub_tftp', identityOf(B.state, 'CallManager', 'bsub')!.certPem],
      ['bpub_itlrecovery', identityOf(B.state, 'ITLRecovery', 'bpub')!.certPem],
    ];
    for (const [unit, pem] of units) {
      writeFileSync(join(work, `${unit}.pem`), pem);
      // -legacy would be RC2 (what OpenSSL 1.1 wrote); OpenSSL 3's default is PBES2/AES-256.
      const r = await runTool('openssl', ['pkcs12', '-export', '-nokeys', '-in', join(work, `${unit}.pem`), '-passout', 'pass:s3cret', '-out', join(sftp, `${unit}.p12`)]);
      expect(r.code, r.stderr).toBe(0);
    }
    const L = ['--lab', labDir];
    const wrong = await trustlab(['bulk', 'consolidate', '--dir', sftp, '--json']);
    expect(wrong.code).toBe(2);
    expect(JSON.parse(wrong.stdout).error.code).toBe('PKCS12_BAD_PASSWORD');
    const listed = await trustlab(['bulk', 'list', '--dir', sftp, '--password', 's3cret', '--json']);
    expect(JSON.parse(listed.stdout).map((f: { file: string }) => f.file)).toEqual(['bpub_itlrecovery.p12', 'bpub_tftp.p12', 'bsub_tftp.p12']);
    const cons = await trustlab(['bulk', 'consolidate', '--dir', sftp, '--password', 's3cret', '--json']);
    expect(cons.code, cons.stderr).toBe(0);
    expect(JSON.parse(cons.stdout).units.map((u: { unit: string; type: string }) => `${u.unit}:${u.type}`)).toEqual(['bpub_itlrecovery:ITL_Recovery', 'bpub_tftp:TFTP', 'bsub_tftp:TFTP']);
    const imp = await trustlab(['bulk', 'import', '--dir', sftp, '--type', 'ALL', '--cluster', 'A', ...L, '--json']);
    expect(imp.code).toBe(2);
    expect(JSON.parse(imp.stdout).error.code).toBe('PKCS12_BAD_PASSWORD');
    const ok = await trustlab(['bulk', 'import', '--dir', sftp, '--type', 'ALL', '--cluster', 'A', ...L, '--json'].concat(['--password', 's3cret']));
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const added = JSON.parse(ok.stdout).events.filter((e: { type: string }) => e.type === 'trust.added');
    expect(added.map((e: { store: string }) => e.store)).toEqual(['Phone-SAST-trust', 'CallManager-trust', 'CallManager-trust', 'Phone-SAST-trust', 'CallManager-trust', 'Phone-SAST-trust']);
    const sast = await trustlab(['cert', 'list', '--cluster', 'A', ...L, '--usage', 'trust', '--find', 'type=Phone-SAST-trust', '--json']);
    const sha = JSON.parse(sast.stdout).map((r: { sha256?: string; commonName: string }) => r.commonName).sort();
    expect(sha).toEqual(units.map(([, pem]) => certOf(pem).subject.find(([k]) => k === 'CN')![1]).sort());
  });
});
