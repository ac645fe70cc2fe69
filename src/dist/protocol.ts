import type { StoredCa } from '../pki/index.js';
import type { PhoneState, SettledState } from '../../phones/index.js';
import type { PackedCheckpoint } from './checkpoint.js';

/**
 * What the coordinator and a shard say to each other (decision 029). A shard holds every
 * `shards`-th phone of each fleet (phone `i` lives on shard `i % shards`); the coordinator owns
 * the scenario, the cluster's servers and the simulated clock, and sends each step to every
 * shard. The messages are plain data (structured-clone and msgpack safe), so the same protocol
 * runs in-process, over a child process's IPC channel and through BullMQ jobs on Redis.
 */

/** One fleet as a shard builds its part of it. */
export interface ShardFleetSpec {
  name: string;
  /** Phones in the whole fleet. */
  count: number;
  models: Readonly<Record<string, number>>;
  /** DHCP option 150 at manufacture. */
  tftpServers: string[];
  macPrefix: string;
  /** Source address of phone group `g` is `${sourcePrefix}.${2 + g}` (decision 018: ≤ 2048 phones per address); absent, the OS chooses. */
  sourcePrefix?: string;
}

export interface ShardSetup {
  shard: number;
  shards: number;
  fleets: ShardFleetSpec[];
  /** The lab's manufacturing CAs (certificate and key), so that MICs chain to what the cluster trusts. */
  manufacturing: StoredCa[];
  /** Key pool directory on the shard's machine (undefined: the shared pool). */
  keyPoolDir?: string;
  /** Simulated time at setup (ms). */
  now: number;
  networkTimeoutMs: number;
  tftpPort: number;
  httpPort: number;
  phonesPerAddress: number;
  /** Phones per fleet (the first ones) whose status timeline is kept for the report. */
  timelinePhones: number;
  timelineLimit: number;
  /** Start from this checkpoint instead of factory-fresh phones (a shard taken over after its worker died). */
  checkpoint?: PackedCheckpoint;
}

/** What a user or technician does to a phone; each maps onto one VirtualPhone method. */
export type PhoneAction =
  | { kind: 'power-on' | 'power-off' | 'reset' | 'security-reset' | 'factory-reset' | 'delete-itl' | 'open-directory' }
  | { kind: 'set-tftp'; servers: string[] }
  | { kind: 'auth-string'; value: string }
  | { kind: 'restore-lsc'; lsc: { certPem: string; keyPem: string } };

export type ShardRequest =
  | { op: 'begin-step'; step: number }
  /** Apply `action` to the fleet's phones at these global indices (all when omitted) and wait until each is idle. */
  | { op: 'act'; fleet: string; indices?: number[]; action: PhoneAction; now: number; concurrency?: number }
  /** Per-phone actions (a cloned phone's LSC): switch each off, then apply its action. */
  | { op: 'act-each'; fleet: string; items: Array<[number, PhoneAction]>; now: number }
  /** Move the shard's clock to `to` (firing due timers) and wait until no phone is on the network. */
  | { op: 'advance'; to: number }
  | { op: 'quiesce' }
  /** Phones whose digest changed since the last sync, and the timeline entries since then. */
  | { op: 'sync' }
  | { op: 'lsc'; fleet: string; indices: number[] }
  /** Descriptions of phones with something on the network (a watchdog naming what stalled). */
  | { op: 'busy' }
  | { op: 'checkpoint' }
  | { op: 'power-off' }
  | { op: 'close' };

/** How a shard stands after any request: the barrier's facts. */
export interface ShardStatus {
  /** The earliest timer on the shard's clock (any phone timer), if any. */
  nextDue?: number;
  /** Phones that are idle but not at rest (waiting for a CAPF retry), and the earliest such retry. */
  notAtRest: number;
  restDue?: number;
}

/**
 * A phone as the coordinator needs it: settled state, the installed ITL's signer serial, whether
 * it holds an LSC, what it showed this step, and — when it is not at rest — where it is. Strings
 * are indices into the batch's string table, because a fleet repeats the same few hundred.
 */
export interface PhoneDigest {
  fleet: number;
  index: number;
  state: SettledState;
  reason: number;
  itlSerial: number;
  hasLsc: boolean;
  atRest: boolean;
  /** Lines shown or logged since the step began (string indices). */
  lines: number[];
  describe?: number;
}

export interface TimelineBatchEntry {
  fleet: number;
  index: number;
  step: number;
  at: number;
  message: number;
  kind: 'status' | 'settled';
}

export interface SyncReply {
  strings: string[];
  phones: PhoneDigest[];
  timeline: TimelineBatchEntry[];
  /** INVALID_TRANSITION findings since the last sync (at most 100). */
  findings: string[];
  /** Descriptions of phones idle but not at rest (the step record's `waiting`), by fleet and index. */
  waiting: Array<[number, number, string]>;
}

/** Static facts about a shard's phones, sent once after setup, by fleet then index. */
export interface ShardManifest {
  fleets: Array<{ name: string; phones: Array<{ index: number; device: string; mac: string; model: string }> }>;
}

/**
 * One phone in a checkpoint: its whole machine state (flash, option 150, phase, registration,
 * timers), taken at a barrier when it has nothing on the network, so that a phone taken over
 * carries on exactly where it was rather than booting again.
 */
export interface PhoneCheckpoint {
  mac: string;
  state: PhoneState;
}

export interface ShardCheckpoint {
  /** The step whose barrier the checkpoint was taken at. */
  step: number;
  now: number;
  phones: PhoneCheckpoint[];
}

export type ShardReply =
  | { ok: true; status: ShardStatus; notes?: string[]; manifest?: ShardManifest; sync?: SyncReply; tally?: Partial<Record<SettledState, number>>; lsc?: Array<[number, { certPem: string; keyPem: string } | null]>; busy?: string[]; checkpoint?: PackedCheckpoint }
  | { ok: false; code: string; message: string };

/** Progress a shard reports while it works on a request (batched: at most a few per second). */
export interface ShardProgress {
  done: number;
  total: number;
}
