import type { KeyPool, CertificateAuthority, KeyPair, KeySpec } from '../src/pki/index.js';
import { systemClock } from '../src/shared/clock.js';
import { EmulatorError } from '../src/shared/errors.js';
import { EventBus } from '../src/shared/events.js';
import type { Flash, SettledState } from './machine/index.js';
import { PHONE_MODELS } from './models.js';
import { VirtualPhone, type PhoneBusEvent, type PhoneEnv } from './phone.js';
import { fleetMac, manufacturePhone } from './provision.js';

/**
 * A fleet: N phones from a model mix, booted (or reset, or moved) with bounded concurrency
 * (issue 6). Each phone opens its sockets from a source address of its own group — 127.0.0.2,
 * .3, … with `phonesPerAddress` phones each — because one source address runs out of ephemeral
 * ports after about 28,000 connections (net.ipv4.ip_local_port_range), and a fleet boot makes
 * several connections per phone.
 */
export interface FleetSpec {
  /** Number of phones. */
  count: number;
  /** Model mix as weights, e.g. `{ '8861': 3, '7942': 1 }`; phones take models round-robin by weight. */
  models: Readonly<Record<string, number>>;
  /** DHCP option 150 for every phone. */
  tftpServers: string[];
  /** First MAC's prefix (4 hex digits) and index offset, so fleets in one lab do not collide. */
  macPrefix?: string;
  firstIndex?: number;
  /**
   * Only these phones of the fleet (indices into it, ascending), for a shard that holds part of
   * a fleet (decision 029): each keeps the MAC, model and source address it has in the whole fleet.
   */
  indices?: readonly number[];
}

export interface FleetOptions extends Omit<PhoneEnv, 'localAddress' | 'events' | 'keySource'> {
  manufacturing: ReadonlyMap<string, CertificateAuthority>;
  pool: KeyPool;
  /** Phones per source address (default 2048). */
  phonesPerAddress?: number;
  /** Source address for group `g` (default `127.0.0.<2+g>`). */
  sourceAddress?: (group: number) => string;
  /** Phones working at once during a fleet-wide action (default 64). */
  concurrency?: number;
  events?: EventBus<PhoneBusEvent>;
  /** Flash images and option 150 to start phones from, by MAC (a shard taken over from a checkpoint). */
  restored?: ReadonlyMap<string, { flash: Flash; tftpServers: string[] }>;
}

export interface FleetProgress {
  done: number;
  total: number;
  /** Settled states so far. */
  tally: Partial<Record<SettledState, number>>;
}

export class Fleet {
  readonly phones: VirtualPhone[];
  readonly events: EventBus<PhoneBusEvent>;
  readonly #concurrency: number;

  private constructor(phones: VirtualPhone[], events: EventBus<PhoneBusEvent>, concurrency: number) {
    this.phones = phones;
    this.events = events;
    this.#concurrency = concurrency;
  }

  /**
   * Manufactures the phones (MIC keys from the pool) or, when the store already holds a phone
   * with that MAC, loads it with the flash it has (a phone restarted after a process kill).
   */
  static async create(spec: FleetSpec, o: FleetOptions, onProgress?: (p: FleetProgress) => void): Promise<Fleet> {
    if (!Number.isInteger(spec.count) || spec.count < 0) throw new EmulatorError('INVALID_ARGUMENT', `fleet size ${spec.count} is not a whole number`);
    const models = modelSequence(spec.models);
    const perAddress = o.phonesPerAddress ?? 2048;
    const addressOf = o.sourceAddress ?? ((g: number) => `127.0.0.${2 + g}`);
    if (Math.ceil(spec.count / perAddress) > 253 && !o.sourceAddress) throw new EmulatorError('INVALID_ARGUMENT', `${spec.count} phones at ${perAddress} per address need more than 253 source addresses`);
    const events = o.events ?? new EventBus<PhoneBusEvent>();
    const keySource = (s: KeySpec): Promise<KeyPair> => o.pool.take(s, 'device');
    const { manufacturing, pool, phonesPerAddress: _p, sourceAddress: _s, concurrency, restored, ...env } = o;
    const which = spec.indices ?? Array.from({ length: spec.count }, (_, i) => i);
    const phones: VirtualPhone[] = new Array(which.length);
    const now = new Date((o.clock ?? systemClock).now());
    const manufactured = new Date(now.getTime() - 365 * 86_400_000);
    let done = 0;
    await eachLimited(which.length, o.concurrency ?? 64, async (j) => {
      const i = which[j]!;
      const mac = fleetMac((spec.firstIndex ?? 0) + i, spec.macPrefix);
      let record = await o.store?.loadRecord(mac);
      const back = restored?.get(mac);
      const flash = back?.flash ?? (record ? await o.store?.loadFlash(mac) : undefined);
      if (!record) {
        record = await manufacturePhone({ mac, model: models[i % models.length]!, tftpServers: spec.tftpServers, manufacturing, pool, manufactured });
        await o.store?.saveRecord(record);
      }
      if (back) record = { ...record, tftpServers: back.tftpServers };
      phones[j] = new VirtualPhone(record, flash, { ...env, events, keySource, localAddress: addressOf(Math.floor(i / perAddress)) });
      done++;
      if (onProgress && (done % 256 === 0 || done === which.length)) onProgress({ done, total: which.length, tally: {} });
    });
    return new Fleet(phones, events, concurrency ?? 64);
  }

  /** Wraps phones made elsewhere (tests build single phones with their own options). */
  static of(phones: VirtualPhone[], concurrency = 64): Fleet {
    return new Fleet(phones, new EventBus<PhoneBusEvent>(), concurrency);
  }

  /** Powers every phone on and waits until each is idle (registered, failed, waiting…). */
  powerOn(o: FleetRunOptions = {}): Promise<FleetProgress> {
    return this.each((p) => p.powerOn(), o);
  }

  reset(o: FleetRunOptions = {}): Promise<FleetProgress> {
    return this.each((p) => p.reset(), o);
  }

  /**
   * Applies `action` to each chosen phone, at most `concurrency` phones working at once, and
   * waits for each to come to rest. Progress is reported as phones finish.
   */
  async each(action: (p: VirtualPhone) => void, o: FleetRunOptions = {}): Promise<FleetProgress> {
    const list = o.phones ?? this.phones;
    const tally: Partial<Record<SettledState, number>> = {};
    let done = 0;
    await eachLimited(list.length, o.concurrency ?? this.#concurrency, async (i) => {
      o.signal?.throwIfAborted();
      const p = list[i]!;
      action(p);
      await p.whenIdle();
      done++;
      tally[p.settled.state] = (tally[p.settled.state] ?? 0) + 1;
      o.onProgress?.({ done, total: list.length, tally });
    });
    await Promise.all(list.map((p) => p.flushed()));
    return { done, total: list.length, tally };
  }

  /** Settled states across the fleet now. */
  tally(): Partial<Record<SettledState, number>> {
    const t: Partial<Record<SettledState, number>> = {};
    for (const p of this.phones) t[p.settled.state] = (t[p.settled.state] ?? 0) + 1;
    return t;
  }

  /** Powers every phone off (stops its timers) and waits for flash writes. */
  async shutdown(): Promise<void> {
    for (const p of this.phones) p.powerOff();
    await Promise.all(this.phones.map((p) => p.whenIdle().then(() => p.flushed())));
  }
}

export interface FleetRunOptions {
  phones?: VirtualPhone[];
  concurrency?: number;
  onProgress?: (p: FleetProgress) => void;
  signal?: AbortSignal;
}

/** Model ids in proportion to their weights (e.g. {a: 2, b: 1} → [a, a, b]). */
function modelSequence(mix: Readonly<Record<string, number>>): string[] {
  const out: string[] = [];
  for (const [id, w] of Object.entries(mix)) {
    if (!PHONE_MODELS[id.toUpperCase().replace(/^CP-/, '')]) throw new EmulatorError('INVALID_ARGUMENT', `unknown phone model "${id}"; known: ${Object.keys(PHONE_MODELS).join(', ')}`);
    if (!Number.isInteger(w) || w < 0 || w > 1000) throw new EmulatorError('INVALID_ARGUMENT', `model weight for ${id} must be a whole number 0–1000`);
    for (let k = 0; k < w; k++) out.push(id);
  }
  if (out.length === 0) throw new EmulatorError('INVALID_ARGUMENT', 'the model mix is empty');
  return out;
}

/** Runs `work(0..n-1)` with at most `limit` in flight; the first failure rejects (others finish). */
async function eachLimited(n: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (next < n && failed === undefined) {
      const i = next++;
      try {
        await work(i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, n)) }, worker));
  if (failed !== undefined) throw failed;
}
