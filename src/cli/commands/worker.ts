import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { runWorker, type WorkerEvent } from '../../dist/index.js';
import { EventBus } from '../../shared/events.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { reportError } from '../io.js';
import { int } from './serve-common.js';

/** `trustlab worker --redis URL`: hosts fleet shards of runs started elsewhere with `trustlab run --redis URL` (decision 029). */
export function registerWorker(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  program
    .command('worker')
    .description('host fleet shards for `trustlab run FILE --redis URL` on this machine: takes shard jobs from BullMQ on Redis, runs their phones against the run\'s servers, checkpoints them in Redis at every step, and takes over the shards of a worker that died')
    .requiredOption('--redis <url>', 'the Redis the coordinator uses, e.g. redis://10.0.0.5:6379')
    .option('--concurrency <n>', `shards hosted at once (default 1; run one worker per core, ${availableParallelism()} here, or raise this)`)
    .option('--key-pool <dir>', 'key pool directory for MIC and LSC keys (default: the shared pool in ~/.cache/trustlab/keypool)')
    .option('--lock <seconds>', 'how long a silent worker keeps its shards before another takes them over (default 10)')
    .option('--json', 'print events as JSON lines')
    .option('--verbose', 'print every request a hosted shard answers')
    .addHelpText('after', '\nThe phones connect to the cluster addresses the run gives them, so the run\'s servers must be reachable from this machine.\nStops on Ctrl-C or SIGTERM, releasing its shards (another worker takes them over from their last checkpoint).\nExit codes: 0 stopped; 2 Redis unreachable (REDIS_UNAVAILABLE).\nExample: redis-server --port 6379 & trustlab worker --redis redis://127.0.0.1:6379 & trustlab run big-fleet.yaml --redis redis://127.0.0.1:6379')
    .action(act(ctx, async (o: { redis: string; concurrency?: string; keyPool?: string; lock?: string; json?: boolean; verbose?: boolean }) => {
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const events = new EventBus<WorkerEvent>();
      const print = (e: WorkerEvent): void => io.err(o.json ? `${JSON.stringify(e)}\n` : `${describe(e)}\n`);
      const shown: Array<WorkerEvent['type']> = ['worker.ready', 'worker.shard', 'worker.released', 'worker.error', ...(o.verbose ? (['worker.request'] as const) : [])];
      events.onAny((e) => {
        if (shown.includes(e.type)) print(e);
      });
      try {
        await runWorker({
          url: o.redis, events, signal: abort.signal,
          ...(o.concurrency ? { concurrency: int(o.concurrency, '--concurrency', 1, 256) } : {}),
          ...(o.keyPool ? { keyPoolDir: o.keyPool } : {}),
          ...(o.lock ? { lockMs: int(o.lock, '--lock', 1, 3600) * 1000 } : {}),
        });
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    }));
}

function describe(e: WorkerEvent): string {
  switch (e.type) {
    case 'worker.ready': return `worker ${e.id}: waiting for shards`;
    case 'worker.shard': return `run ${e.run}: hosting shard ${e.shard} (${e.phones} phones${e.restored ? `, taken over ${e.fromStep !== undefined ? `from the step ${e.fromStep} checkpoint` : 'from the start'}` : ''})`;
    case 'worker.released': return `run ${e.run}: shard ${e.shard} released (${e.why})`;
    case 'worker.error': return `worker: ${e.message}`;
    case 'worker.request': return `run ${e.run}: shard ${e.shard} ${e.op} (job ${e.job}) ${e.ok ? 'answered' : 'failed'} in ${e.ms} ms`;
  }
}
