import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trustlab } from './helpers/cli.js';

/**
 * A certificate runbook driven through the CLI, one command per CUCM step, against a lab
 * directory: cluster init, cert list/generate/csr/upload/regenerate, the enterprise CA, bulk
 * export/consolidate/import, utils itl/ctl, show itl/ctl.
 */
const lab = mkdtempSync(join(tmpdir(), 'trustlab-cli-lab-'));
const sftp = mkdtempSync(join(tmpdir(), 'trustlab-sftp-'));
const L = ['--lab', lab];

async function json(args: string[]): Promise<any> {
  const r = await trustlab([...args, ...L, '--json']);
  if (r.code !== 0) throw new Error(`trustlab ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** About 35 CLI processes one after another, each ≈0.7 s to start: 24 s alone, twice that beside the other files on CI's 2 cores. */
const RUNBOOK_TIMEOUT_MS = 180_000;

describe('trustlab cluster / cert / show / utils / bulk', () => {
  it('runs a CA-signed CallManager runbook and a bulk migration, refusing bad steps with rule codes', { timeout: RUNBOOK_TIMEOUT_MS }, async () => {
    const a = await json(['cluster', 'init', 'A', '--release', '11.5', '--nodes', 'apub,asub']);
    expect(a.identities.filter((i: { purpose: string }) => i.purpose === 'CallManager').map((i: { nodes: string[] }) => i.nodes)).toEqual([['apub'], ['asub']]);
    await json(['cluster', 'init', 'B', '--release', '12.5', '--nodes', 'bpub']);
    expect((await json(['cluster', 'list'])).clusters).toEqual(['A', 'B']);

    const noCluster = await trustlab(['cert', 'list', ...L]);
    expect(noCluster.code).toBe(2);
    expect(noCluster.stderr).toContain('pass --cluster NAME');

    const itl = await json(['show', 'itl', '--cluster', 'B']);
    expect(itl.signer.name).toMatch(/^CN=ITLRECOVERY_bpub/);
    expect(itl.verification.valid).toBe(true);

    const bad = await trustlab(['cert', 'generate', 'CallManager-ECDSA', '--node', 'apub', '--key-length', '4096', '--cluster', 'A', ...L, '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error.code).toBe('CERT_PARAMS_INVALID');

    const del = await trustlab(['cert', 'delete', 'CallManager', '--store', 'CallManager', '--node', 'apub', '--cluster', 'A', ...L]);
    expect(del.code).toBe(2);
    expect(del.stderr).toContain('IDENTITY_NOT_DELETABLE');

    const csrFile = join(lab, 'cm.csr');
    await json(['cert', 'csr', 'CallManager', '--node', 'asub', '--cluster', 'A', '-o', csrFile]);
    const signed = join(lab, 'cm.pem');
    expect((await trustlab(['ca', 'sign', csrFile, '-o', signed, '--with-chain', ...L])).code).toBe(0);
    const early = await trustlab(['cert', 'upload', signed, '--purpose', 'CallManager', '--node', 'asub', '--cluster', 'A', ...L]);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain('CHAIN_NOT_TRUSTED');
    const chain = join(lab, 'chain.pem');
    expect((await trustlab(['ca', 'chain', '-o', chain, '--root-only', ...L])).code).toBe(0);
    const up = await json(['cert', 'upload', chain, '--store', 'CallManager-trust', '--node', 'apub', '--cluster', 'A']);
    expect(up.events[0]).toMatchObject({ type: 'trust.added', store: 'CallManager-trust', nodes: ['apub', 'asub'] });
    const done = await json(['cert', 'upload', signed, '--purpose', 'CallManager', '--node', 'asub', '--cluster', 'A']);
    expect(done.events.map((e: { type: string }) => e.type)).toContain('cert.generated');
    expect(done.events.find((e: { type: string; service?: string }) => e.type === 'service.restart-required' && e.service === 'CallManager')).toBeDefined();
    expect(done.events.some((e: { type: string; service?: string }) => e.type === 'service.restarted' && e.service === 'CallManager')).toBe(false);
    const listed = await json(['cert', 'list', '--cluster', 'A', '--usage', 'identity', '--find', 'type=CallManager', '--find', 'node=asub']);
    expect(listed.map((r: { source: string }) => r.source)).toEqual(['CA-signed']);

    await json(['bulk', 'export', '--dir', sftp, '--cluster', 'B']);
    await json(['bulk', 'export', '--dir', sftp, '--cluster', 'A']);
    expect((await trustlab(['bulk', 'consolidate', '--dir', sftp])).code).toBe(0);
    const imp = await json(['bulk', 'import', '--dir', sftp, '--type', 'TFTP', '--type', 'ITL_Recovery', '--cluster', 'A']);
    // consolidated.p12 lists units by file name: bpub_itlrecovery before bpub_tftp.
    expect(imp.events.filter((e: { type: string }) => e.type === 'trust.added').map((e: { store: string }) => e.store)).toEqual(['Phone-SAST-trust', 'CallManager-trust', 'CallManager-trust', 'Phone-SAST-trust']);
    const sast = await json(['cert', 'list', '--cluster', 'A', '--usage', 'trust', '--find', 'type=Phone-SAST-trust']);
    expect(sast.map((r: { commonName: string }) => r.commonName).sort()).toEqual(['ITLRECOVERY_bpub.b.lab.example', 'bpub.b.lab.example']);

    const mixed = await json(['utils', 'ctl', 'set-cluster', 'mixed-mode', '--cluster', 'B']);
    expect(mixed.events[0]).toEqual({ type: 'cluster.mode', securityMode: 'mixed' });
    const ctl = await json(['show', 'ctl', '--cluster', 'B']);
    expect(ctl.records.map((r: { role: string }) => r.role)).toEqual(['SAST', 'SAST', 'CCM+TFTP', 'CAPF']);
    const reset = await json(['utils', 'itl', 'reset', 'localkey', '--cluster', 'B']);
    expect(reset.events[0].reason).toContain('re-signed by CN=bpub.b.lab.example');
    expect((await json(['show', 'itl', '--cluster', 'B'])).signer.name).toMatch(/^CN=bpub\.b\.lab\.example/);
    await json(['utils', 'service', 'restart', 'TFTP', '--cluster', 'B']);
    expect((await json(['show', 'itl', '--cluster', 'B'])).signer.name).toMatch(/^CN=ITLRECOVERY_bpub/);

    const param = await trustlab(['param', 'set', 'phone-interaction-on-certificate-update', 'manual', '--cluster', 'A', ...L]);
    expect(param.code).toBe(2);
    expect(param.stderr).toContain('PARAM_NOT_IN_RELEASE');

    const p12 = join(lab, 'x.p12');
    writeFileSync(p12, Buffer.from('3082010202010330', 'hex'));
    const r12 = await trustlab(['cert', 'upload', p12, '--store', 'tomcat-trust', '--node', 'apub', '--cluster', 'A', ...L]);
    expect(r12.code).toBe(2);
    expect(r12.stderr).toContain('CERT_UNSUPPORTED_FORMAT');
    expect(JSON.parse(readFileSync(join(lab, 'clusters', 'A', 'cluster.json'), 'utf8')).trust.length).toBeGreaterThan(0);
  });

  it.each([
    ['cluster'], ['cluster', 'init'], ['cluster', 'show'], ['cluster', 'list'], ['cert'], ['cert', 'list'], ['cert', 'generate'], ['cert', 'csr'], ['cert', 'upload'],
    ['cert', 'delete'], ['cert', 'regenerate'], ['cert', 'reuse'], ['cert', 'download'], ['ca', 'sign'], ['ca', 'chain'], ['bulk', 'export'], ['bulk', 'consolidate'], ['bulk', 'import'],
    ['utils', 'itl', 'reset'], ['utils', 'ctl', 'set-cluster'], ['utils', 'ctl', 'update'], ['utils', 'ctl', 'reset'], ['utils', 'service', 'restart'],
    ['show', 'itl'], ['show', 'ctl'], ['param', 'show'], ['param', 'set'],
  ])('trustlab %s … --help', async (...args) => {
    const r = await trustlab([...args, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: trustlab/);
  });
});
