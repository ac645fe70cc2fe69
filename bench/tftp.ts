import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { StaticDirectoryProvider, tftpGet, TftpServer } from '../tftp-sim/index.js';
import { printComparison, type Comparison, type Rate } from './harness.js';

/**
 * TFTP transfer rate: transfers/s and MB/s for a 10 KB ITL-sized file and a 1 MB file, at
 * blksize 512 and 1428, windowsize 1 and 8, from 32 concurrent clients on loopback. The clients
 * run in a worker thread (the same client code for both servers), so the server under test has
 * the main thread to itself.
 *
 * Baseline, in the same run: Debian's tftpd-hpa (`/usr/sbin/in.tftpd -L -s DIR -a
 * 127.0.0.1:PORT`), serving the same directory to the same load, rounds interleaved with ours.
 * tftpd-hpa forks a process per transfer and does not implement windowsize (RFC 7440), so at
 * windowsize 8 it answers without it and the load runs lock-step against it: that ratio shows
 * what windowing buys, not a like-for-like cost. It needs root (chroot and dropping to
 * `nobody`); without root or without the binary the baseline is skipped, and that is printed.
 */
const TFTPD = '/usr/sbin/in.tftpd';
const CONCURRENCY = 32;

interface LoadSpec {
  benchTftpLoad: true;
  port: number;
  file: string;
  blockSize: number;
  windowSize: number;
  concurrency: number;
  durationMs: number;
}

interface LoadResult {
  transfers: number;
  bytes: number;
  errors: number;
  /** Packets the clients sent again after a timeout (a sign of loss under load). */
  retransmits: number;
  seconds: number;
  firstError?: string;
}

/** Worker side: `concurrency` loops fetching `file` until the time is up. */
async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const end = Date.now() + spec.durationMs;
  const t0 = process.hrtime.bigint();
  const result: LoadResult = { transfers: 0, bytes: 0, errors: 0, retransmits: 0, seconds: 0 };
  const loop = async (): Promise<void> => {
    while (Date.now() < end) {
      try {
        const r = await tftpGet(spec.file, {
          host: '127.0.0.1', port: spec.port, localAddress: '127.0.0.1', timeoutMs: 1000, maxRetries: 5, dallyMs: 0,
          ...(spec.blockSize !== 512 ? { blockSize: spec.blockSize } : {}), ...(spec.windowSize !== 1 ? { windowSize: spec.windowSize } : {}),
        });
        result.transfers++;
        result.bytes += r.bytes.length;
        result.retransmits += r.retransmits;
      } catch (e) {
        result.errors++;
        result.firstError ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, loop));
  result.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return result;
}

if (!isMainThread && (workerData as LoadSpec | undefined)?.benchTftpLoad) {
  void runLoad(workerData as LoadSpec).then((r) => parentPort!.postMessage(r));
}

function load(spec: Omit<LoadSpec, 'benchTftpLoad'>): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { benchTftpLoad: true, ...spec } });
    w.once('message', (r: LoadResult) => {
      resolve(r);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startTftpd(dir: string): Promise<{ port: number; child: ChildProcess } | { skipped: string }> {
  if (!existsSync(TFTPD)) return { skipped: `${TFTPD} is not installed (apt-get install tftpd-hpa)` };
  if (process.getuid?.() !== 0) return { skipped: 'in.tftpd -s needs root (it chroots and drops to nobody); run the benchmark as root' };
  const port = await freeUdpPort();
  const child = spawn(TFTPD, ['-L', '-s', dir, '-a', `127.0.0.1:${port}`, '-u', 'nobody'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null) return { skipped: `in.tftpd exited ${child.exitCode}: ${stderr.trim()}` };
    try {
      await tftpGet('itl.bin', { host: '127.0.0.1', port, timeoutMs: 100, maxRetries: 1 });
      return { port, child };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill();
  return { skipped: `in.tftpd did not answer on 127.0.0.1:${port}: ${stderr.trim()}` };
}

function rate(ops: number, seconds: number): Rate {
  return { ops, seconds, perSecond: seconds > 0 ? ops / seconds : 0 };
}

export async function benchTftp(seconds: number): Promise<Comparison[]> {
  const dir = await mkdtemp(join(tmpdir(), 'trustlab-bench-tftp-'));
  await chmod(dir, 0o755);
  const files = { 'itl.bin': 10 * 1024, 'big.bin': 1024 * 1024 } as const;
  for (const [name, size] of Object.entries(files)) {
    await writeFile(join(dir, name), randomBytes(size));
    await chmod(join(dir, name), 0o644);
  }
  const server = new TftpServer({ files: new StaticDirectoryProvider(dir), maxTransfers: 4096, maxTransfersPerClient: 4096 });
  const ours = (await server.listen({ host: '127.0.0.1', port: 0 })).port;
  const tftpd = await startTftpd(dir);
  if ('skipped' in tftpd) process.stdout.write(`baseline skipped: ${tftpd.skipped}\n\n`);
  else process.stdout.write(`baseline: tftpd-hpa (${TFTPD}) on 127.0.0.1:${tftpd.port}; ${CONCURRENCY} concurrent clients in a worker thread\n\n`);

  const out: Comparison[] = [];
  const roundMs = Math.max(500, (seconds * 1000) / 3);
  try {
    for (const file of ['itl.bin', 'big.bin'] as const) {
      for (const blockSize of [512, 1428]) {
        for (const windowSize of [1, 8]) {
          const spec = { file, blockSize, windowSize, concurrency: CONCURRENCY };
          const label = `TFTP ${file === 'itl.bin' ? '10 KB' : '1 MB'} file, blksize ${blockSize}, windowsize ${windowSize}, ${CONCURRENCY} clients`;
          await load({ ...spec, port: ours, durationMs: 200 });
          const mine: LoadResult = { transfers: 0, bytes: 0, errors: 0, retransmits: 0, seconds: 0 };
          const theirs: LoadResult = { transfers: 0, bytes: 0, errors: 0, retransmits: 0, seconds: 0 };
          for (let spent = 0; spent < seconds * 1000; spent += roundMs) {
            add(mine, await load({ ...spec, port: ours, durationMs: roundMs }));
            if (!('skipped' in tftpd)) add(theirs, await load({ ...spec, port: tftpd.port, durationMs: roundMs }));
          }
          const baselineName = 'skipped' in tftpd ? 'tftpd-hpa: skipped' : `tftpd-hpa${windowSize > 1 ? ' (no windowsize: lock-step)' : ''}`;
          for (const [unit, pick] of [['transfers', (r: LoadResult) => r.transfers], ['MB', (r: LoadResult) => r.bytes / 1e6]] as const) {
            const c: Comparison = { name: `${label}: ${unit}/s`, unit, baselineName, subject: rate(pick(mine), mine.seconds), baseline: rate(pick(theirs), theirs.seconds), ratio: 0 };
            c.ratio = c.baseline.perSecond > 0 ? c.subject.perSecond / c.baseline.perSecond : Number.NaN;
            printComparison(c);
            out.push(c);
          }
          if (mine.errors || theirs.errors || mine.retransmits || theirs.retransmits) {
            process.stdout.write(`  client retransmissions: trustlab ${mine.retransmits}, tftpd-hpa ${theirs.retransmits}; failed transfers: trustlab ${mine.errors}${mine.firstError ? ` (${mine.firstError})` : ''}, tftpd-hpa ${theirs.errors}${theirs.firstError ? ` (${theirs.firstError})` : ''}\n\n`);
          }
        }
      }
    }
  } finally {
    if (!('skipped' in tftpd)) tftpd.child.kill();
    await server.destroy();
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}

function add(into: LoadResult, r: LoadResult): void {
  into.transfers += r.transfers;
  into.bytes += r.bytes;
  into.errors += r.errors;
  into.retransmits += r.retransmits;
  into.seconds += r.seconds;
  if (into.firstError === undefined && r.firstError !== undefined) into.firstError = r.firstError;
}
