/**
 * The Cisco Certificate Expiry Monitor (ucm-certificates.txt, "Certificate Monitoring"; issue 16
 * §1): what it watches and finds (expiry.ts), its schedule and notifications (monitor.ts), the
 * alarm log (alarms.ts), syslog (RFC 5424 over UDP), SMTP mail (nodemailer) and a local SMTP sink.
 */
export { ALARMS, SEVERITIES, AlarmLog, alarm, type Alarm, type AlarmName, type Severity } from './alarms.js';
export { monitoredCertificates, findingsAt, intervalAt, describeLeft, DAY_MS, HOUR_MS, type MonitoredCert, type Finding } from './expiry.js';
export { ExpiryMonitor, type ExpiryMonitorOptions, type MonitorEvent, type RunResult } from './monitor.js';
export { formatSyslog, sendSyslog, SYSLOG_FACILITY_LOCAL7, type SyslogTarget } from './syslog.js';
export { sendMail, MAIL_TIMEOUT_MS, type MailServer, type ExpiryMail } from './mail.js';
export { SmtpSink, SMTP_SINK_MAX_BYTES, type SmtpSinkEvent } from './smtp-sink.js';
export { RevocationSchedule, type RevocationScheduleEvent, type RevocationScheduleOptions } from './revocation-schedule.js';
