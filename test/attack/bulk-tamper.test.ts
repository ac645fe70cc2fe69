import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trustlab } from '../helpers/cli.js';
import { has } from '../helpers/tools.js';

/**
 * Issue 15 §6: a certificate swapped inside an export directory, or inside the consolidated
 * file, was consolidated and imported ("✓ … added", exit 0). Each PKCS#12 file carries a MAC
 * under the export password; a file whose MAC fails while the others verify is refused with
 * BULK_TAMPERED, naming it, and the lab is left as it was.
 */
const HAVE_OPENSSL = has('openssl');
const reason = HAVE_OPENSSL ? 'openssl found' : 'skipped: openssl not found on PATH (.ci/run installs it)';
const PASSWORD = 'migration-2026';

async function ok(args: string[]): Promise<any> {
  const r = await trustlab([...args, '--json']);
  if (r.code !== 0) throw new Error(`trustlab ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe.skipIf(!HAVE_OPENSSL)(`attack: tampered bulk files (${reason})`, () => {
  it('a swapped per-node file and a changed consolidated.p12 are refused with BULK_TAMPERED, naming the file, lab unchanged', { timeout: 120_000 }, async () => {
    const lab = mkdtempSync(join(tmpdir(), 'trustlab-attack-bulk-'));
    const sftp = mkdtempSync(join(tmpdir(), 'trustlab-attack-sftp-'));
    const L = ['--lab', lab];
    await ok(['cluster', 'init', 'A', '--release', '12.5', '--nodes', 'apub', ...L]);
    await ok(['cluster', 'init', 'B', '--release', '12.5', '--nodes', 'bpub', ...L]);
    for (const c of ['A', 'B']) await ok(['bulk', 'export', '--dir', sftp, '--cluster', c, '--password', PASSWORD, ...L]);

    // An attacker without the password swaps bpub_tftp.p12 for a bundle of their own.
    const evil = join(sftp, 'evil.pem');
    expect(spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(sftp, 'evil.key'), '-out', evil, '-days', '30', '-subj', '/CN=CUCM-bpub-evil']).status).toBe(0);
    expect(spawnSync('openssl', ['pkcs12', '-export', '-nokeys', '-in', evil, '-name', 'bpub_tftp', '-passout', 'pass:guess', '-out', join(sftp, 'bpub_tftp.p12')]).status).toBe(0);
    const clusterJson = (): string => readFileSync(join(lab, 'clusters', 'A', 'cluster.json'), 'utf8');
    const before = clusterJson();

    const cons = await trustlab(['bulk', 'consolidate', '--dir', sftp, '--password', PASSWORD, '--json']);
    expect(cons.code).not.toBe(0);
    const err = JSON.parse(cons.stdout).error;
    expect(err.code).toBe('BULK_TAMPERED');
    expect(err.message).toContain('bpub_tftp.p12');
    expect(err.message).not.toContain('apub_tftp.p12:');

    // Re-export B (the file is good again), consolidate, then change one byte of consolidated.p12.
    await ok(['bulk', 'export', '--dir', sftp, '--cluster', 'B', '--password', PASSWORD, ...L]);
    await ok(['bulk', 'consolidate', '--dir', sftp, '--password', PASSWORD]);
    const path = join(sftp, 'consolidated.p12');
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    writeFileSync(path, bytes);
    const imp = await trustlab(['bulk', 'import', '--dir', sftp, '--cluster', 'A', '--type', 'ALL', '--password', PASSWORD, '--json', ...L]);
    expect(imp.code).not.toBe(0);
    const e2 = JSON.parse(imp.stdout).error;
    expect(e2.code).toBe('BULK_TAMPERED');
    expect(e2.message).toContain('consolidated.p12');
    expect(clusterJson()).toBe(before);

    // The legitimate path still works: drop the changed file, consolidate again and import.
    rmSync(path);
    await ok(['bulk', 'consolidate', '--dir', sftp, '--password', PASSWORD]);
    const good = await ok(['bulk', 'import', '--dir', sftp, '--cluster', 'A', '--password', PASSWORD, ...L]);
    expect(good.events.some((e: { type: string }) => e.type === 'trust.added')).toBe(true);
  });
});
