import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { Lab } from '../src/cluster/index.js';
import { ClusterServers } from '../src/cluster/serve/index.js';
import { systemClock } from '../src/shared/clock.js';
import { Fleet, type FleetProgress } from '../phones/index.js';
import { printComparison, type Comparison } from './harness.js';
import { sipClientContext } from '../src/sip/index.js';

/**
 * Issue 6 fleet benchmark: N virtual phones (default 10,000; `TRUSTLAB_BENCH_PHONES`) boot
 * against a mixed-mode 11.5 cluster served on real sockets in this process — CTL and ITL over
 * HTTP 6970 (TFTP for 79xx), the signed config, and a mutual-TLS REGISTER presenting the MIC —
 * then, after CallManager is regenerated, reset, which adds a TVS query on 2445 per phone for the
 * new ITL signer. Each phase reports phones registered per second.
 *
 * Baseline, in the same run: bare mutual-TLS handshakes per second between `node:tls` endpoints
 * in this process, with the same certificates (CallManager cert and key on the server,
 * CallManager-trust as `ca`; the phones' MICs and chains on the client) and the same concurrency.
 * The ratio says how close a whole phone boot comes to the one handshake it cannot avoid.
 *
 * What keeps the baseline honest (issue 17 §4): it is measured *around* each phase — before the
 * boot, between boot and reset, after the reset — and each phase is compared with the mean of
 * the two measurements beside it, so a process that slows as it grows slows both alike (the
 * drift is printed). It negotiates what the phones negotiate: each model's TLS versions (1.2 for
 * most, at most 1.2 for all: the server is capped there) and the authenticated mode's NULL-SHA,
 * from the phones' own `sipClientContext` (a `ciphers` string alone does not
 * restrict TLS 1.3). And each simulated phone keeps one SecureContext across handshakes, as a
 * phone does, instead of building one per handshake.
 *
 * Memory: heap and RSS after the fleet is built and after it has booted, per phone.
 */
export async function benchFleet(seconds: number): Promise<Comparison[]> {
  const count = Number(process.env.TRUSTLAB_BENCH_PHONES ?? 10_000);
  const concurrency = Number(process.env.TRUSTLAB_BENCH_CONCURRENCY ?? 64);
  const dir = mkdtempSync(join(tmpdir(), 'trustlab-bench-fleet-'));
  const poolDir = process.env.TRUSTLAB_KEYPOOL ?? join(homedir(), '.cache', 'trustlab', 'keypool');
  try {
    const lab = await Lab.create(dir, { keyPoolDir: poolDir });
    const cluster = await lab.createCluster({ name: 'bench', release: '11.5', nodes: [{ hostname: 'pub', ipv4: '127.91.0.10' }] });
    await cluster.ctlSetCluster('mixed');
    const servers = new ClusterServers(cluster, { ports: { tftp: 6969 }, tftp: { maxTransfersPerClient: 4096, maxTransfers: 4096 }, sip: { maxConnections: 65_536 } });
    await servers.listen();
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    let peakRss = process.memoryUsage().rss;
    const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100).unref();

    const progress = (label: string) => (p: FleetProgress): void => {
      if (p.done % 1000 === 0 || p.done === p.total) process.stderr.write(`\r  ${label}: ${p.done}/${p.total}   `);
    };
    const t0 = performance.now();
    const fleet = await Fleet.create(
      { count, models: { '8861': 6, '8845': 2, '7841': 1, '7942': 1 }, tftpServers: ['127.91.0.10'] },
      { manufacturing: lab.cas.manufacturing, pool: lab.pool, tftpPort: 6969, httpPort: 6970, timeoutMs: 20_000, netClock: systemClock, concurrency },
      progress('manufacturing'),
    );
    await lab.saveLab();
    const makeS = (performance.now() - t0) / 1000;
    await cluster.upsertDevices(fleet.phones.map((p) => ({ mac: p.record.mac, model: p.model.id, profile: 'authenticated' as const })));
    gc?.();
    const heapBuilt = process.memoryUsage().heapUsed;

    const phoneMics = fleet.phones.slice(0, concurrency).map((p) => ({ ...p.record.mic, tlsVersions: p.model.tlsVersions }));
    const baseBefore = await bareHandshakes(cluster, phoneMics, concurrency, seconds);
    const boot = await timed(() => fleet.powerOn({ onProgress: progress('first boot') }));
    process.stderr.write('\n');
    if (process.env.TRUSTLAB_BENCH_DEBUG) process.stderr.write(`${JSON.stringify(fleet.phones[0]!.settled)} ${JSON.stringify(fleet.phones[0]!.state.flash.log.slice(-6))}\n`);
    gc?.();
    const heapBooted = process.memoryUsage().heapUsed;
    const baseBetween = await bareHandshakes(cluster, phoneMics, concurrency, seconds);
    await cluster.regenerate('CallManager', 'pub');
    await cluster.ctlUpdate();
    await cluster.restartService('TFTP');
    await cluster.restartService('CallManager');
    let tvsQueries = 0;
    servers.events.on('tvs.verify.result', () => tvsQueries++);
    const reset = await timed(() => fleet.reset({ onProgress: progress('reset after CallManager regeneration') }));
    process.stderr.write('\n');
    clearInterval(sample);

    const baseAfter = await bareHandshakes(cluster, phoneMics, concurrency, seconds);
    const rows: Comparison[] = [
      comparison(`fleet boot, ${count} phones (HTTP/TFTP CTL+ITL+signed config, mTLS REGISTER)`, boot.seconds, count, meanOf(baseBefore, baseBetween)),
      comparison(`fleet reset after CallManager regeneration (adds a TVS query per phone: ${tvsQueries} seen)`, reset.seconds, count, meanOf(baseBetween, baseAfter)),
    ];
    const rate = (b: { ops: number; seconds: number }): string => (b.ops / b.seconds).toFixed(0);
    process.stdout.write(`  baseline drift: ${rate(baseBefore)} handshakes/s before the boot, ${rate(baseBetween)} between boot and reset, ${rate(baseAfter)} after the reset\n`);
    for (const r of rows) printComparison(r);
    const mb = (n: number): string => `${(n / 1048576).toFixed(0)} MB`;
    process.stdout.write(
      `  manufacturing ${count} phones (MIC from pooled keys): ${makeS.toFixed(1)} s\n` +
        `  settled after boot: ${JSON.stringify(boot.value.tally)}; after reset: ${JSON.stringify(reset.value.tally)}\n` +
        `  memory: heap ${mb(heapBuilt - heap0)} built, ${mb(heapBooted - heap0)} booted = ${((heapBooted - heap0) / count / 1024).toFixed(1)} KiB per phone (servers included); peak RSS ${mb(peakRss)}\n\n`,
    );
    await fleet.shutdown();
    await servers.close();
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}


async function timed<T>(f: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t = performance.now();
  const value = await f();
  return { value, seconds: (performance.now() - t) / 1000 };
}

function comparison(name: string, seconds: number, count: number, base: { ops: number; seconds: number }): Comparison {
  const subject = { ops: count, seconds, perSecond: count / seconds };
  const baseline = { ...base, perSecond: base.ops / base.seconds };
  return { name, unit: 'phones', baselineName: 'bare node:tls mutual-TLS handshakes (the phones\' TLS versions, NULL-SHA, one context per phone), same certificates and concurrency, measured before and after the phase', baseline, subject, ratio: subject.perSecond / baseline.perSecond };
}

/** The rate two measurements average to (total handshakes over total time). */
function meanOf(a: { ops: number; seconds: number }, b: { ops: number; seconds: number }): { ops: number; seconds: number } {
  return { ops: a.ops + b.ops, seconds: a.seconds + b.seconds };
}

/**
 * Bare mutual-TLS handshakes (connect, handshake, close) for `seconds`, `concurrency` in flight:
 * worker i is a phone with the i-th MIC and one client context of its own for the whole run.
 */
async function bareHandshakes(cluster: import('../src/cluster/index.js').Cluster, mics: ReadonlyArray<{ certPem: string; keyPem: string; chainPem: string; tlsVersions: ReadonlyArray<'TLSv1' | 'TLSv1.1' | 'TLSv1.2'> }>, concurrency: number, seconds: number): Promise<{ ops: number; seconds: number }> {
  const id = cluster.presented('pub', 'CallManager').rsa!;
  const server = createServer({ cert: id.certPem, key: id.keyPem, ca: cluster.trustStore('pub', 'CallManager-trust'), requestCert: true, rejectUnauthorized: true, ciphers: 'NULL-SHA:@SECLEVEL=0', minVersion: 'TLSv1', maxVersion: 'TLSv1.2' }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.91.0.10', r));
  const port = (server.address() as { port: number }).port;
  // Each worker is one of the fleet's phones: its MIC, its model's TLS versions, its own context.
  const contexts = Array.from({ length: concurrency }, (_, i) => {
    const m = mics[i % mics.length]!;
    return sipClientContext({ mode: 'authenticated', tlsVersions: m.tlsVersions, credential: { certPem: m.certPem, keyPem: m.keyPem, chainPem: m.chainPem } });
  });
  const one = (worker: number): Promise<void> => new Promise((resolve, reject) => {
    const s: TLSSocket = connect({ host: '127.91.0.10', port, secureContext: contexts[worker]!, rejectUnauthorized: false }, () => {
      s.end();
      resolve();
    });
    s.on('error', reject);
    s.on('data', () => undefined);
  });
  let ops = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, worker) => {
    while (performance.now() < end) {
      await one(worker);
      ops++;
    }
  }));
  const took = (performance.now() - t0) / 1000;
  await new Promise<void>((r) => server.close(() => r()));
  return { ops, seconds: took };
}
