import type { CertMonitorSettings, ClusterState } from '../cluster/model.js';
import { CERT_MONITOR_SERVICE, certMonitorOf } from '../cluster/ops/monitor.js';
import type { Clock, TimerHandle } from '../shared/clock.js';
import { EventBus } from '../shared/events.js';
import { alarm, type Alarm, type AlarmLog } from './alarms.js';
import { DAY_MS, describeLeft, findingsAt, intervalAt, monitoredCertificates, type Finding } from './expiry.js';
import { sendMail } from './mail.js';
import { formatSyslog, sendSyslog } from './syslog.js';

/**
 * The "Cisco Certificate Expiry Monitor" network service of one cluster, on the cluster's clock
 * (ucm-certificates.txt, "Certificate Monitoring Configuration"). It runs only while the service
 * is running in the model; the first run comes 24 h after the service started (when the cluster
 * came up, or the last `utils service start|restart`), then every 24 h, hourly once a monitored
 * certificate has expired or expires within a day ({@link intervalAt}).
 *
 * Each run raises one alarm per finding in the alarm log and, when a syslog server is set, sends
 * it there (RFC 5424 over UDP). With Enable E-mail notification it mails each finding to the
 * E-mail IDs over SMTP, at most once per Notification Frequency per certificate. A mail that
 * cannot be sent is itself an alarm (`CertMonitorMailFailed`), never a crash. Every send has a
 * deadline, and `stop()` waits for a run in flight.
 */
export type MonitorEvent =
  | { type: 'monitor.scheduled'; cluster: string; at: string }
  | { type: 'monitor.run'; cluster: string; at: string; certificates: number; findings: number }
  | { type: 'monitor.alarm'; alarm: Alarm }
  | { type: 'monitor.mail'; cluster: string; to: string[]; subject: string; ok: boolean; message?: string }
  | { type: 'monitor.syslog'; cluster: string; ok: boolean; message?: string }
  /** A run that could not finish (the alarm log unwritable): the schedule goes on. */
  | { type: 'monitor.failed'; cluster: string; message: string };

export interface ExpiryMonitorOptions {
  clock: Clock;
  /** The cluster as it stands now (a live view: settings and service state are read at each step). */
  cluster: () => ClusterState;
  alarms: AlarmLog;
  events?: EventBus<MonitorEvent>;
  /** When the cluster came up (the service's start unless a later start is recorded). Default: now. */
  upAt?: number;
  mailTimeoutMs?: number;
}

export interface RunResult {
  at: string;
  findings: Finding[];
  alarms: Alarm[];
  mails: Array<{ to: string[]; subject: string; ok: boolean; message?: string }>;
}

const mailKey = (f: Finding): string => `${f.cert.node}|${f.cert.where}|${f.cert.serial}`;

export class ExpiryMonitor {
  readonly events: EventBus<MonitorEvent>;
  readonly #o: ExpiryMonitorOptions;
  readonly #upAt: number;
  readonly #lastMailed = new Map<string, number>();
  #timer: TimerHandle | undefined;
  #nextAt: number | undefined;
  #anchor: number | undefined;
  #running: Promise<RunResult> | undefined;
  #step: Promise<void> | undefined;
  #stopped = false;

  constructor(o: ExpiryMonitorOptions) {
    this.#o = o;
    this.events = o.events ?? new EventBus<MonitorEvent>();
    this.#upAt = o.upAt ?? o.clock.now();
  }

  /** When the next run is due (clock ms), or undefined while the service is stopped. */
  get nextRunAt(): number | undefined {
    return this.#nextAt;
  }

  /** Arms the schedule from the service state; call again whenever the cluster may have changed. */
  refresh(): void {
    if (this.#stopped) return;
    const m = certMonitorOf(this.#o.cluster());
    if (!m.service.running) {
      this.#clear();
      this.#anchor = undefined;
      return;
    }
    const anchor = Math.max(this.#upAt, m.service.startedAt ? Date.parse(m.service.startedAt) : -Infinity);
    if (anchor !== this.#anchor) {
      // A (re)start "calculates the next schedule to run only after 24 hours".
      this.#anchor = anchor;
      this.#arm(anchor + DAY_MS);
    }
  }

  start(): void {
    this.#stopped = false;
    this.refresh();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clear();
    await this.#running?.catch(() => undefined);
    await this.idle();
  }

  /** One run now, whatever the schedule (`trustlab cert monitor run`); does not move the schedule. */
  runOnce(): Promise<RunResult> {
    const p = this.#run();
    this.#running = p;
    return p;
  }

  #clear(): void {
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#nextAt = undefined;
  }

  #arm(at: number): void {
    this.#clear();
    this.#nextAt = at;
    const state = this.#o.cluster();
    this.events.emit({ type: 'monitor.scheduled', cluster: state.name, at: new Date(at).toISOString() });
    this.#timer = this.#o.clock.setTimeout(() => {
      const p = this.#scheduled().finally(() => {
        if (this.#step === p) this.#step = undefined;
      });
      this.#step = p;
    }, Math.max(0, at - this.#o.clock.now()));
  }

  /** Resolves once a scheduled run that has started is over and the next one is armed. */
  async idle(): Promise<void> {
    while (this.#step) await this.#step;
  }

  async #scheduled(): Promise<void> {
    this.#timer = undefined;
    const state = this.#o.cluster();
    if (this.#stopped || !certMonitorOf(state).service.running) {
      this.#nextAt = undefined;
      return;
    }
    const anchor = this.#anchor;
    await this.runOnce().catch((err: Error) => this.events.emit({ type: 'monitor.failed', cluster: this.#o.cluster().name, message: err.message }));
    // Stopped, or restarted while it ran (refresh() has armed the 24 h from the restart): done.
    if (this.#stopped || this.#anchor !== anchor || this.#timer) return;
    const now = this.#o.clock.now();
    const m = certMonitorOf(this.#o.cluster());
    this.#arm(now + intervalAt(monitoredCertificates(this.#o.cluster(), m.settings), now));
  }

  async #run(): Promise<RunResult> {
    const state = this.#o.cluster();
    const { settings } = certMonitorOf(state);
    const now = this.#o.clock.now();
    const at = new Date(now).toISOString();
    const certs = monitoredCertificates(state, settings);
    const findings = findingsAt(certs, now, settings);
    const result: RunResult = { at, findings, alarms: [], mails: [] };
    this.events.emit({ type: 'monitor.run', cluster: state.name, at, certificates: certs.length, findings: findings.length });
    for (const f of findings) {
      const a = alarm(f.alarm, {
        at, cluster: state.name, node: f.cert.node, service: CERT_MONITOR_SERVICE,
        message: `${f.cert.where} ${f.cert.subject} (serial ${f.cert.serial}) ${describeLeft(f.leftMs)}, on ${f.cert.notAfter.toISOString()}`,
        certificate: { where: f.cert.where, subject: f.cert.subject, serial: f.cert.serial, notAfter: f.cert.notAfter.toISOString() },
      });
      await this.#raise(state, a, result);
    }
    if (settings.emailEnabled && settings.smtp && settings.emailIds.length) {
      const every = settings.notificationFrequency.every * (settings.notificationFrequency.unit === 'hours' ? 3600_000 : DAY_MS);
      const due = findings.filter((f) => {
        const last = this.#lastMailed.get(mailKey(f));
        return last === undefined || now - last >= every;
      });
      // One mail per certificate, sent side by side: each has its own deadline.
      const sent = await Promise.all(due.map((f) => this.#mail(state.name, f, at, settings)));
      for (const [i, f] of due.entries()) {
        const record = sent[i]!;
        result.mails.push(record);
        this.events.emit({ type: 'monitor.mail', cluster: state.name, ...record });
        if (record.ok) this.#lastMailed.set(mailKey(f), now);
        else {
          await this.#raise(state, alarm('CertMonitorMailFailed', {
            at, cluster: state.name, node: f.cert.node, service: CERT_MONITOR_SERVICE, message: `the expiry mail for ${f.cert.where} could not be sent: ${record.message}`,
            certificate: { where: f.cert.where, subject: f.cert.subject, serial: f.cert.serial, notAfter: f.cert.notAfter.toISOString() },
          }), result);
        }
      }
    }
    return result;
  }

  async #mail(cluster: string, f: Finding, at: string, settings: CertMonitorSettings): Promise<RunResult['mails'][number]> {
    const subject = `[${cluster}] Certificate ${f.leftMs <= 0 ? 'expired' : 'expiring'}: ${f.cert.where} on ${f.cert.node}`;
    const text = [
      `Cluster ${cluster}, node ${f.cert.node}: the certificate ${f.cert.where} ${describeLeft(f.leftMs)}.`,
      '',
      `Subject:    ${f.cert.subject}`,
      `Serial:     ${f.cert.serial}`,
      `Not after:  ${f.cert.notAfter.toISOString()}`,
      `Alarm:      ${f.alarm}`,
      '',
      `Sent by the ${CERT_MONITOR_SERVICE} at ${at}; renew the certificate (trustlab cert regenerate, or a CA-signed upload).`,
    ].join('\n');
    const to = [...settings.emailIds];
    const r = await sendMail(settings.smtp!, { to, subject, text }, this.#o.mailTimeoutMs);
    return r.ok ? { to, subject, ok: true } : { to, subject, ok: false, message: r.message };
  }

  async #raise(state: ClusterState, a: Alarm, result: RunResult): Promise<void> {
    result.alarms.push(a);
    await this.#o.alarms.append(a);
    this.events.emit({ type: 'monitor.alarm', alarm: a });
    const syslog = certMonitorOf(state).settings.syslog;
    if (syslog) {
      const err = await sendSyslog(syslog, formatSyslog(a));
      this.events.emit({ type: 'monitor.syslog', cluster: state.name, ok: !err, ...(err ? { message: err } : {}) });
    }
  }
}
