import type { Command } from 'commander';
import { certMonitorOf, CERT_MONITOR_SERVICE, type CertMonitorSettings } from '../../cluster/index.js';
import { AlarmLog, ExpiryMonitor, SEVERITIES, describeLeft, findingsAt, monitoredCertificates } from '../../monitor/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, reportError } from '../io.js';
import { openCluster, printResult, withLabOptions, type LabFlags } from '../lab-options.js';
import { table } from './cluster.js';
import { onOff } from './cert-revocation.js';

/**
 * `trustlab cert monitor show|set|run` (OS Administration › Security › Certificate Monitor) and
 * `trustlab alarms` (the cluster's alarm log, as RTMT's alarm view lists it).
 */
interface SetFlags extends LabFlags {
  startDays?: string;
  every?: string;
  unit?: string;
  email?: string;
  emailIds?: string;
  lsc?: string;
  smtp?: string;
  from?: string;
  syslog?: string;
}

function hostPort(v: string, what: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(v.trim());
  if (!m) throw new EmulatorError('USAGE', `${what} takes HOST:PORT, like 127.0.0.1:2525, not "${v}"`);
  return { host: m[1]!, port: Number(m[2]) };
}


function patchOf(o: SetFlags, current: CertMonitorSettings): Partial<CertMonitorSettings> {
  const p: Partial<CertMonitorSettings> = {};
  const whole = (v: string, what: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new EmulatorError('USAGE', `${what} takes a whole number, not "${v}"`);
    return n;
  };
  if (o.startDays !== undefined) p.notificationStartDays = whole(o.startDays, '--start-days');
  if (o.every !== undefined || o.unit !== undefined) {
    if (o.unit !== undefined && o.unit !== 'hours' && o.unit !== 'days') throw new EmulatorError('USAGE', `--unit takes hours or days, not "${o.unit}"`);
    p.notificationFrequency = { every: o.every !== undefined ? whole(o.every, '--every') : current.notificationFrequency.every, unit: (o.unit as 'hours' | 'days' | undefined) ?? current.notificationFrequency.unit };
  }
  if (o.email !== undefined) p.emailEnabled = onOff(o.email, '--email')!;
  if (o.emailIds !== undefined) p.emailIds = o.emailIds.split(/[;,]/).map((e) => e.trim()).filter(Boolean);
  if (o.lsc !== undefined) p.lscMonitoring = onOff(o.lsc, '--lsc')!;
  if (o.smtp !== undefined) p.smtp = { ...hostPort(o.smtp, '--smtp'), from: o.from ?? current.smtp?.from ?? 'trustlab-cucm@localhost' };
  else if (o.from !== undefined && current.smtp) p.smtp = { ...current.smtp, from: o.from };
  if (o.syslog !== undefined) p.syslog = hostPort(o.syslog, '--syslog');
  if (Object.keys(p).length === 0) throw new EmulatorError('USAGE', 'nothing to set: pass --start-days, --every/--unit, --email, --email-ids, --lsc, --smtp, --from or --syslog');
  return p;
}

function describe(s: CertMonitorSettings): string[] {
  return [
    `Notification Start Time:    ${s.notificationStartDays} days before expiry`,
    `Notification Frequency:     every ${s.notificationFrequency.every} ${s.notificationFrequency.unit}`,
    `Enable E-mail notification: ${s.emailEnabled ? 'yes' : 'no'}${s.emailIds.length ? ` (E-mail IDs: ${s.emailIds.join(';')})` : ''}`,
    `Enable LSC Monitoring:      ${s.lscMonitoring ? 'yes' : 'no'}`,
    `SMTP server:                ${s.smtp ? `${s.smtp.host}:${s.smtp.port} (from ${s.smtp.from})` : 'none'}`,
    `Remote syslog:              ${s.syslog ? `${s.syslog.host}:${s.syslog.port} (UDP, RFC 5424)` : 'none'}`,
  ];
}

export function registerCertMonitor(cert: Command, program: Command, ctx: CliContext): void {
  const io = ctx.io;
  const mon = cert.command('monitor').description(`the Certificate Monitor page and the ${CERT_MONITOR_SERVICE} service`);

  withLabOptions(mon.command('show').description('the Certificate Monitor settings, the service state, and the certificates inside the notification window now'))
    .action(act(ctx, async (o: LabFlags) => {
      try {
        const { lab, cluster } = await openCluster(o);
        const m = certMonitorOf(cluster.state);
        const now = lab.clock.now();
        const findings = findingsAt(monitoredCertificates(cluster.state, m.settings), now, m.settings);
        if (o.json) {
          printJson(io, { settings: m.settings, service: m.service, findings: findings.map((f) => ({ ...f.cert, notAfter: f.cert.notAfter.toISOString(), alarm: f.alarm, left: describeLeft(f.leftMs) })) });
          return EXIT.OK;
        }
        for (const l of describe(m.settings)) io.out(`${l}\n`);
        io.out(`${CERT_MONITOR_SERVICE}: ${m.service.running ? `running${m.service.startedAt ? ` since ${m.service.startedAt}` : ''}` : 'stopped'}\n`);
        if (findings.length === 0) io.out(`no certificate expires within ${m.settings.notificationStartDays} days\n`);
        else io.out(table(['NODE', 'CERTIFICATE', 'EXPIRES', 'ALARM'], findings.map((f) => [f.cert.node, f.cert.where, `${f.cert.notAfter.toISOString().slice(0, 10)} (${describeLeft(f.leftMs)})`, f.alarm])));
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  withLabOptions(mon.command('set').description('change the Certificate Monitor settings'))
    .option('--start-days <n>', 'Notification Start Time: days before expiry to start notifying')
    .option('--every <n>', 'Notification Frequency')
    .option('--unit <unit>', 'hours or days')
    .option('--email <on|off>', 'Enable E-mail notification')
    .option('--email-ids <list>', 'E-mail IDs, separated by semicolons')
    .option('--lsc <on|off>', 'Enable LSC Monitoring (the phones\' LSCs as the cluster knows them)')
    .option('--smtp <host:port>', 'the SMTP server mail goes to (CUCM: OS Administration › Settings › SMTP)')
    .option('--from <address>', 'the sender address')
    .option('--syslog <host:port>', 'remote syslog server (UDP)')
    .action(act(ctx, async (o: SetFlags) => {
      try {
        const { cluster } = await openCluster(o);
        const r = await cluster.setCertMonitor(patchOf(o, certMonitorOf(cluster.state).settings));
        printResult(io, r, o.json, { settings: certMonitorOf(cluster.state).settings });
        if (!o.json) for (const l of describe(certMonitorOf(cluster.state).settings)) io.out(`  ${l}\n`);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  withLabOptions(mon.command('run').description('run the monitor once now, as its schedule would (trustlab only: alarms, syslog and mail as configured)'))
    .action(act(ctx, async (o: LabFlags) => {
      try {
        const { lab, cluster } = await openCluster(o);
        if (!certMonitorOf(cluster.state).service.running) throw new EmulatorError('INVALID_STATE', `${CERT_MONITOR_SERVICE} is stopped; start it with: trustlab utils service start "${CERT_MONITOR_SERVICE}"`);
        const monitor = new ExpiryMonitor({ clock: lab.clock, cluster: () => cluster.state, alarms: AlarmLog.forCluster(lab.dir, cluster.name) });
        const r = await monitor.runOnce();
        if (o.json) printJson(io, r);
        else {
          io.out(`${r.findings.length} finding(s), ${r.alarms.length} alarm(s), ${r.mails.filter((m) => m.ok).length} mail(s) sent${r.mails.some((m) => !m.ok) ? `, ${r.mails.filter((m) => !m.ok).length} failed` : ''}\n`);
          for (const a of r.alarms) io.out(`  ${a.severity.padEnd(9)} ${a.name}  ${a.message}\n`);
        }
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  withLabOptions(program.command('alarms').description('the cluster\'s alarm log (certificate expiry, failed mail, revocation)'))
    .option('--since <when>', 'only alarms at or after this time (ISO date, or a duration like 24h or 7d back from now)')
    .option('--severity <level>', `at least this severe: ${SEVERITIES.join(', ')}`)
    .action(act(ctx, async (o: LabFlags & { since?: string; severity?: string }) => {
      try {
        const { lab, cluster } = await openCluster(o);
        let since: Date | undefined;
        if (o.since !== undefined) {
          const d = /^(\d+)([hd])$/.exec(o.since);
          since = d ? new Date(lab.clock.now() - Number(d[1]) * (d[2] === 'h' ? 3600_000 : 86_400_000)) : new Date(o.since);
          if (Number.isNaN(since.getTime())) throw new EmulatorError('USAGE', `--since takes an ISO time or a duration like 24h or 7d, not "${o.since}"`);
        }
        const min = o.severity === undefined ? SEVERITIES.length - 1 : SEVERITIES.findIndex((s) => s.toLowerCase() === o.severity!.toLowerCase());
        if (min < 0) throw new EmulatorError('USAGE', `--severity takes one of ${SEVERITIES.join(', ')}`);
        const alarms = (await AlarmLog.forCluster(lab.dir, cluster.name).read(since ? { since } : {})).filter((a) => SEVERITIES.indexOf(a.severity) <= min);
        if (o.json) printJson(io, alarms);
        else if (alarms.length === 0) io.out('no alarms\n');
        else io.out(table(['TIME', 'SEVERITY', 'ALARM', 'NODE', 'MESSAGE'], alarms.map((a) => [a.at.slice(0, 19), a.severity, a.name, a.node, a.message])));
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
}
