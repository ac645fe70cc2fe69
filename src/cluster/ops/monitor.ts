import { EmulatorError } from '../../shared/errors.js';
import type { ClusterEvent } from '../events.js';
import { DEFAULT_CERT_MONITOR_SETTINGS, type CertMonitorSettings, type CertMonitorState, type ClusterState } from '../model.js';

/**
 * The Certificate Monitor page and the "Cisco Certificate Expiry Monitor" network service
 * (ucm-certificates.txt, "Certificate Monitoring Configuration"): "By default, this service is
 * enabled", so a cluster without a record runs it from the moment the cluster comes up (a
 * `serve` starting). A restart "calculates the next schedule to run only after 24 hours":
 * `startedAt` is what the schedule counts from when it is later than that.
 */
export const CERT_MONITOR_SERVICE = 'Cisco Certificate Expiry Monitor';

export function certMonitorOf(state: ClusterState): CertMonitorState {
  return state.certMonitor ?? { settings: { ...DEFAULT_CERT_MONITOR_SETTINGS }, service: { running: true, startedAt: null } };
}

const EMAIL = /^[^\s@;,]+@[^\s@;,]+$/;

export function setCertMonitor(state: ClusterState, patch: Partial<CertMonitorSettings>): ClusterEvent[] {
  const current = certMonitorOf(state);
  const next: CertMonitorSettings = { ...current.settings, ...patch };
  if (!Number.isInteger(next.notificationStartDays) || next.notificationStartDays < 1 || next.notificationStartDays > 3650) {
    throw new EmulatorError('INVALID_ARGUMENT', `Notification Start Time is a number of days before expiry, 1 to 3650, not ${next.notificationStartDays}`);
  }
  const f = next.notificationFrequency;
  if (!Number.isInteger(f.every) || f.every < 1 || f.every > (f.unit === 'hours' ? 24 * 365 : 365)) {
    throw new EmulatorError('INVALID_ARGUMENT', `Notification Frequency is a whole number of ${f.unit}, 1 to ${f.unit === 'hours' ? 24 * 365 : 365}`);
  }
  const bad = next.emailIds.find((e) => !EMAIL.test(e));
  if (bad !== undefined) throw new EmulatorError('INVALID_ARGUMENT', `"${bad}" is not an e-mail address (E-mail IDs are separated by semicolons)`);
  if (next.emailEnabled && next.emailIds.length === 0) throw new EmulatorError('INVALID_ARGUMENT', 'Enable E-mail notification needs at least one address in E-mail IDs (--email-ids a@b;c@d)');
  if (next.emailEnabled && !next.smtp) throw new EmulatorError('INVALID_ARGUMENT', 'e-mail needs an SMTP host, as on CUCM (OS Administration > Settings > SMTP): pass --smtp HOST:PORT');
  for (const [what, t] of [['SMTP', next.smtp], ['syslog', next.syslog]] as const) {
    if (t && (!t.host || !Number.isInteger(t.port) || t.port < 1 || t.port > 65535)) throw new EmulatorError('INVALID_ARGUMENT', `the ${what} server needs a host and a port 1–65535`);
  }
  state.certMonitor = { ...current, settings: next };
  return [{ type: 'param.changed', name: 'certificateMonitor', value: next }];
}

/** `utils service stop|start|restart "Cisco Certificate Expiry Monitor"`. */
export function controlCertMonitor(state: ClusterState, action: 'stop' | 'start' | 'restart', now: string): ClusterEvent[] {
  const current = certMonitorOf(state);
  if (action === 'start' && current.service.running) return [{ type: 'warning', code: 'SERVICE_RUNNING', message: `${CERT_MONITOR_SERVICE} is already running${current.service.startedAt ? ` (since ${current.service.startedAt})` : ''}` }];
  if (action === 'stop' && !current.service.running) return [{ type: 'warning', code: 'SERVICE_STOPPED', message: `${CERT_MONITOR_SERVICE} is already stopped` }];
  state.certMonitor = { ...current, service: action === 'stop' ? { running: false, startedAt: null } : { running: true, startedAt: now } };
  return [{ type: 'param.changed', name: 'certificateExpiryMonitorService', value: action === 'stop' ? 'stopped' : `started ${now}; first run 24 h later` }];
}
