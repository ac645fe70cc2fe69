/**
 * Fleets across cores and machines (issue 17, decision 029): shards that each hold part of every
 * fleet, the coordinator's mirrors of their phones, and the links that reach them — in this
 * process, in child processes, or through BullMQ on Redis.
 */
export { ShardHost, shardIndices } from './shard.js';
export { ShardedFleets, type PhoneMirror, type MirrorTimelineEntry, type FleetSetup } from './fleet-shards.js';
export { LocalLink, ProcessLink, type ShardLink, type ShardGroup, type OkReply } from './link.js';
export { RedisShards, RedisLink, type RedisShardsOptions } from './redis-coordinator.js';
export { runWorker, type WorkerOptions, type WorkerEvent } from './redis-worker.js';
export { connectRedis } from './redis-keys.js';
export { planResources, openFileLimit, PHONES_PER_ADDRESS, CONNECTIONS_PER_BOOT, type ResourcePlan } from './plan.js';
export { packCheckpoint, unpackCheckpoint, type PackedCheckpoint } from './checkpoint.js';
export type { PhoneAction, ShardSetup, ShardRequest, ShardReply, ShardStatus, ShardManifest, ShardCheckpoint, PhoneCheckpoint, ShardFleetSpec } from './protocol.js';
