import type { Cluster } from '../cluster/index.js';
import { revocationCheckInterval, revocationOf } from '../cluster/ops/revocation.js';
import { runRevocationChecks } from '../cluster/serve/revocation-checks.js';
import { certOf } from '../cluster/certs.js';
import type { CertificateInfo } from '../pki/index.js';
import { boundedFetch, decodeCrl, MAX_CRL_BYTES, subjectNameDer } from '../revocation/index.js';
import type { Clock, TimerHandle } from '../shared/clock.js';
import { EventBus } from '../shared/events.js';
import { alarm, type Alarm, type AlarmLog } from './alarms.js';
import { formatSyslog, sendSyslog } from './syslog.js';
import { certMonitorOf } from '../cluster/ops/monitor.js';

/**
 * "Enable Revocation Check" with its frequency (ucm-certificates.txt, Certificate Revocation
 * steps 6–7), or else the Validity Check Frequency enterprise parameter ({@link
 * revocationCheckInterval}): the cluster re-checks its CA-issued certificates on that schedule and records each
 * result, as on upload. A revoked one raises `CertificateRevoked`. With Enable CRL, a CRL that
 * differs from the one downloaded before (another CRL number or entry count) raises `CRLChanged`
 * ("Whenever there is a difference in latest and previously downloaded CRL files from CA, a
 * CRLChanged alarm will be generated", same section).
 */
export type RevocationScheduleEvent =
  | { type: 'revocation.scheduled'; cluster: string; at: string }
  | { type: 'revocation.checked'; cluster: string; at: string; checks: number; notGood: number }
  | { type: 'revocation.alarm'; alarm: Alarm }
  /** A scheduled check that could not finish (the lab unwritable): the schedule goes on. */
  | { type: 'revocation.failed'; cluster: string; message: string };

export interface RevocationScheduleOptions {
  clock: Clock;
  cluster: () => Cluster;
  alarms: AlarmLog;
}

export class RevocationSchedule {
  readonly events = new EventBus<RevocationScheduleEvent>();
  readonly #o: RevocationScheduleOptions;
  #timer: TimerHandle | undefined;
  #key: string | undefined;
  #step: Promise<void> | undefined;
  #lastCrl: string | undefined;
  #stopped = false;

  constructor(o: RevocationScheduleOptions) {
    this.#o = o;
  }

  /** Re-arms when the settings changed; call whenever the cluster may have changed. */
  refresh(): void {
    if (this.#stopped) return;
    const state = this.#o.cluster().state;
    const s = revocationOf(state);
    const every = revocationCheckInterval(state);
    const key = every ? `${every.ms}|${s.ocspEnabled}|${s.crlEnabled}` : undefined;
    if (key === this.#key) return;
    this.#key = key;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (every) this.#arm(every.ms);
  }

  async idle(): Promise<void> {
    while (this.#step) await this.#step;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.idle();
  }

  #arm(every: number): void {
    this.events.emit({ type: 'revocation.scheduled', cluster: this.#o.cluster().name, at: new Date(this.#o.clock.now() + every).toISOString() });
    const key = this.#key;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      const p = this.#run().catch((err: Error) => this.events.emit({ type: 'revocation.failed', cluster: this.#o.cluster().name, message: err.message })).finally(() => {
        if (this.#step === p) this.#step = undefined;
        // Not when stopped, nor when a settings change re-armed it while this run was going.
        if (!this.#stopped && this.#key === key && !this.#timer) this.#arm(every);
      });
      this.#step = p;
    }, every);
  }

  async #run(): Promise<void> {
    const cluster = this.#o.cluster();
    const state = cluster.state;
    const now = new Date(this.#o.clock.now());
    const at = now.toISOString();
    const checks = await runRevocationChecks(state, { now, trigger: 'schedule' });
    if (checks.length) await cluster.recordRevocationChecks(checks);
    this.events.emit({ type: 'revocation.checked', cluster: state.name, at, checks: checks.length, notGood: checks.filter((c) => c.status !== 'good').length });
    for (const c of checks.filter((x) => x.status === 'revoked')) {
      await this.#raise(alarm('CertificateRevoked', { at, cluster: state.name, node: c.node, service: 'Certificate Revocation', message: `${c.where} ${c.subject} (serial ${c.serial}) is revoked${c.message ? `: ${c.message}` : ''}`, certificate: { where: c.where, subject: c.subject, serial: c.serial, notAfter: '' } }));
    }
    const s = revocationOf(state);
    if (s.crlEnabled && s.crlUri) {
      const id = await this.#crlIdentity(s.crlUri, state.trust.map((t) => certOf(t.certPem)));
      if (id !== undefined) {
        if (this.#lastCrl !== undefined && id !== this.#lastCrl) {
          const publisher = state.nodes.find((n) => n.role === 'publisher')?.hostname ?? '';
          await this.#raise(alarm('CRLChanged', { at, cluster: state.name, node: publisher, service: 'Certificate Revocation', message: `the CRL at ${s.crlUri} changed (now ${id}; was ${this.#lastCrl})` }));
        }
        this.#lastCrl = id;
      }
    }
  }

  /** `number N, M entries` of the CRL at `url`, if it downloads, decodes and verifies under a trusted issuer. */
  async #crlIdentity(url: string, trusted: readonly CertificateInfo[]): Promise<string | undefined> {
    const got = await boundedFetch({ url, method: 'GET', maxBytes: MAX_CRL_BYTES, timeoutMs: 10_000 });
    if (!got.ok || got.status !== 200) return undefined;
    let crl;
    try {
      crl = await decodeCrl(got.body);
    } catch {
      return undefined;
    }
    const issuer = trusted.find((c) => Buffer.from(subjectNameDer(c)).equals(Buffer.from(crl.issuerNameDer)));
    if (!issuer || !(await crl.verify(issuer))) return undefined;
    return `number ${crl.crlNumber ?? 'none'}, ${crl.entries.length} entries`;
  }

  async #raise(a: Alarm): Promise<void> {
    await this.#o.alarms.append(a);
    this.events.emit({ type: 'revocation.alarm', alarm: a });
    // "a CRLChanged alarm will be generated … along with a message in syslog server".
    const syslog = certMonitorOf(this.#o.cluster().state).settings.syslog;
    if (syslog) await sendSyslog(syslog, formatSyslog(a));
  }
}
