import { certOf } from '../cluster/certs.js';
import type { CertMonitorSettings, ClusterState } from '../cluster/model.js';
import type { AlarmName } from './alarms.js';

/**
 * What the Certificate Expiry Monitor looks at and what it finds, as pure functions of the
 * cluster and the time (ucm-certificates.txt, "Certificate Monitoring Configuration"):
 *
 * - every identity and trust-store certificate on every node, and with "Enable LSC Monitoring"
 *   the phones' LSCs as CUCM knows them (the devices' LSC records);
 * - a certificate is a finding once it is within Notification Start Time (days) of expiry, or
 *   past it;
 * - the schedule: the first run 24 h after the service starts, then every 24 h, and every hour
 *   "when the certificate either has expired or is going to expire in one day" — "the interval
 *   doesn't change even when the certificate is close to the expiry date of seven days".
 */
export const HOUR_MS = 3600_000;
export const DAY_MS = 24 * HOUR_MS;

export interface MonitoredCert {
  node: string;
  /** `identity/<purpose>`, `trust/<store>/<name>` or `lsc/<device>`. */
  where: string;
  subject: string;
  serial: string;
  notAfter: Date;
}

export function monitoredCertificates(state: ClusterState, settings: CertMonitorSettings): MonitoredCert[] {
  const out: MonitoredCert[] = [];
  const add = (node: string, where: string, pem: string): void => {
    const c = certOf(pem);
    out.push({ node, where, subject: c.subjectCucm, serial: c.serialHex, notAfter: c.notAfter });
  };
  for (const id of state.identities) for (const node of id.nodes) add(node, `identity/${id.purpose}`, id.certPem);
  for (const t of state.trust) add(t.node, `trust/${t.store}/${t.name}`, t.certPem);
  if (settings.lscMonitoring) {
    const publisher = state.nodes.find((n) => n.role === 'publisher')?.hostname ?? state.nodes[0]?.hostname ?? '';
    for (const d of state.devices) if (d.lscPem) add(publisher, `lsc/${d.name}`, d.lscPem);
  }
  return out;
}

export interface Finding {
  cert: MonitoredCert;
  /** Milliseconds to notAfter (negative once expired). */
  leftMs: number;
  alarm: AlarmName;
}

export function findingsAt(certs: readonly MonitoredCert[], now: number, settings: CertMonitorSettings): Finding[] {
  const out: Finding[] = [];
  for (const cert of certs) {
    const leftMs = cert.notAfter.getTime() - now;
    if (leftMs > settings.notificationStartDays * DAY_MS) continue;
    const alarm: AlarmName = leftMs <= 0 ? 'CertExpired' : leftMs <= DAY_MS ? 'CertValidLessthanADay' : 'CertExpiryNotification';
    out.push({ cert, leftMs, alarm });
  }
  return out;
}

/** Hourly while any monitored certificate has expired or expires within a day, else daily. */
export function intervalAt(certs: readonly MonitoredCert[], now: number): number {
  return certs.some((c) => c.notAfter.getTime() - now <= DAY_MS) ? HOUR_MS : DAY_MS;
}

export function describeLeft(leftMs: number): string {
  const abs = Math.abs(leftMs);
  const text = abs >= DAY_MS ? `${Math.floor(abs / DAY_MS)} day(s)` : abs >= HOUR_MS ? `${Math.floor(abs / HOUR_MS)} hour(s)` : `${Math.max(1, Math.floor(abs / 60_000))} minute(s)`;
  return leftMs <= 0 ? `expired ${text} ago` : `expires in ${text}`;
}
