import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario, runScenario, type RunReport } from '../../src/scenario/index.js';
import { ROOT } from '../helpers/cli.js';
import { TEST_KEYPOOL_DIR } from '../helpers/keypool.js';
import { has } from '../helpers/tools.js';
import { comparable } from './report-equality.js';

/**
 * Issue 17 §2, on the real engine: Debian's `redis-server` (installed by .ci/run), two
 * `trustlab worker` processes and `trustlab run --redis`, all from the built CLI. A shipped
 * scenario gives the same report as in one process; then one worker is killed with SIGKILL in
 * the middle of a run, and the other takes its shards over from their last checkpoint: the run
 * completes, every phone is in the report once, and the report says what happened.
 */
const BIN = resolve(ROOT, 'bin/trustlab.js');
const SCENARIO = join(ROOT, 'fixtures', 'scenarios', 'runbook-comparison.yaml');
const redisMissing = !has('redis-server');

let redis: ChildProcess | undefined;
let url = '';
const workers: Array<{ child: ChildProcess; log: string }> = [];
/** The in-process run of the scenario, which the runs on Redis must agree with. */
let local: RunReport;

function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

function startWorker(): { child: ChildProcess; log: string } {
  const w = { child: spawn(process.execPath, [BIN, 'worker', '--redis', url, '--concurrency', '2', '--lock', '2', '--key-pool', TEST_KEYPOOL_DIR], { stdio: ['ignore', 'ignore', 'pipe'] }), log: '' };
  w.child.stderr!.on('data', (d: Buffer) => (w.log += d.toString()));
  workers.push(w);
  return w;
}

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `trustlab run SCENARIO --redis URL`, with a hook on each step line it prints; resolves with its exit code and report. */
function runOnRedis(onLine: (line: string) => void = () => undefined): Promise<{ code: number | null; report: RunReport; stderr: string }> {
  const lab = mkdtempSync(join(tmpdir(), 'trustlab-redis-run-'));
  const child = spawn(process.execPath, [BIN, 'run', SCENARIO, '--redis', url, '--shards', '2', '--lab', lab], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TRUSTLAB_KEYPOOL: TEST_KEYPOOL_DIR } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr += text;
    for (const line of text.split('\n')) onLine(line);
  });
  return new Promise((r) => child.on('close', (code) => {
    const runs = join(lab, 'runs');
    const dir = readdirSync(runs)[0]!;
    r({ code, report: JSON.parse(readFileSync(join(runs, dir, 'report.json'), 'utf8')) as RunReport, stderr });
  }));
}

describe.skipIf(redisMissing)(`fleet shards on BullMQ with a real redis-server (issue 17 §2)${redisMissing ? ' — skipped: redis-server is not installed (apt-get install redis-server; .ci/run does)' : ''}`, () => {
  beforeAll(async () => {
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const { connectRedis } = await import('../../src/dist/index.js');
    await until('redis-server', () => true);
    for (let i = 0; ; i++) {
      try {
        (await connectRedis(url, { timeoutMs: 500 })).disconnect();
        break;
      } catch (e) {
        if (i > 60) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    startWorker();
    startWorker();
    await until('two workers', () => workers.every((w) => /waiting for shards/.test(w.log)));
  }, 30_000);

  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGTERM');
    redis?.kill('SIGTERM');
  });

  it('a shipped scenario on two `trustlab worker` processes gives the same report as in one process', async () => {
    const text = readFileSync(SCENARIO, 'utf8');
    local = await runScenario(parseScenario(text, SCENARIO), { runDir: mkdtempSync(join(tmpdir(), 'trustlab-redis-local-')), keyPoolDir: TEST_KEYPOOL_DIR, source: text, file: SCENARIO });
    const { code, report } = await runOnRedis();
    expect(code).toBe(local.ok ? 0 : 1);
    expect(report.execution?.where).toMatch(/^2 shards on BullMQ workers through Redis redis:\/\/127\.0\.0\.1:/);
    expect(comparable(report)).toEqual(comparable(local));
  }, 120_000);

  it('a worker killed with SIGKILL mid-run: the other takes its shards over from the checkpoint, and every phone is accounted for', async () => {
    let killed: { child: ChildProcess; log: string } | undefined;
    let shard: string | undefined;
    // What each worker logs from now on is about this run.
    const from = new Map(workers.map((w) => [w, w.log.length]));
    const run = runOnRedis((line) => {
      // After step 2 has ended, a worker hosting a shard of this run dies.
      if (killed || !/^\s+2\. /.test(line)) return;
      for (const w of workers) {
        const m = /hosting shard ([0-9]+) /.exec(w.log.slice(from.get(w)));
        if (w.child.exitCode !== null || !m) continue;
        killed = w;
        shard = m[1];
        w.child.kill('SIGKILL');
        return;
      }
    });
    const { code, report, stderr } = await run;
    expect(killed, `no worker hosted a shard:\n${workers.map((w) => w.log).join('\n')}`).toBeDefined();
    expect(code, stderr).not.toBeNull();
    expect([0, 1]).toContain(code);
    expect(report.error).toBeUndefined();
    const total = report.fleets.reduce((a, f) => a + f.count, 0);
    expect(report.phones).toHaveLength(total);
    expect(new Set(report.phones.map((p) => p.device)).size).toBe(total);
    expect(report.execution?.notes?.join('\n')).toMatch(new RegExp(`shard ${shard}: its worker went away; .+ took it over from the checkpoint of step [0-9]+`));
    // The verdict does not change: every expectation has the outcome it has in one process.
    expect(report.expectations.map((e) => [e.name, e.ok])).toEqual(local.expectations.map((e) => [e.name, e.ok]));
    expect(report.ok).toBe(local.ok);
    // Every step after the kill still counts each phone once.
    for (const s of report.steps) for (const [fleet, t] of Object.entries(s.tally)) expect(Object.values(t).reduce((a, b) => a + (b ?? 0), 0), `step ${s.index} ${fleet}`).toBe(report.fleets.find((f) => f.name === fleet)!.count);
  }, 180_000);
});
