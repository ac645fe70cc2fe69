import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../src/cluster/index.js';
import { certOf } from '../src/cluster/certs.js';
import { AlarmLog, DAY_MS, ExpiryMonitor, HOUR_MS, SmtpSink, type MonitorEvent, type SmtpSinkEvent } from '../src/monitor/index.js';
import type { ManualClock } from '../src/shared/clock.js';
import { nodes, testLab } from './helpers/lab.js';
import { until } from './sip-helpers.js';

/**
 * Issue 16 §1: the Cisco Certificate Expiry Monitor on a simulated clock, with real sinks — a UDP
 * socket receiving RFC 5424 syslog and an SMTP server (smtp-server) receiving the mail nodemailer
 * sends. The schedule (first run 24 h after the service starts, daily, hourly in the last day and
 * after expiry), the alarms, a stopped service that sends nothing, a restart that recalculates the
 * schedule, and a mail server that is down.
 */
describe('Cisco Certificate Expiry Monitor', () => {
  let cluster: Cluster;
  let clock: ManualClock;
  let expiry: number;
  let syslog: Socket;
  const datagrams: string[] = [];
  let sink: SmtpSink;
  const mails: SmtpSinkEvent[] = [];
  let log: AlarmLog;
  let mon: ExpiryMonitor;
  const events: MonitorEvent[] = [];
  const runs = (): number => events.filter((e) => e.type === 'monitor.run').length;

  /** Lets a run's async work (file appends, UDP, SMTP) finish and the next run be armed. */
  async function settle(): Promise<void> {
    await mon.idle();
    // The sinks see the datagram and the mail a moment after they were sent.
    await new Promise((r) => setTimeout(r, 30));
  }

  async function step(ms: number): Promise<void> {
    clock.advance(ms);
    await settle();
  }

  beforeAll(async () => {
    const t = await testLab({ start: new Date(Date.UTC(2026, 0, 1)) });
    clock = t.clock;
    cluster = await t.lab.createCluster({ name: 'A', release: '14', nodes: nodes('pub') });
    expiry = certOf(cluster.state.identities.find((i) => i.purpose === 'CallManager')!.certPem).notAfter.getTime();
    syslog = createSocket('udp4');
    syslog.on('message', (m) => datagrams.push(m.toString('utf8')));
    await new Promise<void>((r) => syslog.bind(0, '127.0.0.1', () => r()));
    sink = new SmtpSink({ dir: mkdtempSync(join(tmpdir(), 'trustlab-mail-')) });
    sink.events.on('smtp.received', (e) => mails.push(e));
    const smtp = await sink.listen({ port: 0 });
    await cluster.setCertMonitor({
      notificationStartDays: 30, notificationFrequency: { every: 1, unit: 'days' }, emailEnabled: true, emailIds: ['voice-team@lab.example'],
      smtp: { host: '127.0.0.1', port: smtp.port, from: 'cucm@lab.example' }, syslog: { host: '127.0.0.1', port: syslog.address().port },
    });
    log = new AlarmLog(join(t.dir, 'clusters', 'A', 'alarms.ndjson'));
    // The cluster comes up 32 days before its certificates (all made together) expire.
    clock.advance(expiry - 32 * DAY_MS - clock.now());
    mon = new ExpiryMonitor({ clock, cluster: () => cluster.state, alarms: log, upAt: clock.now(), mailTimeoutMs: 2_000 });
    mon.events.onAny((e) => events.push(e));
    mon.start();
  }, 120_000);

  afterAll(async () => {
    await mon?.stop();
    await sink?.close();
    syslog?.close();
  });

  it('runs first 24 h after the service starts, and finds nothing outside the notification window', async () => {
    await step(DAY_MS - 1);
    expect(runs()).toBe(0);
    await step(1);
    expect(runs()).toBe(1);
    expect(events.find((e) => e.type === 'monitor.run')).toMatchObject({ findings: 0 });
  });

  it('inside Notification Start Time: an alarm per certificate, syslog, and one mail each per Notification Frequency', async () => {
    await step(DAY_MS); // 30 days left
    await step(DAY_MS); // 29 days left
    const alarms = await log.read();
    expect(alarms.length).toBeGreaterThan(0);
    const cm = alarms.filter((a) => a.certificate?.where === 'identity/CallManager').at(-1);
    expect(cm).toMatchObject({ name: 'CertExpiryNotification', severity: 'Warning', node: 'pub', service: 'Cisco Certificate Expiry Monitor' });
    expect(cm!.message, cm!.message).toContain('expires in 29 day(s)');
    // RFC 5424: <PRI>1 TIMESTAMP HOST APP - MSGID [SD] MSG, PRI = local7 (23) × 8 + Warning (4).
    const cmLine = (d: string): boolean => d.includes('where="identity/CallManager"') && d.includes('CertExpiryNotification');
    await until(() => datagrams.some(cmLine), 'the syslog datagram');
    const line = datagrams.find(cmLine);
    expect(line).toMatch(/^<188>1 \d{4}-\d\d-\d\dT[\d:.]+Z pub Cisco_Certificate_Expiry_Monitor - CertExpiryNotification \[cert@32473 where="identity\/CallManager" /);
    const isCm = (m: SmtpSinkEvent): boolean => m.subject.endsWith('identity/CallManager on pub');
    await until(() => mails.some(isCm), 'the mail');
    const mail = mails.find(isCm);
    expect(mail).toMatchObject({ to: ['voice-team@lab.example'], from: 'cucm@lab.example' });
    const body = readFileSync(mail!.file, 'utf8');
    expect(body).toContain(certOf(cluster.state.identities.find((i) => i.purpose === 'CallManager')!.certPem).serialHex);
    expect(body).toContain('expires in');
  });

  it('runs daily until the last day, then hourly; mails stay daily', async () => {
    const before = runs();
    for (let d = 0; d < 27; d++) await step(DAY_MS); // 2 days left
    expect(runs() - before).toBe(27);
    const cmMails = (): number => mails.filter((m) => m.subject.endsWith('identity/CallManager on pub')).length;
    const mailsBefore = cmMails();
    await step(DAY_MS); // 1 day left: from here hourly
    const r0 = runs();
    for (let h = 0; h < 6; h++) await step(HOUR_MS);
    expect(runs() - r0).toBe(6);
    expect(cmMails() - mailsBefore).toBe(1);
    const last = (await log.read()).filter((a) => a.certificate?.where === 'identity/CallManager').at(-1);
    expect(last).toMatchObject({ name: 'CertValidLessthanADay', severity: 'Alert' });
  });

  it('after expiry the alarm is CertExpired (Emergency), hourly', async () => {
    clock.advance(expiry - clock.now() + 1);
    await settle();
    const r0 = runs();
    await step(HOUR_MS);
    expect(runs() - r0).toBe(1);
    const last = (await log.read()).filter((a) => a.certificate?.where === 'identity/CallManager').at(-1);
    expect(last).toMatchObject({ name: 'CertExpired', severity: 'Emergency' });
    await until(() => datagrams.some((d) => d.startsWith('<184>1 ') && d.includes('CertExpired')), 'the Emergency syslog datagram');
  });

  it('a stopped service sends nothing; a restart runs again only 24 h later', async () => {
    await cluster.controlCertMonitor('stop');
    mon.refresh();
    const alarms0 = (await log.read()).length;
    const r0 = runs();
    for (let h = 0; h < 5; h++) await step(HOUR_MS);
    expect(runs()).toBe(r0);
    expect((await log.read()).length).toBe(alarms0);
    await cluster.controlCertMonitor('restart');
    mon.refresh();
    await step(DAY_MS - 1);
    expect(runs()).toBe(r0);
    await step(1);
    expect(runs()).toBe(r0 + 1);
  });

  it('a mail server that is down is an alarm of its own, and the monitor keeps running', async () => {
    await cluster.setCertMonitor({ smtp: { host: '127.0.0.1', port: 9, from: 'cucm@lab.example' }, notificationFrequency: { every: 1, unit: 'hours' } });
    const r0 = runs();
    await step(HOUR_MS);
    await settle();
    expect(runs()).toBe(r0 + 1);
    const failed = (await log.read()).filter((a) => a.name === 'CertMonitorMailFailed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]).toMatchObject({ severity: 'Error' });
    expect(failed[0]!.message).toContain('could not be sent');
    await step(HOUR_MS);
    expect(runs()).toBe(r0 + 2);
  });
});
