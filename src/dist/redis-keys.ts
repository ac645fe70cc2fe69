import { Redis } from 'ioredis';
import { EmulatorError } from '../shared/errors.js';
import type { PackedCheckpoint, PackedPhone } from './checkpoint.js';
import type { ShardManifest, ShardReply, ShardRequest } from './protocol.js';

/**
 * Names and stored state of a run on Redis (decision 029). Queues:
 *
 * - `trustlab-shards`: one job per shard of every run; a `trustlab worker` takes one and holds it
 *   (its lock renewed) for as long as it hosts the shard.
 * - `trustlab-<run>-shard-<k>`: the coordinator's requests to shard k, one job each, taken by
 *   whichever worker hosts the shard now.
 * - `trustlab-<run>-barrier`: the parent jobs of the per-step flows, completed when every
 *   shard's child job is.
 *
 * Keys (`trustlab:<run>:shard:<k>:…`): the manifest, and the checkpoint — phones (MAC → packed
 * flash) and blobs (SHA-256 → file text) — written in one MULTI at every step's sync.
 */
export const SHARDS_QUEUE = 'trustlab-shards';
export const shardQueue = (run: string, shard: number): string => `trustlab-${run}-shard-${shard}`;
export const barrierQueue = (run: string): string => `trustlab-${run}-barrier`;
const key = (run: string, shard: number, what: string): string => `trustlab:${run}:shard:${shard}:${what}`;

/** How long a run's keys outlive it (a day): Redis cleans up after a coordinator that died. */
export const RUN_TTL_SECONDS = 86_400;

/** A Redis connection as BullMQ needs it (no per-request retry limit), failing fast with REDIS_UNAVAILABLE when the server cannot be reached. */
export async function connectRedis(url: string, o: { timeoutMs?: number } = {}): Promise<Redis> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EmulatorError('USAGE', `--redis "${url}" is not a URL like redis://127.0.0.1:6379`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new EmulatorError('USAGE', `--redis "${url}" must start with redis:// or rediss://`);
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, connectTimeout: o.timeoutMs ?? 5000, retryStrategy: (n) => (n > 20 ? null : Math.min(n * 200, 2000)) });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw new EmulatorError('REDIS_UNAVAILABLE', `cannot reach Redis at ${url}: ${(e as Error).message}; start it with \`redis-server\` or check the URL`, { cause: e });
  }
  return redis;
}

export async function saveManifest(redis: Redis, run: string, shard: number, m: ShardManifest): Promise<void> {
  await redis.set(key(run, shard, 'manifest'), JSON.stringify(m), 'EX', RUN_TTL_SECONDS);
}

export async function loadManifest(redis: Redis, run: string, shard: number): Promise<ShardManifest | undefined> {
  const raw = await redis.get(key(run, shard, 'manifest'));
  return raw ? (JSON.parse(raw) as ShardManifest) : undefined;
}

/** A request the shard carried out since its last checkpoint, with its answer: replayed by a worker that takes the shard over. */
export interface JournalEntry {
  job: string;
  req: ShardRequest;
  reply: ShardReply;
}

export async function appendJournal(redis: Redis, run: string, shard: number, e: JournalEntry): Promise<void> {
  await redis.multi().rpush(key(run, shard, 'journal'), JSON.stringify(e)).expire(key(run, shard, 'journal'), RUN_TTL_SECONDS).exec();
}

export async function loadJournal(redis: Redis, run: string, shard: number): Promise<JournalEntry[]> {
  return (await redis.lrange(key(run, shard, 'journal'), 0, -1)).map((e) => JSON.parse(e) as JournalEntry);
}

/**
 * Writes what changed since the last checkpoint and empties the journal, atomically: a worker
 * that dies mid-write leaves the previous checkpoint and its journal whole.
 */
export async function saveCheckpoint(redis: Redis, run: string, shard: number, c: PackedCheckpoint): Promise<void> {
  const m = redis.multi();
  m.del(key(run, shard, 'journal'));
  const blobs = Object.entries(c.blobs);
  if (blobs.length) m.hset(key(run, shard, 'blobs'), Object.fromEntries(blobs));
  if (c.phones.length) m.hset(key(run, shard, 'phones'), Object.fromEntries(c.phones.map((p) => [p.mac, JSON.stringify(p)])));
  m.set(key(run, shard, 'checkpoint'), JSON.stringify({ step: c.step, now: c.now }));
  for (const k of ['blobs', 'phones', 'checkpoint']) m.expire(key(run, shard, k), RUN_TTL_SECONDS);
  await m.exec();
}

/** The shard's last checkpoint, every phone's newest entry; undefined when none was taken. */
export async function loadCheckpoint(redis: Redis, run: string, shard: number): Promise<PackedCheckpoint | undefined> {
  const [meta, phones, blobs] = await Promise.all([redis.get(key(run, shard, 'checkpoint')), redis.hgetall(key(run, shard, 'phones')), redis.hgetall(key(run, shard, 'blobs'))]);
  if (!meta) return undefined;
  const { step, now } = JSON.parse(meta) as { step: number; now: number };
  return { step, now, phones: Object.values(phones).map((p) => JSON.parse(p) as PackedPhone), blobs };
}

/**
 * How long the run's "open" mark lives unless its coordinator renews it (every third of this):
 * a worker whose coordinator died lets its shards go within this, rather than holding them.
 */
export const RUN_ALIVE_SECONDS = 60;

/** Marks the run as in progress: a worker takes (and keeps) a shard only of a run still open. */
export async function markRunOpen(redis: Redis, run: string): Promise<void> {
  await redis.set(`trustlab:${run}:open`, '1', 'EX', RUN_ALIVE_SECONDS);
}

export async function isRunOpen(redis: Redis, run: string): Promise<boolean> {
  return (await redis.exists(`trustlab:${run}:open`)) === 1;
}

/** Who hosts the shard now: a worker that finds another's token here has lost the shard and stops. */
export async function claimShard(redis: Redis, run: string, shard: number, token: string): Promise<void> {
  await redis.set(key(run, shard, 'owner'), token, 'EX', RUN_TTL_SECONDS);
}

export async function ownerOf(redis: Redis, run: string, shard: number): Promise<string | null> {
  return redis.get(key(run, shard, 'owner'));
}

export async function deleteRun(redis: Redis, run: string, shards: number): Promise<void> {
  const keys = [`trustlab:${run}:open`, ...Array.from({ length: shards }, (_, k) => ['manifest', 'blobs', 'phones', 'checkpoint', 'owner', 'journal'].map((w) => key(run, k, w))).flat()];
  if (keys.length) await redis.del(...keys);
}
