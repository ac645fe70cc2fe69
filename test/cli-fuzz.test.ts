import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tftpGet } from '../tftp-sim/index.js';
import { ROOT, trustlab } from './helpers/cli.js';
import { eventually } from './helpers/tftp.js';
import { decodeTrustList } from '../src/trustlist/index.js';

/**
 * `trustlab fuzz` and `serve tftp --fuzz` as a developer runs them (issue 8): a clean run exits 0
 * with its status, `repro` replays a saved finding, and the fuzzing file server hands each
 * request a different mutant of the real sample and logs which went where.
 */
const SAMPLE = resolve(ROOT, '..', 'shared', 'samples', 'certutils-itl-csptech', 'ITLFile.tlv');

describe('trustlab fuzz', () => {
  it('runs a seeded codec run with no findings and reports its status as JSON', async () => {
    const r = await trustlab(['fuzz', 'tftp', '--runs', '3000', '--seed', '9', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ kind: 'tftp', target: 'codec', seed: '9', findings: [] });
    expect(j.status.execs).toBe(3000);
    expect(j.status.errorCodes).toContain('TFTP_MALFORMED');
  }, 120_000);

  it('prints a plain status line every --status-every seconds when stderr is not a terminal, and none with --status-every 0', async () => {
    const r = await trustlab(['fuzz', 'tftp', '--time', '3.5s', '--seed', '9', '--status-every', '1']);
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => /^tftp\/codec {2}\d+ execs {2}\d+\/s {2}findings 0/.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(r.stderr).not.toContain('\r');
    const quiet = await trustlab(['fuzz', 'tftp', '--time', '1.5s', '--seed', '9', '--status-every', '0']);
    expect(quiet.stderr).toBe('');
  }, 120_000);

  it('`fuzz --help` documents the options of `fuzz KIND`', async () => {
    const r = await trustlab(['fuzz', '--help']);
    for (const flag of ['--target <target>', '--time <duration>', '--workers <n>', '--status-every <seconds>']) expect(r.stdout).toContain(flag);
  });

  it('fuzzes a live TFTP server with --target served and lists the replies it drew; tvs has no phone target', async () => {
    const r = await trustlab(['fuzz', 'tftp', '--target', 'served', '--runs', '2000', '--seed', '9']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/tftp served: 2000 executions/);
    expect(r.stdout).toMatch(/server replies seen: .*DATA.*OACK/);
    const usage = await trustlab(['fuzz', 'tvs', '--target', 'phone']);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain('tvs has the codec and served targets');
  }, 120_000);

  it('replays a saved finding; one that no longer reproduces exits 0, a damaged file is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'finding-'));
    const f = join(dir, 'finding.json');
    writeFileSync(f, JSON.stringify({ formatVersion: 1, id: 'x', fuzzKind: 'itl', target: 'codec', kind: 'crash', message: 'TypeError: boom', seed: '1', iteration: 3, mutators: ['bit-flip'], input: Buffer.from(readFileSync(SAMPLE)).toString('base64') }));
    const r = await trustlab(['fuzz', 'repro', f]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('does not reproduce');
    writeFileSync(f, '{"formatVersion": 1}');
    const bad = await trustlab(['fuzz', 'repro', f]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('FINDING_INVALID');
  }, 60_000);

  it('--workers splits the runs between worker threads; one worker is the plain run', { timeout: 120_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'trustlab-fuzz-workers-'));
    const two = await trustlab(['fuzz', 'itl', '--runs', '2000', '--seed', '5', '--workers', '2', '--out', out, '--json']);
    expect(two.code, two.stderr).toBe(0);
    const j = JSON.parse(two.stdout);
    expect(j).toMatchObject({ kind: 'itl', target: 'codec', workers: 2, findings: [] });
    expect(j.status.execs).toBe(2000);
    expect(j.status.errorCodes.length).toBeGreaterThan(0);
    const one = JSON.parse((await trustlab(['fuzz', 'itl', '--runs', '500', '--seed', '5', '--workers', '1', '--out', out, '--json'])).stdout);
    const plain = JSON.parse((await trustlab(['fuzz', 'itl', '--runs', '500', '--seed', '5', '--out', out, '--json'])).stdout);
    expect(one.status.errorCodes).toEqual(plain.status.errorCodes);
    expect(one.status.features).toBe(plain.status.features);
    const bad = await trustlab(['fuzz', 'itl', '--workers', '0', '--json']);
    expect(bad.code).toBe(64);
    expect((await trustlab(['fuzz', 'itl', '--target', 'served', '--workers', '2', '--json'])).code).toBe(64);
  });

  it('refuses an unknown kind with a usage error', async () => {
    const r = await trustlab(['fuzz', 'xml']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/unknown fuzz kind "xml"/);
  });
});

describe('trustlab serve tftp --fuzz', () => {
  it('serves a different mutant of the ITL on each request and logs which client got which', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fuzz-root-'));
    const original = readFileSync(SAMPLE);
    writeFileSync(join(root, 'ITLFile.tlv'), original);
    writeFileSync(join(root, 'other.txt'), 'plain');
    const log = join(root, 'mutants.ndjson');
    const child = spawn(process.execPath, [resolve(ROOT, 'bin/trustlab.js'), 'serve', 'tftp', '--root', root, '--host', '127.0.0.1', '--port', '0', '--no-http', '--fuzz', 'itl', '--fuzz-seed', '4', '--fuzz-log', log, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Array<Record<string, unknown>> = [];
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const p of parts) lines.push(JSON.parse(p));
    });
    await eventually(() => lines.some((l) => l['type'] === 'tftp.listening'), 15_000, 'listening');
    const port = (lines.find((l) => l['type'] === 'tftp.listening')!['address'] as { port: number }).port;
    const a = await tftpGet('ITLFile.tlv', { host: '127.0.0.1', port });
    const b = await tftpGet('ITLSEP001122334455.tlv', { host: '127.0.0.1', port });
    const plain = await tftpGet('other.txt', { host: '127.0.0.1', port });
    expect(Buffer.from(plain.bytes).toString()).toBe('plain');
    expect(Buffer.from(a.bytes).equals(original)).toBe(false);
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(false);
    await eventually(() => lines.filter((l) => l['type'] === 'fuzz.served').length >= 2, 5000, 'two fuzz lines');
    const served = lines.filter((l) => l['type'] === 'fuzz.served');
    expect(served.map((l) => [l['mutant'], l['file']])).toEqual([[1, 'ITLFile.tlv'], [2, 'ITLSEP001122334455.tlv']]);
    expect(served[0]!['client']).toMatch(/^127\.0\.0\.1:\d+$/);
    const logged = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(logged.map((l) => l.sha256)).toEqual(served.map((l) => l['sha256']));
    child.kill('SIGINT');
    await new Promise((r) => child.on('exit', r));
    // The mutants are of the real file: most still decode, or fail with a typed error.
    for (const x of [a, b]) {
      try {
        decodeTrustList(x.bytes);
      } catch (e) {
        expect((e as { code?: string }).code).toMatch(/^[A-Z_]+$/);
      }
    }
  }, 60_000);
});
