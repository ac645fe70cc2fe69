import { appendFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { FuzzingFileProvider } from '../../fuzz/index.js';
import { resolve } from 'node:path';
import { Lab } from '../../cluster/index.js';
import { ClusterFileProvider } from '../../cluster/serve/file-provider.js';
import type { Command } from 'commander';
import { StaticDirectoryProvider, TftpServer, type FileProvider } from '../../../tftp-sim/index.js';
import { EmulatorError, isEmulatorError } from '../../shared/errors.js';
import { HttpFileService } from '../../ucm/index.js';
import { addServeCluster } from './serve-cluster.js';
import { describeHttp, describeTftp, int, nextSignal } from './serve-common.js';
import { EXIT } from '../exit-codes.js';
import { reportError, type CliIo } from '../io.js';
import { act, type CliContext } from '../context.js';

/**
 * `trustlab serve tftp`: a real TFTP server (and the HTTP file service on 6970) that real
 * phones and real clients (curl, tftp-hpa, atftp) can fetch from. Logs one line per transfer
 * from the servers' events and runs until SIGINT or SIGTERM; a second signal aborts transfers
 * still running.
 */
interface ServeTftpFlags {
  root?: string;
  lab?: string;
  cluster?: string;
  node?: string;
  host: string;
  port: string;
  httpPort: string;
  http: boolean;
  timeoutMs: string;
  retries: string;
  maxTransfers: string;
  maxPerClient: string;
  verbose?: boolean;
  json?: boolean;
  fuzz?: string;
  fuzzSeed: string;
  fuzzLog?: string;
}

/** Adds `serve tftp` (and the `serve` group) to the program. */
export function registerServe(program: Command, ctx: CliContext): void {
  const serve = program.command('serve').description("run a modelled cluster's services (TFTP, HTTP 6970, TVS, CAPF, SIP) on real sockets, or `serve tftp` for files only");
  addServeCluster(serve, ctx);
  serve
    .command('tftp')
    .description('serve files over TFTP (UDP 69) and HTTP (6970) until Ctrl-C, logging each transfer on one line')
    .option('--root <dir>', 'serve the files in this directory')
    .option('--lab <dir>', "serve a modelled cluster's live files (ITL, CTL, configs) from this lab")
    .option('--cluster <name>', 'cluster in the lab (needed when it has several)')
    .option('--node <host>', 'TFTP node whose files to serve (default: the publisher)')
    .option('--host <addr>', 'address to bind (TFTP transfer sockets bind it too)', '0.0.0.0')
    .option('--port <n>', 'TFTP request port (below 1024 needs root; 0 = any free port)', '69')
    .option('--http-port <n>', 'HTTP file service port (0 = any free port)', '6970')
    .option('--no-http', 'do not start the HTTP file service')
    .option('--timeout-ms <n>', 'TFTP retransmission interval when the client negotiates none', '1000')
    .option('--retries <n>', 'TFTP retransmissions before a silent client is dropped', '5')
    .option('--max-transfers <n>', 'TFTP transfers at once, in all', '256')
    .option('--max-per-client <n>', 'TFTP transfers at once per client address', '8')
    .option('--fuzz <kind>', 'serve a fresh mutant of the ITL (itl) or CTL (ctl) on every request for it, for fuzzing real phones on a lab network')
    .option('--fuzz-seed <seed>', 'seed of the mutant sequence', '1')
    .option('--fuzz-log <file>', 'also append one JSON line per mutant served (client, mutant number, mutators, sha256)')
    .option('--verbose', 'also log stray datagrams (garbage, wrong transfer ID)')
    .option('--json', 'log one JSON object per line')
    .action(act(ctx, async (o: ServeTftpFlags) => {
      try {
        return await runServeTftp(ctx.io, o);
      } catch (e) {
        return reportError(ctx.io, e, Boolean(o.json));
      }
    }));
}

/** Where the served files come from. The `--lab/--cluster` provider (see above) slots in here. */
async function fileSource(o: ServeTftpFlags): Promise<{ provider: FileProvider; description: string }> {
  if (o.root && o.lab) throw new EmulatorError('USAGE', 'pass either --root DIR or --lab DIR, not both');
  if (o.lab) {
    const lab = await Lab.open(resolve(o.lab));
    const cluster = await lab.cluster(o.cluster);
    const node = o.node ?? cluster.publisher.hostname;
    cluster.node(node);
    return { provider: new ClusterFileProvider(lab.live(cluster.name), node), description: `cluster ${cluster.name} (${cluster.state.release}), node ${node}, live from ${lab.dir}` };
  }
  if (!o.root) throw new EmulatorError('USAGE', 'pass --root DIR, the directory whose files to serve, or --lab DIR for a modelled cluster');
  const st = await stat(o.root).catch(() => undefined);
  if (!st) throw new EmulatorError('IO_NOT_FOUND', `${o.root}: no such directory`, { details: { path: o.root } });
  if (!st.isDirectory()) throw new EmulatorError('USAGE', `--root ${o.root} is not a directory`);
  return { provider: new StaticDirectoryProvider(o.root), description: `directory ${o.root}` };
}

async function runServeTftp(io: CliIo, o: ServeTftpFlags): Promise<number> {
  const port = int(o.port, '--port', 0, 65535);
  const httpPort = int(o.httpPort, '--http-port', 0, 65535);
  const plain = await fileSource(o);
  let source = plain;
  let fuzzing: FuzzingFileProvider | undefined;
  if (o.fuzz) {
    if (o.fuzz !== 'itl' && o.fuzz !== 'ctl') throw new EmulatorError('USAGE', `--fuzz must be itl or ctl, not "${o.fuzz}"`);
    fuzzing = new FuzzingFileProvider(plain.provider, o.fuzz, o.fuzzSeed);
    source = { provider: fuzzing, description: `${plain.description}, serving ${o.fuzz.toUpperCase()} mutants (seed ${o.fuzzSeed})` };
  }
  const tftp = new TftpServer({
    files: source.provider,
    timeoutMs: int(o.timeoutMs, '--timeout-ms', 1, 255_000),
    maxRetries: int(o.retries, '--retries', 0, 100),
    maxTransfers: int(o.maxTransfers, '--max-transfers', 1, 65_536),
    maxTransfersPerClient: int(o.maxPerClient, '--max-per-client', 1, 65_536),
  });
  const http = o.http ? new HttpFileService({ files: source.provider }) : undefined;
  const line = (text: string, event: object): void => {
    io.out(o.json ? `${JSON.stringify({ time: new Date().toISOString(), ...event })}\n` : `${new Date().toISOString()} ${text}\n`);
  };
  tftp.events.onAny((e) => {
    const text = describeTftp(e, Boolean(o.verbose));
    if (text !== undefined) line(text, e);
  });
  http?.events.onAny((e) => line(describeHttp(e), e));
  fuzzing?.events.onAny((e) => {
    line(`fuzz mutant #${e.mutant} (${e.mutators.join(' + ') || 'unchanged'}) ${e.bytes} B sha256 ${e.sha256.slice(0, 16)}… → ${e.client} as ${e.file} over ${e.protocol}`, e);
    if (o.fuzzLog) appendFileSync(o.fuzzLog, `${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
  });

  try {
    await tftp.listen({ host: o.host, port });
  } catch (e) {
    return listenFailed(io, e, 'UDP', o.host, port, '--port 6969', Boolean(o.json));
  }
  try {
    await http?.listen({ host: o.host, port: httpPort });
  } catch (e) {
    await tftp.close();
    return listenFailed(io, e, 'TCP', o.host, httpPort, '--http-port 8080 (or --no-http)', Boolean(o.json));
  }
  if (!o.json) io.out(`serving ${source.description}; Ctrl-C to stop\n`);

  const first = nextSignal();
  const signal = await first.signal;
  if (!o.json) io.out(`${signal}: stopping (waiting for running transfers; ${signal} again to abort them)\n`);
  const second = nextSignal();
  void second.signal.then(() => Promise.all([tftp.destroy(), http?.destroy()]));
  await Promise.all([tftp.close(), http?.close()]);
  second.cancel();
  if (!o.json) io.out('stopped\n');
  return EXIT.OK;
}

function listenFailed(io: CliIo, e: unknown, proto: string, host: string, port: number, alternative: string, json: boolean): number {
  if (!isEmulatorError(e, 'LISTEN_FAILED')) throw e;
  const errno = e.details['errno'];
  if (errno === 'EACCES') {
    const msg = `cannot bind ${proto} port ${port} on ${host}: permission denied. Ports below 1024 need root (or CAP_NET_BIND_SERVICE): run with privileges, or use ${alternative} and point the clients at that port.`;
    return reportError(io, new EmulatorError('LISTEN_FAILED', msg, { cause: e, details: { errno, port } }), json);
  }
  if (errno === 'EADDRINUSE') {
    const msg = `cannot bind ${proto} port ${port} on ${host}: it is already in use (another TFTP/HTTP server, e.g. tftpd-hpa?). Stop it, or use ${alternative}.`;
    return reportError(io, new EmulatorError('LISTEN_FAILED', msg, { cause: e, details: { errno, port } }), json);
  }
  return reportError(io, e, json);
}

