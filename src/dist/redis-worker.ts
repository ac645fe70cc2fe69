import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { EventBus } from '../shared/events.js';
import type { PackedCheckpoint } from './checkpoint.js';
import type { ShardReply, ShardRequest, ShardSetup } from './protocol.js';
import { appendJournal, claimShard, connectRedis, isRunOpen, loadCheckpoint, loadJournal, loadManifest, ownerOf, saveCheckpoint, saveManifest, SHARDS_QUEUE, shardQueue } from './redis-keys.js';
import { ShardHost } from './shard.js';

/**
 * `trustlab worker` (decision 029): takes shard jobs from `trustlab-shards` on Redis, builds each
 * shard's phones (or restores them from the shard's last checkpoint when another worker died
 * holding it), then serves the coordinator's requests to that shard from its own queue until the
 * coordinator closes it. After every step's sync the shard's flash state is checkpointed in Redis.
 *
 * Failure model: a worker that dies stops renewing its lock on the shard job; after `lockMs`
 * BullMQ's stalled-job check (run by every worker) puts the job back, another worker with a free
 * slot takes it, and the request that was in flight is delivered again to the new host. A worker
 * that finds another's token as the shard's owner has lost it, and stops serving it.
 */
export interface WorkerOptions {
  url: string;
  /** Shards this worker hosts at once (default 1). */
  concurrency?: number;
  /** Key pool directory on this machine (default: the shared pool). */
  keyPoolDir?: string;
  /** How long a silent worker keeps its shards (default 10 s): the takeover delay after a crash. */
  lockMs?: number;
  signal?: AbortSignal;
  events?: EventBus<WorkerEvent>;
}

export type WorkerEvent =
  | { type: 'worker.ready'; id: string }
  | { type: 'worker.shard'; run: string; shard: number; phones: number; restored: boolean; fromStep?: number }
  | { type: 'worker.released'; run: string; shard: number; why: string }
  | { type: 'worker.request'; run: string; shard: number; op: string; job: string; ms: number; ok: boolean }
  | { type: 'worker.error'; message: string };

interface ShardJobData {
  run: string;
  shard: number;
  setup: ShardSetup;
}

export async function runWorker(o: WorkerOptions): Promise<void> {
  const events = o.events ?? new EventBus<WorkerEvent>();
  const redis = await connectRedis(o.url);
  const id = `${hostname()}:${process.pid}`;
  const lockDuration = o.lockMs ?? 10_000;
  const options = { connection: redis, lockDuration, stalledInterval: Math.max(500, Math.floor(lockDuration / 2)), maxStalledCount: 1000, drainDelay: 1 };
  const shardWorker = new Worker(SHARDS_QUEUE, (job: Job<ShardJobData>) => hostShard(job, redis, { ...o, id, events, lockDuration }), { ...options, concurrency: o.concurrency ?? 1 });
  shardWorker.on('error', (e) => events.emit({ type: 'worker.error', message: e.message }));
  await shardWorker.waitUntilReady();
  events.emit({ type: 'worker.ready', id });
  await new Promise<void>((resolve) => {
    if (o.signal?.aborted) return resolve();
    o.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  await shardWorker.close(true).catch(() => undefined);
  redis.disconnect();
}

async function hostShard(job: Job<ShardJobData>, redis: Redis, o: WorkerOptions & { id: string; events: EventBus<WorkerEvent>; lockDuration: number }): Promise<string> {
  const { run, shard, setup } = job.data;
  if (!(await isRunOpen(redis, run))) return 'run already finished';
  const checkpoint = await loadCheckpoint(redis, run, shard);
  // Another worker held the shard before (it wrote the manifest): this is a takeover.
  const takeover = (await loadManifest(redis, run, shard)) !== undefined;
  const token = `${o.id}:${randomBytes(4).toString('hex')}`;
  await claimShard(redis, run, shard, token);
  // The coordinator's key pool path means nothing on this machine: keys come from this worker's pool.
  const { keyPoolDir: _theirs, ...theirs } = setup;
  const host = await ShardHost.create({ ...theirs, ...(o.keyPoolDir ? { keyPoolDir: o.keyPoolDir } : {}), ...(checkpoint ? { checkpoint, now: checkpoint.now } : {}) });
  // What the shard did after its checkpoint is done again, in order; a request it had answered is not run a third time.
  const journal = takeover ? await loadJournal(redis, run, shard) : [];
  const answered = new Map<string, ShardReply>();
  for (const e of journal) {
    await host.handle(e.req);
    answered.set(e.job, e.reply);
  }
  await saveManifest(redis, run, shard, host.manifest);
  const phones = host.manifest.fleets.reduce((a, f) => a + f.phones.length, 0);
  o.events.emit({ type: 'worker.shard', run, shard, phones, restored: takeover, ...(checkpoint ? { fromStep: checkpoint.step } : {}) });
  const from = checkpoint ? `the checkpoint of step ${checkpoint.step} (${checkpoint.phones.length} phone(s) resumed in the state they had there)` : 'the start (no checkpoint yet: its phones were built again)';
  let note = takeover ? [`shard ${shard}: its worker went away; ${o.id} took it over from ${from} and replayed ${journal.length} request(s) after it`] : undefined;
  const written = new Set(checkpoint ? Object.keys(checkpoint.blobs) : []);
  let release: (why: string) => void = () => undefined;
  const released = new Promise<string>((r) => (release = r));
  const connection = redis.duplicate();
  connection.on('error', () => undefined);
  const commands = new Worker(shardQueue(run, shard), async (cj: Job<ShardRequest>): Promise<ShardReply> => {
    if ((await ownerOf(redis, run, shard)) !== token) {
      release('another worker holds it now');
      return { ok: false, code: 'SHARD_LOST', message: `${o.id} no longer holds shard ${shard}` };
    }
    const req = cj.data;
    const t0 = Date.now();
    const before = answered.get(String(cj.id));
    const reply = before ?? (await host.handle(req, (p) => void cj.updateProgress(p as unknown as object).catch(() => undefined)));
    if (!before && JOURNALED.has(req.op)) await appendJournal(redis, run, shard, { job: String(cj.id), req, reply });
    if (req.op === 'sync' && reply.ok) {
      const c = await host.handle({ op: 'checkpoint' });
      if (c.ok && c.checkpoint) await saveCheckpoint(redis, run, shard, dropWritten(c.checkpoint, written));
    }
    if (reply.ok && note) {
      reply.notes = note;
      note = undefined;
    }
    if (req.op === 'close') release('the coordinator closed it');
    if (o.events.wants('worker.request')) o.events.emit({ type: 'worker.request', run, shard, op: req.op, job: String(cj.id), ms: Date.now() - t0, ok: reply.ok });
    return reply;
  }, { connection, lockDuration: o.lockDuration, stalledInterval: Math.max(500, Math.floor(o.lockDuration / 2)), maxStalledCount: 1000, concurrency: 1, drainDelay: 1 });
  commands.on('error', (e) => o.events.emit({ type: 'worker.error', message: e.message }));
  const stop = (): void => release('the worker is stopping');
  o.signal?.addEventListener('abort', stop, { once: true });
  // A coordinator that died never sends close: its run's mark lapses, and the shard is let go.
  const alive = setInterval(() => void isRunOpen(redis, run).then((open) => open || release('its coordinator went away (the run is no longer open)'), () => undefined), 15_000);
  const why = await released;
  clearInterval(alive);
  o.signal?.removeEventListener('abort', stop);
  await commands.close().catch(() => undefined);
  connection.disconnect();
  await host.handle({ op: 'close' });
  o.events.emit({ type: 'worker.released', run, shard, why });
  return why;
}

/** Requests that change the shard's phones or clock, replayed after a takeover (the others only read). */
const JOURNALED = new Set<ShardRequest['op']>(['begin-step', 'act', 'act-each', 'advance', 'power-off']);

/** Leaves out the blobs this worker already wrote for the shard (file texts are immutable by hash). */
function dropWritten(c: PackedCheckpoint, written: Set<string>): PackedCheckpoint {
  const blobs: Record<string, string> = {};
  for (const [h, text] of Object.entries(c.blobs)) {
    if (written.has(h)) continue;
    written.add(h);
    blobs[h] = text;
  }
  return { ...c, blobs };
}
