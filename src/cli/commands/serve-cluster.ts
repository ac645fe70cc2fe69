import type { Command } from 'commander';
import { Lab } from '../../cluster/index.js';
import { ClusterServers, LiveCluster, STANDARD_PORTS, type ClusterPorts, type ClusterServiceEvent, type NodeEndpoints } from '../../cluster/serve/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { serveLabCa } from './serve-ca.js';
import { join } from 'node:path';
import { AlarmLog, ExpiryMonitor, RevocationSchedule, SmtpSink, type MonitorEvent } from '../../monitor/index.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { reportError, type CliIo } from '../io.js';
import { labDir } from '../lab-options.js';
import { describeHttp, describeTftp, int, nextSignal } from './serve-common.js';

interface ServeClusterFlags {
  lab?: string;
  cluster?: string;
  node?: string[];
  host?: string;
  allowPooledKeys?: boolean;
  tftpPort: string;
  httpPort: string;
  tvsPort: string;
  capfPort: string;
  sipPort: string;
  sipTlsPort: string;
  httpsPort: string;
  pollMs: string;
  ca: boolean;
  smtpSink?: string | boolean;
  verbose?: boolean;
  json?: boolean;
}

/**
 * `trustlab serve --lab DIR --cluster NAME`: every service of a modelled cluster on real sockets
 * (issue 5): per node TFTP + HTTP 6970, TVS 2445, SIP 5060/5061, Tomcat HTTPS 8443 and, on the
 * publisher, CAPF 3804, each on the node's own address. The lab is polled, so an operation run from another terminal
 * (`trustlab cert regenerate TVS …`) reaches the next connection.
 */
export function addServeCluster(serve: Command, ctx: CliContext): void {
  const p = STANDARD_PORTS;
  serve
    .passThroughOptions()
    .option('--lab <dir>', 'lab directory (default: $TRUSTLAB_LAB or ./lab)')
    .option('--cluster <name>', 'cluster in the lab (needed when it has several)')
    .option('--node <host...>', 'serve only these nodes (default: all)')
    .option('--host <addr>', "bind this address instead of each node's own (one node only; 0.0.0.0 for real phones)")
    .option('--allow-pooled-keys', 'serve a lab whose private keys come from the shared key pool on a non-loopback --host anyway')
    .option('--tftp-port <n>', 'TFTP port', String(p.tftp))
    .option('--http-port <n>', 'HTTP file service port', String(p.http))
    .option('--tvs-port <n>', 'TVS port', String(p.tvs))
    .option('--capf-port <n>', 'CAPF port', String(p.capf))
    .option('--sip-port <n>', 'SIP TCP port (non-secure phones)', String(p.sip))
    .option('--sip-tls-port <n>', 'SIP TLS port', String(p.sipTls))
    .option('--https-port <n>', 'Tomcat HTTPS port (corporate directory); configs point phones at 8443', String(p.https))
    .option('--poll-ms <n>', 'how often to look for changes made by other trustlab commands', '500')
    .option('--no-ca', "do not serve the lab CA's OCSP responder and CRL (see `trustlab ca url`)")
    .option('--smtp-sink [port]', 'also run a local SMTP server (default port 2525) that keeps every mail in LAB/mail/; point the monitor at it with `cert monitor set --smtp 127.0.0.1:2525`')
    .option('--verbose', 'also log connections, handshakes and stray datagrams')
    .option('--json', 'log one JSON object per line')
    .addHelpText('after', '\nWith --lab, serves the whole cluster; `serve tftp` serves files only.\nExample: trustlab serve --lab lab --cluster cucm1 --tftp-port 6969')
    .action(act(ctx, async (o: ServeClusterFlags) => {
      try {
        if (!o.lab && !process.env.TRUSTLAB_LAB) {
          throw new EmulatorError('USAGE', 'pass --lab DIR (and --cluster NAME) to serve a modelled cluster, or use `trustlab serve tftp --root DIR` to serve a directory');
        }
        return await runServeCluster(ctx.io, o);
      } catch (e) {
        return reportError(ctx.io, e, Boolean(o.json));
      }
    }));
}

async function runServeCluster(io: CliIo, o: ServeClusterFlags): Promise<number> {
  const ports: ClusterPorts = {
    tftp: int(o.tftpPort, '--tftp-port', 0, 65535), http: int(o.httpPort, '--http-port', 0, 65535),
    tvs: int(o.tvsPort, '--tvs-port', 0, 65535), capf: int(o.capfPort, '--capf-port', 0, 65535),
    sip: int(o.sipPort, '--sip-port', 0, 65535), sipTls: int(o.sipTlsPort, '--sip-tls-port', 0, 65535),
    https: int(o.httpsPort, '--https-port', 0, 65535),
  };
  const pollMs = int(o.pollMs, '--poll-ms', 50, 3_600_000);
  const lab = await Lab.open(labDir(o));
  if (o.host && !isLoopback(o.host) && lab.sharedKeys) {
    // Pooled keys are the same in every lab on this machine and in ~/.cache/trustlab/keypool:
    // fine on loopback, wrong for a cluster real phones on a real network trust (decision 025).
    const message = `the lab's private keys come from the shared key pool (${process.env.TRUSTLAB_KEYPOOL ?? '~/.cache/trustlab/keypool'}), which other labs on this machine hold too; a cluster that real phones on ${o.host} trust needs keys of its own. Create the lab with \`trustlab cluster init NAME --private-keys\`, or pass --allow-pooled-keys to serve it anyway.`;
    if (!o.allowPooledKeys) throw new EmulatorError('LAB_POOLED_KEYS', message);
    io.err(`WARNING: ${message}\n`);
  }
  const live = await LiveCluster.open(lab, o.cluster);
  const cluster = live.get();
  for (const n of o.node ?? []) cluster.node(n);
  const servers = new ClusterServers(live.get, { ports, ...(o.node ? { nodes: o.node } : {}), ...(o.host ? { host: o.host } : {}) });
  const line = (text: string, event: object): void => {
    io.out(o.json ? `${JSON.stringify({ time: new Date().toISOString(), ...event }, jsonBytes)}\n` : `${new Date().toISOString()} ${text}\n`);
  };
  servers.events.onAny((e) => {
    const text = describe(e, Boolean(o.verbose));
    if (text !== undefined) line(text, e);
  });
  const endpoints = await servers.listen();
  if (o.json) line('', { type: 'serve.listening', cluster: cluster.name, lab: lab.dir, nodes: endpoints });
  else {
    io.out(`serving cluster ${cluster.name} (${cluster.state.release}, ${cluster.state.securityMode}) from ${lab.dir}\n`);
    for (const ep of endpoints) io.out(`  ${describeEndpoints(ep)}\n`);
    io.out('Ctrl-C to stop\n');
  }
  const ca = o.ca ? await serveLabCa(lab, line) : undefined;
  const sink = o.smtpSink ? await startSmtpSink(lab.dir, o.smtpSink, line) : undefined;
  const monitor = new ExpiryMonitor({ clock: lab.clock, cluster: () => live.get().state, alarms: AlarmLog.forCluster(lab.dir, cluster.name) });
  monitor.events.onAny((e) => {
    const text = describeMonitor(e);
    if (text !== undefined) line(text, e);
  });
  monitor.start();
  const revocation = new RevocationSchedule({ clock: lab.clock, cluster: () => live.get(), alarms: AlarmLog.forCluster(lab.dir, cluster.name) });
  revocation.events.onAny((e) => {
    if (e.type === 'revocation.checked') line(`[revocation] ${e.checks} certificate(s) checked on schedule, ${e.notGood} not good`, e);
    if (e.type === 'revocation.alarm') line(`[revocation] alarm ${e.alarm.name} (${e.alarm.severity}): ${e.alarm.message}`, e);
    if (e.type === 'revocation.failed') line(`[revocation] scheduled check failed: ${e.message}`, e);
  });
  revocation.refresh();
  live.start(pollMs, (c) => {
    line(`cluster ${c.name} changed on disk (rev ${c.state.rev}); new connections see it`, { type: 'cluster.reloaded', rev: c.state.rev });
    monitor.refresh();
    revocation.refresh();
  }, (e) => line(`cannot re-read the lab: ${(e as Error).message}`, { type: 'cluster.reload.failed', message: (e as Error).message }));
  const signal = await nextSignal().signal;
  if (!o.json) io.out(`${signal}: stopping\n`);
  live.stop();
  await Promise.all([servers.close(), ca?.close(), monitor.stop(), revocation.stop(), sink?.close()]);
  if (!o.json) io.out('stopped\n');
  return EXIT.OK;
}

async function startSmtpSink(labDir: string, port: string | boolean, line: (text: string, event: object) => void): Promise<SmtpSink> {
  const sink = new SmtpSink({ dir: join(labDir, 'mail') });
  sink.events.on('smtp.received', (e) => line(`[smtp] mail to ${e.to.join(', ')}: ${e.subject} (${e.bytes} bytes, ${e.file})`, e));
  const a = await sink.listen({ port: port === true ? 2525 : int(String(port), '--smtp-sink', 0, 65535) });
  line(`SMTP sink on ${a.address}:${a.port}; mail is kept in ${join(labDir, 'mail')}`, { type: 'smtp.listening', address: a.address, port: a.port });
  return sink;
}

function describeMonitor(e: MonitorEvent): string | undefined {
  switch (e.type) {
    case 'monitor.scheduled': return `[monitor] next run of the Certificate Expiry Monitor at ${e.at}`;
    case 'monitor.run': return `[monitor] ${e.certificates} certificates checked, ${e.findings} expire within the notification window`;
    case 'monitor.alarm': return `[monitor] alarm ${e.alarm.name} (${e.alarm.severity}) on ${e.alarm.node}: ${e.alarm.message}`;
    case 'monitor.mail': return `[monitor] mail to ${e.to.join(', ')} ${e.ok ? 'sent' : `FAILED: ${e.message}`}: ${e.subject}`;
    case 'monitor.syslog': return e.ok ? undefined : `[monitor] syslog failed: ${e.message}`;
    case 'monitor.failed': return `[monitor] run failed: ${e.message}`;
  }
}

function describeEndpoints(ep: NodeEndpoints): string {
  const parts: string[] = [];
  if (ep.tftp) parts.push(`tftp udp/${ep.tftp.port}`);
  if (ep.http) parts.push(`http ${ep.http.port}`);
  if (ep.tvs) parts.push(`tvs ${ep.tvs.port}`);
  if (ep.sip) parts.push(`sip ${ep.sip.port}`);
  if (ep.sipTls) parts.push(`sip-tls ${ep.sipTls.port}`);
  if (ep.capf) parts.push(`capf ${ep.capf.port}`);
  if (ep.https) parts.push(`https ${ep.https.port}`);
  return `${ep.node.padEnd(12)} ${ep.address.padEnd(15)} ${parts.join(', ')}`;
}

/** One log line for an event, or undefined for the noisy ones without --verbose. */
export function describe(e: ClusterServiceEvent, verbose: boolean): string | undefined {
  const at = `[${e.node}]`;
  switch (e.service) {
    case 'tftp': {
      const t = describeTftp(e as never, verbose);
      return t === undefined || e.type === 'tftp.listening' ? undefined : `${at} ${t}`;
    }
    case 'http':
      return e.type === 'http.listening' ? undefined : `${at} ${describeHttp(e as never)}`;
    default:
      break;
  }
  switch (e.type) {
    case 'tvs.verify.result':
      return `${at} tvs ${e.deviceName ?? '-'} asks about ${e.subject ?? `sha256 ${e.certificateSha256?.slice(0, 16)}…`}: ${e.status}${e.roles.length ? ` roles ${e.roles.join(',')}` : ''}`;
    case 'tvs.error':
      return `${at} tvs error: ${e.error.message}`;
    case 'tvs.handshake':
    case 'tvs.connection':
    case 'tvs.connection.closed':
    case 'tvs.request':
      return verbose ? `${at} ${e.type}` : undefined;
    case 'sip.register':
      return `${at} sip ${e.deviceName} REGISTER ${e.transport} ${e.profile} 200 OK expires ${e.expires}${e.cipher ? ` ${e.cipher}` : ''}`;
    case 'sip.unregister':
      return `${at} sip ${e.deviceName} unregistered`;
    case 'sip.refused':
      return `${at} sip ${e.remote} refused at ${e.stage}: ${e.reason}${e.status ? ` (${e.status})` : ''}${e.deviceName ? ` ${e.deviceName}` : ''}${e.detail ? `: ${e.detail}` : ''}`;
    case 'sip.registration.expired':
      return `${at} sip ${e.deviceName} registration expired`;
    case 'sip.tls.accepted':
    case 'sip.idle':
      return verbose ? `${at} ${e.type} ${e.remote}` : undefined;
    case 'capf.session':
      return `${at} capf ${e.deviceName} authenticated (${e.authMode}${e.certificateType ? `, ${e.certificateType}` : ''}): ${e.operation}`;
    case 'capf.issued':
      return `${at} capf ${e.deviceName} LSC issued (${e.keySpec.type === 'rsa' ? `RSA ${e.keySpec.bits}` : `EC ${e.keySpec.curve}`})`;
    case 'capf.deleted':
      return `${at} capf ${e.deviceName} LSC deleted`;
    case 'capf.fetched':
      return `${at} capf ${e.deviceName} certificate fetched`;
    case 'capf.refused':
      return `${at} capf ${e.deviceName ?? e.remote} refused: ${e.reason}${e.detail ? ` (${e.detail})` : ''}`;
    case 'capf.end':
      return e.status ? `${at} capf ${e.deviceName ?? e.remote} ${e.status}` : verbose ? `${at} capf end ${e.reason}` : undefined;
    case 'capf.error':
      return `${at} capf ${e.remote} ${e.code}: ${e.message}`;
    case 'https.request':
      return `${at} https ${e.remote} ${e.method} ${e.path} ${e.status}`;
    case 'https.error':
      return `${at} https ${e.remote} ${e.code}: ${e.message}`;
    default:
      return verbose ? `${at} ${e.type}` : undefined;
  }
}

function jsonBytes(_k: string, v: unknown): unknown {
  return v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v;
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine reaches. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
