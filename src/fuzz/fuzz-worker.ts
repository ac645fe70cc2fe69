import { parentPort, workerData } from 'node:worker_threads';
import { fuzz } from './engine.js';
import { fuzzSetup } from './setup.js';
import type { WorkerJob, WorkerMessage } from './parallel.js';

/**
 * One fuzz shard in a worker thread (parallel.ts): its own setup (the same files, from the
 * run's seed), its own mutation stream (the shard's seed), status and findings posted back.
 */
const job = workerData as WorkerJob;
const abort = new AbortController();
parentPort!.on('message', (m: 'stop') => {
  if (m === 'stop') abort.abort();
});
const post = (m: WorkerMessage): void => parentPort!.postMessage(m);
const setup = await fuzzSetup({ seed: job.setupSeed, ...(job.keyPoolDir ? { keyPoolDir: job.keyPoolDir } : {}) });
try {
  const r = await fuzz({
    kind: job.kind, target: job.target, seed: job.seed, setup, minimise: job.minimise, signal: abort.signal,
    ...(job.runs !== undefined ? { runs: job.runs } : {}), ...(job.timeMs !== undefined ? { timeMs: job.timeMs } : {}),
    ...(job.corpus ? { corpus: job.corpus.map((b) => new Uint8Array(Buffer.from(b, 'base64'))) } : {}),
    onStatus: (status) => post({ type: 'status', status }),
    onFinding: (finding) => post({ type: 'finding', finding }),
  });
  post({ type: 'done', status: r.status });
} catch (err) {
  post({ type: 'error', message: (err as Error).message });
} finally {
  setup.dispose();
}
