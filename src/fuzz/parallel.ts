import { Worker } from 'node:worker_threads';
import { EmulatorError } from '../shared/errors.js';
import type { FuzzStatus, FuzzResult, FuzzTarget } from './engine.js';
import type { Finding } from './findings.js';
import type { FuzzKind } from './targets.js';

/**
 * The fuzz loop on every core (issue 17 §5: "worker threads for the fuzz loop"): `workers`
 * shards, each a worker thread with the same seed files and its own mutation stream
 * (`<seed>#w<i>`; one worker keeps the plain seed, so `--workers 1` is the run it always was).
 * Runs are split between the shards; a time bound applies to each. The coordinator sums the
 * executions, keeps each distinct finding once, and stops every shard on abort.
 */
export interface WorkerJob {
  kind: FuzzKind;
  target: FuzzTarget;
  seed: string;
  setupSeed: string;
  runs?: number;
  timeMs?: number;
  minimise: boolean;
  keyPoolDir?: string;
  corpus?: string[];
}

export type WorkerMessage =
  | { type: 'status'; status: FuzzStatus }
  | { type: 'finding'; finding: Finding }
  | { type: 'done'; status: FuzzStatus }
  | { type: 'error'; message: string };

export interface ParallelFuzzOptions {
  kind: FuzzKind;
  target: FuzzTarget;
  seed: string;
  workers: number;
  runs?: number;
  timeMs?: number;
  minimise: boolean;
  keyPoolDir?: string;
  corpus?: Uint8Array[];
  onStatus?: (s: FuzzStatus) => void;
  onFinding?: (f: Finding) => void | Promise<void>;
  signal?: AbortSignal;
}

/** Shard i's seed: the run's own for shard 0. */
export const shardSeed = (seed: string, i: number): string => (i === 0 ? seed : `${seed}#w${i}`);

export async function fuzzParallel(o: ParallelFuzzOptions): Promise<FuzzResult> {
  if (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > 64) throw new EmulatorError('USAGE', `--workers must be 1 to 64, not ${o.workers}`);
  const statuses: Array<FuzzStatus | undefined> = Array.from({ length: o.workers }, () => undefined);
  const findings = new Map<string, Finding>();
  const share = (i: number): number | undefined => (o.runs === undefined ? undefined : Math.floor(o.runs / o.workers) + (i < o.runs % o.workers ? 1 : 0));
  const workers = Array.from({ length: o.workers }, (_, i) => {
    const job: WorkerJob = {
      kind: o.kind, target: o.target, seed: shardSeed(o.seed, i), setupSeed: o.seed, minimise: o.minimise,
      ...(share(i) !== undefined ? { runs: share(i)! } : {}), ...(o.timeMs !== undefined ? { timeMs: o.timeMs } : {}),
      ...(o.keyPoolDir ? { keyPoolDir: o.keyPoolDir } : {}),
      ...(o.corpus ? { corpus: o.corpus.map((b) => Buffer.from(b).toString('base64')) } : {}),
    };
    return new Worker(new URL('./fuzz-worker.js', import.meta.url), { workerData: job });
  });
  const stop = (): void => {
    for (const w of workers) w.postMessage('stop');
  };
  o.signal?.addEventListener('abort', stop, { once: true });
  const aggregate = (): FuzzStatus => merge(statuses.filter((s): s is FuzzStatus => s !== undefined));
  let failure: string | undefined;
  await Promise.all(workers.map((w, i) => new Promise<void>((resolve) => {
    let pending: Promise<void> = Promise.resolve();
    w.on('message', (m: WorkerMessage) => {
      if (m.type === 'status' || m.type === 'done') {
        statuses[i] = m.status;
        o.onStatus?.(aggregate());
      } else if (m.type === 'finding') {
        if (!findings.has(m.finding.id)) {
          findings.set(m.finding.id, m.finding);
          pending = pending.then(() => o.onFinding?.(m.finding));
        }
      } else failure ??= `shard ${i}: ${m.message}`;
      // A shard that has reported its end is done: its listener would keep the thread alive.
      if (m.type === 'done' || m.type === 'error') void w.terminate();
    });
    w.on('error', (err) => {
      failure ??= `shard ${i}: ${err.message}`;
    });
    w.on('exit', () => void pending.then(() => resolve()));
  })));
  o.signal?.removeEventListener('abort', stop);
  if (failure) throw new EmulatorError('INTERNAL', `a fuzz worker failed: ${failure}`);
  return { status: { ...aggregate(), findings: findings.size }, findings: [...findings.values()] };
}

/** Sums executions and kinds; coverage and corpus are the largest shard's (a lower bound of the union). */
function merge(list: readonly FuzzStatus[]): FuzzStatus {
  const elapsedMs = Math.max(0, ...list.map((s) => s.elapsedMs));
  const execs = list.reduce((n, s) => n + s.execs, 0);
  const byKind: Record<string, number> = {};
  for (const s of list) for (const [k, v] of Object.entries(s.byKind)) byKind[k] = (byKind[k] ?? 0) + v;
  return {
    execs, elapsedMs, execsPerSecond: elapsedMs > 0 ? execs / (elapsedMs / 1000) : 0,
    findings: list.reduce((n, s) => n + s.findings, 0),
    errorCodes: [...new Set(list.flatMap((s) => s.errorCodes))].sort(),
    features: Math.max(0, ...list.map((s) => s.features)),
    corpus: Math.max(0, ...list.map((s) => s.corpus)),
    accepted: list.reduce((n, s) => n + s.accepted, 0),
    disagreements: list.reduce((n, s) => n + s.disagreements, 0),
    byKind,
  };
}
