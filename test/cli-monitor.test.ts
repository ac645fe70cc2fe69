import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpSink, type SmtpSinkEvent } from '../src/monitor/index.js';
import { trustlab } from './helpers/cli.js';

/**
 * Issue 16 §1 through the CLI: `cert monitor show|set|run`, `alarms`, and `utils service
 * stop|start` of the Cisco Certificate Expiry Monitor; the expiry mail reaches a real SMTP server
 * (smtp-server) and names the certificate.
 */
describe('trustlab cert monitor and alarms', () => {
  let dir: string;
  let sink: SmtpSink;
  const mails: SmtpSinkEvent[] = [];
  const t = (...args: string[]) => trustlab([...args, '--lab', dir]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trustlab-monitor-'));
    sink = new SmtpSink({ dir: join(dir, 'mail') });
    sink.events.on('smtp.received', (e) => mails.push(e));
    await sink.listen({ port: 0 });
    expect((await t('cluster', 'init', 'A', '--release', '14', '--nodes', 'pub')).code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await sink?.close();
  });

  it('shows the Certificate Monitor fields with their defaults and a running service', async () => {
    const r = await t('cert', 'monitor', 'show', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.settings).toMatchObject({ notificationStartDays: 30, notificationFrequency: { every: 1, unit: 'days' }, emailEnabled: false, lscMonitoring: false });
    expect(j.service.running).toBe(true);
    expect(j.findings).toEqual([]);
    const text = await t('cert', 'monitor', 'show');
    expect(text.stdout).toContain('Notification Start Time:');
    expect(text.stdout).toContain('Enable LSC Monitoring:');
  });

  it('refuses e-mail without an SMTP server or with a malformed address', async () => {
    const a = await t('cert', 'monitor', 'set', '--email', 'on', '--email-ids', 'voice@lab.example', '--json');
    expect(a.code).toBe(64);
    expect(JSON.parse(a.stdout).error.message).toContain('SMTP');
    const b = await t('cert', 'monitor', 'set', '--email-ids', 'not-an-address', '--json');
    expect(JSON.parse(b.stdout).error.code).toBe('INVALID_ARGUMENT');
  });

  it('a run inside the window raises alarms and mails each certificate to the SMTP server', async () => {
    const set = await t('cert', 'monitor', 'set', '--start-days', '3650', '--email', 'on', '--email-ids', 'voice@lab.example;pki@lab.example', '--smtp', `127.0.0.1:${sink.address!.port}`, '--from', 'cucm@lab.example');
    expect(set.code, set.stderr).toBe(0);
    const run = await t('cert', 'monitor', 'run', '--json');
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout);
    expect(r.alarms.length).toBeGreaterThan(0);
    expect(r.alarms.every((a: { name: string }) => a.name === 'CertExpiryNotification')).toBe(true);
    expect(r.mails.every((m: { ok: boolean }) => m.ok)).toBe(true);
    await new Promise((res) => setTimeout(res, 200));
    const cm = mails.find((m) => m.subject.endsWith('identity/CallManager on pub'));
    expect(cm).toMatchObject({ from: 'cucm@lab.example', to: ['voice@lab.example', 'pki@lab.example'] });
    const serial = JSON.parse((await t('cert', 'list', '--usage', 'identity', '--find', 'type=CallManager', '--json')).stdout).find((c: { type: string }) => c.type === 'CallManager').serial;
    const body = readFileSync(cm!.file, 'utf8');
    expect(body).toContain(`Serial:     ${serial}`);
    expect(body).toContain('the certificate identity/CallManager expires in');
    const alarms = await t('alarms', '--json');
    expect(JSON.parse(alarms.stdout).length).toBe(r.alarms.length);
    expect(JSON.parse((await t('alarms', '--severity', 'Error', '--json')).stdout)).toEqual([]);
  });

  it('a stopped monitor sends nothing, and starts again', async () => {
    const stop = await t('utils', 'service', 'stop', 'Cisco Certificate Expiry Monitor');
    expect(stop.code, stop.stderr).toBe(0);
    const run = await t('cert', 'monitor', 'run', '--json');
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error.code).toBe('INVALID_STATE');
    expect(JSON.parse((await t('cert', 'monitor', 'show', '--json')).stdout).service.running).toBe(false);
    expect((await t('utils', 'service', 'start', 'Cisco Certificate Expiry Monitor')).code).toBe(0);
    const shown = JSON.parse((await t('cert', 'monitor', 'show', '--json')).stdout);
    expect(shown.service.running).toBe(true);
    expect(typeof shown.service.startedAt).toBe('string');
    expect((await t('utils', 'service', 'stop', 'TVS')).code).toBe(64);
  });
});
