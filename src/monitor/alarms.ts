import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Alarms, as CUCM raises them to RTMT and syslog. Each is declared once here, with its severity
 * and where its name comes from:
 *
 * - `CertExpired` (Emergency), `CertValidLessthanADay` (Alert) and `CertificateRevoked`
 *   (Emergency): the Cisco Unified Presence 8.6 alarm list (the only Cisco alarm catalog with
 *   the certificate monitor's alarms found; the CUCM 12.5–15 catalog was not).
 * - `CRLChanged`: named by the certificate chapter (ucm-certificates.txt, "Certificate
 *   Revocation"); its severity is not documented (Notice here).
 * - `CertExpiryNotification` and `CertMonitorMailFailed` are trustlab's names: no Cisco source
 *   names the alarm for a certificate inside the notification window (the admin guide says only
 *   "You will receive warnings in RTMT (Syslog Viewer) and an email notification"), nor one for a
 *   mail that could not be sent.
 *
 * Severities are the eight of CUCM and RFC 5424 §6.2.1, in the same order.
 */
export const SEVERITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ALARMS = {
  CertExpired: { severity: 'Emergency', source: 'Cisco' },
  CertValidLessthanADay: { severity: 'Alert', source: 'Cisco' },
  CertificateRevoked: { severity: 'Emergency', source: 'Cisco' },
  CRLChanged: { severity: 'Notice', source: 'Cisco (severity: trustlab)' },
  CertExpiryNotification: { severity: 'Warning', source: 'trustlab' },
  CertMonitorMailFailed: { severity: 'Error', source: 'trustlab' },
} as const satisfies Record<string, { severity: Severity; source: string }>;
export type AlarmName = keyof typeof ALARMS;

export interface Alarm {
  name: AlarmName;
  severity: Severity;
  /** ISO time on the cluster's clock. */
  at: string;
  cluster: string;
  node: string;
  /** The service that raised it. */
  service: string;
  message: string;
  certificate?: { where: string; subject: string; serial: string; notAfter: string };
}

export function alarm(name: AlarmName, fields: Omit<Alarm, 'name' | 'severity'>): Alarm {
  return { name, severity: ALARMS[name].severity, ...fields };
}

/**
 * The cluster's alarm log (`lab/clusters/<name>/alarms.ndjson`): one JSON object per line,
 * appended. A reader skips a line that does not parse (a write cut short by a crash), so a
 * half-written alarm never breaks `trustlab alarms`.
 */
export class AlarmLog {
  constructor(readonly path: string) {}

  /** The log of cluster `name` in the lab at `labDir`. */
  static forCluster(labDir: string, name: string): AlarmLog {
    return new AlarmLog(join(labDir, 'clusters', name, 'alarms.ndjson'));
  }

  async append(a: Alarm): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, `${JSON.stringify(a)}\n`);
  }

  async read(o: { since?: Date } = {}): Promise<Alarm[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return [];
    }
    const out: Alarm[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const a = JSON.parse(line) as Alarm;
        if (!o.since || Date.parse(a.at) >= o.since.getTime()) out.push(a);
      } catch {
        // a line cut short by a crash
      }
    }
    return out;
  }
}
