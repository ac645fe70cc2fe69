import { createSocket } from 'node:dgram';
import { SEVERITIES, type Alarm } from './alarms.js';

/**
 * Syslog (RFC 5424) over UDP (RFC 5426): one datagram per alarm. CUCM sends its alarms to a
 * remote syslog server configured in Serviceability; the facility is local7 (23) here.
 *
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`, PRI = facility × 8 + severity
 * (§6.2.1). The alarm name is the MSGID and the certificate goes in structured data
 * `[cert@32473 …]` (32473 is the example enterprise number of RFC 5612, for documentation).
 */
export const SYSLOG_FACILITY_LOCAL7 = 23;
const NILVALUE = '-';

function sdEscape(v: string): string {
  return v.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

function token(v: string, max: number): string {
  const t = v.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return t || NILVALUE;
}

export function formatSyslog(a: Alarm, o: { facility?: number; appName?: string } = {}): string {
  const pri = (o.facility ?? SYSLOG_FACILITY_LOCAL7) * 8 + SEVERITIES.indexOf(a.severity);
  const sd = a.certificate
    ? `[cert@32473 where="${sdEscape(a.certificate.where)}" subject="${sdEscape(a.certificate.subject)}" serial="${sdEscape(a.certificate.serial)}" notAfter="${sdEscape(a.certificate.notAfter)}"]`
    : NILVALUE;
  return `<${pri}>1 ${a.at} ${token(a.node, 255)} ${token(o.appName ?? a.service, 48)} ${NILVALUE} ${token(a.name, 32)} ${sd} ${a.message}`;
}

export interface SyslogTarget {
  host: string;
  port: number;
}

/** Sends one message; resolves with an error message instead of throwing (the sink is best effort, like UDP). */
export function sendSyslog(t: SyslogTarget, message: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(t.host.includes(':') ? 'udp6' : 'udp4');
    const done = (err?: Error | null): void => {
      socket.close();
      resolve(err ? `syslog to ${t.host}:${t.port}: ${err.message}` : undefined);
    };
    socket.once('error', done);
    socket.send(Buffer.from(message, 'utf8'), t.port, t.host, (err) => done(err));
  });
}
