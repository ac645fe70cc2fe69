import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { Lab } from '../src/cluster/index.js';
import { Fleet } from '../phones/index.js';
import { parseScenario, runScenario, type RunEvent, type Scenario } from '../src/scenario/index.js';
import { EventBus } from '../src/shared/events.js';
import { printComparison, type Comparison } from './harness.js';
import { sipClientContext } from '../src/sip/index.js';

/**
 * Fleet benchmark (issues 6 and 17): `trustlab run` of one scenario — N phones (default 10,000;
 * `TRUSTLAB_BENCH_PHONES`) boot against a mixed-mode 11.5 cluster (CTL and ITL over HTTP 6970,
 * TFTP for 79xx, the signed config, a mutual-TLS REGISTER with the MIC), then CallManager is
 * regenerated, the CTL updated, TFTP and CallManager restarted, and the phones reset, which adds
 * a TVS query per phone on 2445. The run goes through the real runner three times: the phones in this process, in 1
 * shard process, then in 2 (`TRUSTLAB_BENCH_WORKERS`, default "0,1,2"; 0 is the single-thread run,
 * servers and phones in one process, as before issue 17); the speed-ups are the last run's rates
 * over each earlier one's.
 *
 * Baseline, in the same run: bare mutual-TLS handshakes per second between `node:tls` endpoints
 * in one process (one core), with the same certificates (CallManager cert and key on the server,
 * CallManager-trust as `ca`; phones' MICs and chains on the client) and concurrency. It is
 * measured around each run — before, between and after — and each run is compared with the mean
 * of the two beside it; it negotiates what the phones negotiate (their TLS versions, NULL-SHA,
 * from the phones' own `sipClientContext`) and keeps one SecureContext per simulated phone
 * (issue 17 §4). "Per core used" divides by the CPU the run's processes actually consumed during
 * the phase (user + system time of the coordinator and its shard processes, from /proc), so a
 * run on two cores is held to twice the one-core baseline.
 *
 * Memory: the peak RSS of the coordinator and its shard processes together, sampled every 0.5 s,
 * and that per phone.
 */
export async function benchFleet(seconds: number): Promise<Comparison[]> {
  const count = Number(process.env.TRUSTLAB_BENCH_PHONES ?? 10_000);
  const concurrency = 64;
  const workerCounts = (process.env.TRUSTLAB_BENCH_WORKERS ?? '0,1,2').split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'trustlab-bench-fleet-'));
  const poolDir = process.env.TRUSTLAB_KEYPOOL ?? join(homedir(), '.cache', 'trustlab', 'keypool');
  try {
    // The baseline's endpoints: a cluster like the scenario's, and the MICs of a few phones.
    const lab = await Lab.create(join(dir, 'baseline'), { keyPoolDir: poolDir });
    const cluster = await lab.createCluster({ name: 'bench', release: '11.5', nodes: [{ hostname: 'pub', ipv4: '127.91.0.10' }] });
    await cluster.ctlSetCluster('mixed');
    const few = await Fleet.create({ count: concurrency, models: MODELS, tftpServers: ['127.91.0.10'] }, { manufacturing: lab.cas.manufacturing, pool: lab.pool });
    const phoneMics = few.phones.map((p) => ({ ...p.record.mic, tlsVersions: p.model.tlsVersions }));
    const scenario = parseScenario(scenarioText(count), 'bench-fleet.yaml');
    const rows: Comparison[] = [];
    const runs: Array<{ workers: number; boot: Phase; reset: Phase; peakRss: number; tally: string }> = [];
    let before = await bareHandshakes(cluster, phoneMics, concurrency, seconds);
    const drift = [before];
    for (const workers of workerCounts) {
      const r = await measuredRun(scenario, join(dir, `run-${workers}`), poolDir, workers);
      const after = await bareHandshakes(cluster, phoneMics, concurrency, seconds);
      drift.push(after);
      const base = meanOf(before, after);
      for (const [label, phase] of [['boot', r.boot], ['reset after CallManager regeneration (adds a TVS query per phone)', r.reset]] as const) {
        rows.push(comparison(`fleet ${label}, ${count} phones, ${where(workers)} (trustlab run)`, phase.seconds, count, base));
        const perCore = phase.cpuSeconds / phase.seconds;
        process.stdout.write(`  ${label}: ${(count / phase.seconds).toFixed(0)} phones/s on ${perCore.toFixed(2)} cores used → ${(count / phase.seconds / perCore / (base.ops / base.seconds)).toFixed(3)} of the baseline per core used\n`);
      }
      runs.push({ workers, ...r });
      before = after;
    }
    const rate = (b: { ops: number; seconds: number }): string => (b.ops / b.seconds).toFixed(0);
    process.stdout.write(`  baseline drift: ${drift.map(rate).join(' → ')} handshakes/s (before, between and after the runs)\n`);
    for (const r of rows) printComparison(r);
    const mb = (n: number): string => `${(n / 1048576).toFixed(0)} MB`;
    for (const r of runs) {
      process.stdout.write(`  ${where(r.workers)}: boot ${r.boot.seconds.toFixed(1)} s, reset ${r.reset.seconds.toFixed(1)} s; peak RSS of all processes ${mb(r.peakRss)} = ${(r.peakRss / count / 1024).toFixed(1)} KiB per phone; final ${r.tally}\n`);
    }
    const last = runs[runs.length - 1]!;
    for (const a of runs.slice(0, -1)) {
      process.stdout.write(`  speed-up, ${where(last.workers)} vs ${where(a.workers)}: boot ${(a.boot.seconds / last.boot.seconds).toFixed(2)}×, reset ${(a.reset.seconds / last.reset.seconds).toFixed(2)}×\n`);
    }
    process.stdout.write('\n');
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What a shard count means for where the work runs (0: servers and phones on one thread, as before issue 17). */
function where(workers: number): string {
  return workers === 0 ? 'in one process (servers and phones on one thread)' : `${workers} shard process${workers > 1 ? 'es' : ''} + the coordinator`;
}

const MODELS = { '8861': 6, '8845': 2, '7841': 1, '7942': 1 };

function scenarioText(count: number): string {
  return `name: fleet benchmark
seed: bench-fleet
clusters:
  - { name: A, release: "11.5", nodes: [pub], security: mixed }
fleets:
  - { name: phones, cluster: A, count: ${count}, models: ${JSON.stringify(MODELS)}, profile: authenticated, initial: factory-fresh }
steps:
  - boot: phones
  - regenerate: { cluster: A, purpose: CallManager, node: pub }
  - ctl: { cluster: A, action: update }
  - restart: { cluster: A, service: TFTP }
  - restart: { cluster: A, service: CallManager }
  - reset: phones
  - expect:
      - { name: every phone registered again, phones: { fleet: phones, state: registered, count: all } }
`;
}

interface Phase {
  seconds: number;
  /** CPU (user + system) the coordinator and its shard processes used during the phase. */
  cpuSeconds: number;
}

/** One `trustlab run` of the scenario; the boot and reset steps timed, with the CPU the process tree used in each. */
async function measuredRun(scenario: Scenario, runDir: string, keyPoolDir: string, workers: number): Promise<{ boot: Phase; reset: Phase; peakRss: number; tally: string }> {
  const events = new EventBus<RunEvent>();
  const phases = new Map<number, { t0: number; cpu0: number; seconds?: number; cpu?: number }>();
  let peakRss = 0;
  const sample = setInterval(() => (peakRss = Math.max(peakRss, treeRss())), 500);
  events.on('step.start', (e) => phases.set(e.index, { t0: performance.now(), cpu0: treeCpu() }));
  events.on('step.end', (e) => {
    const p = phases.get(e.record.index);
    if (p) Object.assign(p, { seconds: (performance.now() - p.t0) / 1000, cpu: treeCpu() - p.cpu0 });
  });
  events.on('run.progress', (e) => {
    if (process.stderr.isTTY && (e.done % 1000 === 0 || e.done === e.total)) process.stderr.write(`\r  ${workers} shard(s), ${e.label}: ${e.done}/${e.total}   `);
  });
  const report = await runScenario(scenario, { runDir, keyPoolDir, workers, events });
  clearInterval(sample);
  if (process.stderr.isTTY) process.stderr.write('\n');
  if (!report.ok) throw new Error(`the benchmark run failed: ${report.error ?? report.expectations.filter((e) => !e.ok).map((e) => `${e.name}: ${e.observed}`).join('; ')}`);
  const phase = (i: number): Phase => ({ seconds: phases.get(i)!.seconds!, cpuSeconds: phases.get(i)!.cpu! });
  return { boot: phase(1), reset: phase(6), peakRss, tally: JSON.stringify(report.steps.at(-1)!.tally) };
}

/** This process and its children (the shard processes), from /proc: [pid, …]. */
function tree(): number[] {
  const kids = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [process.pid, ...kids];
}

function treeCpu(): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  for (const pid of tree()) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += (Number(f[11]) + Number(f[12])) / tick;
    } catch {
      // the process ended between listing and reading
    }
  }
  return total;
}

function treeRss(): number {
  let total = 0;
  for (const pid of tree()) {
    try {
      const m = /VmRSS:\s+([0-9]+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += Number(m?.[1] ?? 0) * 1024;
    } catch {
      // ended
    }
  }
  return total;
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
