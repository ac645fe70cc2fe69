import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, trustlab } from '../helpers/cli.js';
import { has } from '../helpers/tools.js';

/** The certificates these tests upload are made by openssl, not by trustlab. */
const HAVE_OPENSSL = has('openssl');
const reason = HAVE_OPENSSL ? 'openssl found' : 'skipped: openssl not found on PATH (.ci/run installs it)';

/**
 * Issue 15 §1, lost updates: CLI writers run at the same time on one lab. Before the lab lock,
 * three `cert upload --store Phone-SAST-trust` all exited 0 and two entries persisted; upload,
 * regenerate TVS, regenerate tomcat and `phone add` together kept one effect. Now every writer
 * either persists its effect or fails with a typed loser (LAB_BUSY), and none is lost.
 */
const TIMEOUT_MS = 240_000;

async function json(lab: string, args: string[]): Promise<any> {
  const r = await trustlab([...args, '--lab', lab, '--json']);
  if (r.code !== 0) throw new Error(`trustlab ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Self-signed CA certificates with distinct subjects, made by openssl (not by trustlab). */
function caFiles(dir: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const out = join(dir, `ca-${i}.pem`);
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `ca-${i}.key`), '-out', out, '-days', '365', '-subj', `/CN=Concurrent CA ${i}/O=trustlab attack`]);
    if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
    return out;
  });
}

describe.skipIf(!HAVE_OPENSSL)(`attack: concurrent CLI writers on one lab (${reason})`, () => {
  it('N uploads to Phone-SAST-trust at once: every entry persists', { timeout: TIMEOUT_MS }, async () => {
    const lab = mkdtempSync(join(tmpdir(), 'trustlab-attack-lab-'));
    await json(lab, ['cluster', 'init', 'A', '--release', '12.5', '--nodes', 'pub']);
    const files = caFiles(lab, 5);
    const runs = await Promise.all(files.map((f) => trustlab(['cert', 'upload', f, '--store', 'Phone-SAST-trust', '--node', 'pub', '--lab', lab, '--json'])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const names = JSON.stringify(await json(lab, ['cert', 'list', '--find', 'type=Phone-SAST-trust']));
    for (let i = 0; i < files.length; i++) expect(names).toContain(`Concurrent CA ${i}`);
    const state = JSON.parse(readFileSync(join(lab, 'clusters', 'A', 'cluster.json'), 'utf8'));
    expect(state.trust.filter((t: { store: string; name: string }) => t.store === 'Phone-SAST-trust' && t.name.startsWith('Concurrent_CA')).length).toBe(files.length);
    expect(readdirSync(lab)).not.toContain('.lock');
  });

  it('upload, regenerate TVS, regenerate tomcat and phone add together: all four effects persist', { timeout: TIMEOUT_MS }, async () => {
    const lab = mkdtempSync(join(tmpdir(), 'trustlab-attack-lab-'));
    const before = await json(lab, ['cluster', 'init', 'A', '--release', '12.5', '--nodes', 'pub']);
    const serialOf = (s: any, purpose: string): string => s.identities.find((i: { purpose: string }) => i.purpose === purpose).serial;
    const [ca] = caFiles(lab, 1);
    const runs = await Promise.all([
      trustlab(['cert', 'upload', ca!, '--store', 'Phone-SAST-trust', '--node', 'pub', '--lab', lab]),
      trustlab(['cert', 'regenerate', 'TVS', '--node', 'pub', '--lab', lab]),
      trustlab(['cert', 'regenerate', 'tomcat', '--node', 'pub', '--lab', lab]),
      trustlab(['phone', 'add', '--model', '8845', '--lab', lab]),
      trustlab(['phone', 'add', '--model', '8845', '--lab', lab]),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const state = JSON.parse(readFileSync(join(lab, 'clusters', 'A', 'cluster.json'), 'utf8'));
    expect(state.trust.some((t: { store: string; name: string }) => t.store === 'Phone-SAST-trust' && t.name.startsWith('Concurrent_CA'))).toBe(true);
    const after = await json(lab, ['cluster', 'show']);
    expect(serialOf(after, 'TVS')).not.toBe(serialOf(before, 'TVS'));
    expect(serialOf(after, 'tomcat')).not.toBe(serialOf(before, 'tomcat'));
    const phones = readdirSync(join(lab, 'phones')).filter((n) => /^[0-9A-F]{12}$/.test(n));
    expect(phones.length).toBe(2);
    expect(state.devices.map((d: { name: string }) => d.name).sort()).toEqual(phones.map((m) => `SEP${m}`).sort());
  });

  it('a writer that cannot get the lock in time fails with LAB_BUSY naming the holder; a lock left by kill -9 is broken at once', { timeout: TIMEOUT_MS }, async () => {
    const lab = mkdtempSync(join(tmpdir(), 'trustlab-attack-lab-'));
    await json(lab, ['cluster', 'init', 'A', '--release', '12.5', '--nodes', 'pub']);
    // A live holder: a process that takes the lock and sleeps.
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `
      import { withLabLock } from ${JSON.stringify(join(ROOT, 'dist/src/cluster/index.js'))};
      await withLabLock(${JSON.stringify(lab)}, async () => { console.log('held'); await new Promise((r) => setTimeout(r, 60000)); }, { command: 'attack holder' });
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const busy = await runEnv(['cert', 'regenerate', 'TVS', '--node', 'pub', '--lab', lab, '--json'], { TRUSTLAB_LOCK_TIMEOUT_MS: '1500' });
    expect(busy.code).not.toBe(0);
    const err = JSON.parse(busy.stdout).error;
    expect(err.code).toBe('LAB_BUSY');
    expect(err.message).toContain(`pid ${holder.pid}`);
    expect(err.message).toContain('attack holder');
    // kill -9 the holder: its lock stays on disk, names a dead pid, and the next writer breaks it.
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(readdirSync(lab)).toContain('.lock');
    const next = await runEnv(['cert', 'regenerate', 'TVS', '--node', 'pub', '--lab', lab, '--json'], { TRUSTLAB_LOCK_TIMEOUT_MS: '1500' });
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(readdirSync(lab)).not.toContain('.lock');
  });
});

/** `trustlab` with extra environment variables. */
async function runEnv(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await trustlab(args);
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}
