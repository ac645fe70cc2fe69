import { randomBytes } from 'node:crypto';
import { FlowProducer, Queue, QueueEvents, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { EmulatorError } from '../shared/errors.js';
import { unwrap, type OkReply, type ShardGroup, type ShardLink } from './link.js';
import type { ShardManifest, ShardProgress, ShardReply, ShardRequest, ShardSetup } from './protocol.js';
import { barrierQueue, connectRedis, deleteRun, loadManifest, markRunOpen, RUN_ALIVE_SECONDS, SHARDS_QUEUE, shardQueue } from './redis-keys.js';

/**
 * The coordinator's shards on Redis (decision 029): each shard is a job on `trustlab-shards`
 * that some `trustlab worker` takes and holds; requests to it are jobs on its own queue, and a
 * request to every shard is a BullMQ flow whose parent (on the barrier queue) completes when all
 * the children have — the step's barrier, kept by BullMQ rather than by a protocol of ours.
 */
export interface RedisShardsOptions {
  url: string;
  shards: number;
  /** How long a shard may wait for a worker to take it (default 60 s), before SHARD_LOST. */
  claimMs?: number;
}

export class RedisShards implements ShardGroup {
  readonly run = `${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  readonly links: RedisLink[] = [];
  #flow!: FlowProducer;
  #barrier!: Worker;
  #barrierEvents!: QueueEvents;
  #shardsQueue!: Queue;
  #closed: Promise<void> | undefined;
  /** Renews the run's "open" mark while this coordinator lives. */
  #alive: NodeJS.Timeout | undefined;
  /** Connections of our own for BullMQ's blocking readers: BullMQ leaves a connection it was given open, so close() ends them. */
  readonly #connections: Redis[] = [];

  #dup(): Redis {
    const c = this.redis.duplicate();
    c.on('error', () => undefined);
    this.#connections.push(c);
    return c;
  }

  private constructor(readonly redis: Redis, readonly o: RedisShardsOptions) {}

  static async open(o: RedisShardsOptions): Promise<RedisShards> {
    const redis = await connectRedis(o.url);
    const s = new RedisShards(redis, o);
    await markRunOpen(redis, s.run);
    s.#alive = setInterval(() => void markRunOpen(redis, s.run).catch(() => undefined), (RUN_ALIVE_SECONDS * 1000) / 3);
    s.#alive.unref();
    const connection = redis;
    s.#shardsQueue = new Queue(SHARDS_QUEUE, { connection });
    s.#flow = new FlowProducer({ connection });
    s.#barrierEvents = new QueueEvents(barrierQueue(s.run), { connection: s.#dup() });
    // The parent job becomes processable once every child has completed: its value is theirs.
    s.#barrier = new Worker(barrierQueue(s.run), async (job: Job) => job.getChildrenValues(), { connection: s.#dup(), concurrency: 16, drainDelay: 1 });
    await Promise.all([s.#barrierEvents.waitUntilReady(), s.#barrier.waitUntilReady()]);
    for (let k = 0; k < o.shards; k++) s.links.push(new RedisLink(k, s.run, redis, s.#shardsQueue, o.claimMs ?? 60_000, s.#dup()));
    await Promise.all(s.links.map((l) => l.ready()));
    return s;
  }

  get label(): string {
    return `${this.o.shards} shard${this.o.shards > 1 ? 's' : ''} on BullMQ workers through Redis ${this.o.url} (run ${this.run})`;
  }

  async requestAll(req: ShardRequest): Promise<OkReply[]> {
    const node = await this.#flow.add({
      name: req.op, queueName: barrierQueue(this.run), data: { op: req.op }, opts: { removeOnComplete: true, removeOnFail: true },
      children: this.links.map((l) => ({ name: req.op, queueName: shardQueue(this.run, l.shard), data: req, opts: { removeOnComplete: true, removeOnFail: true } })),
    });
    const values = (await node.job.waitUntilFinished(this.#barrierEvents)) as Record<string, ShardReply>;
    const byShard = new Map<number, ShardReply>();
    for (const [k, v] of Object.entries(values)) {
      const m = /-shard-([0-9]+):/.exec(k);
      if (m) byShard.set(Number(m[1]), v);
    }
    return this.links.map((l) => {
      const r = byShard.get(l.shard);
      if (!r) throw new EmulatorError('SHARD_LOST', `shard ${l.shard} did not answer ${req.op} in the barrier`);
      return unwrap(l.shard, req, r);
    });
  }

  /** Closes the shards (their workers let them go), the queues and the run's keys. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      clearInterval(this.#alive);
      await Promise.allSettled(this.links.map((l) => l.close()));
      await Promise.allSettled([this.#barrier.close(), this.#barrierEvents.close(), this.#flow.close()]);
      await Promise.allSettled([...this.links.map((l) => l.obliterate()), new Queue(barrierQueue(this.run), { connection: this.redis }).obliterate({ force: true })]);
      await deleteRun(this.redis, this.run, this.o.shards).catch(() => undefined);
      await this.#shardsQueue.close().catch(() => undefined);
      for (const c of this.#connections) c.disconnect();
      this.redis.disconnect();
    })();
    return this.#closed;
  }
}

/** One shard on Redis: its job on `trustlab-shards`, and its request queue. */
export class RedisLink implements ShardLink {
  readonly #queue: Queue;
  readonly #events: QueueEvents;
  readonly #progress = new Map<string, (p: ShardProgress) => void>();
  #closed = false;

  constructor(readonly shard: number, readonly run: string, readonly redis: Redis, readonly shards: Queue, readonly claimMs: number, events: Redis) {
    this.#queue = new Queue(shardQueue(run, shard), { connection: redis });
    this.#events = new QueueEvents(shardQueue(run, shard), { connection: events });
    this.#events.on('progress', ({ jobId, data }) => this.#progress.get(jobId)?.(data as unknown as ShardProgress));
  }

  ready(): Promise<void> {
    return this.#events.waitUntilReady().then(() => undefined);
  }

  /**
   * Hands the shard to whichever worker takes it, and waits until that worker has built its
   * phones (a first request answered), within `claimMs` plus 2 ms per phone.
   */
  async start(setup: ShardSetup, onProgress?: (p: ShardProgress) => void): Promise<ShardManifest> {
    const job = await this.shards.add('shard', { run: this.run, shard: this.shard, setup }, { jobId: `${this.run}-${this.shard}`, removeOnComplete: true, removeOnFail: 100 });
    if (onProgress) this.#progress.set(job.id!, onProgress);
    const phones = setup.fleets.reduce((a, f) => a + Math.ceil(f.count / setup.shards), 0);
    const bound = this.claimMs + phones * 2;
    await this.#ask({ op: 'quiesce' }, bound, `no worker built shard ${this.shard} within ${Math.round(bound / 1000)} s; start one with \`trustlab worker --redis URL\``);
    this.#progress.delete(job.id!);
    const m = await loadManifest(this.redis, this.run, this.shard);
    if (!m) throw new EmulatorError('SHARD_FAILED', `shard ${this.shard} answered without writing its manifest`);
    return m;
  }

  request(req: ShardRequest, onProgress?: (p: ShardProgress) => void): Promise<OkReply> {
    return this.#ask(req, undefined, undefined, onProgress);
  }

  async #ask(req: ShardRequest, ttl: number | undefined, late: string | undefined, onProgress?: (p: ShardProgress) => void): Promise<OkReply> {
    if (this.#closed) throw new EmulatorError('SHARD_LOST', `shard ${this.shard} is closed`);
    const job = await this.#queue.add(req.op, req, { removeOnComplete: true, removeOnFail: true });
    if (onProgress) this.#progress.set(job.id!, onProgress);
    try {
      const r = (await job.waitUntilFinished(this.#events, ttl)) as ShardReply;
      return unwrap(this.shard, req, r);
    } catch (e) {
      if (e instanceof EmulatorError) throw e;
      throw new EmulatorError('SHARD_LOST', late && /timed out|ttl/i.test((e as Error).message) ? late : `shard ${this.shard} failed ${req.op}: ${(e as Error).message}`, { cause: e });
    } finally {
      this.#progress.delete(job.id!);
    }
  }

  /** Tells the shard's worker to let it go (bounded: a dead worker cannot answer). */
  async close(): Promise<void> {
    if (this.#closed) return;
    await Promise.race([this.request({ op: 'close' }).catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    this.#closed = true;
    await this.#events.close().catch(() => undefined);
    const job = await this.shards.getJob(`${this.run}-${this.shard}`).catch(() => undefined);
    // A shard job no worker ever took (or whose worker died) is removed, so no worker takes it later.
    if (job && !(await job.isActive().catch(() => false))) await job.remove().catch(() => undefined);
  }

  async obliterate(): Promise<void> {
    await this.#queue.obliterate({ force: true }).catch(() => undefined);
    await this.#queue.close().catch(() => undefined);
  }
}
