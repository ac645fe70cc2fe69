import { EmulatorError } from '../shared/errors.js';
import type { SettledState } from '../../phones/index.js';
import type { OkReply, ShardGroup, ShardLink } from './link.js';
import type { PhoneAction, ShardProgress, ShardRequest, ShardSetup, ShardStatus, SyncReply } from './protocol.js';

/**
 * The coordinator's side of a sharded fleet (decision 029). It holds a mirror of every phone —
 * what the scenario's expectations and report read — and turns each step into one request per
 * shard; a step's phone work ends when every shard has answered (the barrier). Mirrors are
 * ordered by fleet and index, so what the report lists does not depend on how many shards there
 * are or which answered first.
 */
export interface PhoneMirror {
  readonly fleet: string;
  /** Index in the fleet (the MAC's number). */
  readonly index: number;
  readonly device: string;
  readonly mac: string;
  readonly model: string;
  readonly shard: number;
  state: SettledState;
  reason: string;
  /** The installed ITL's signer serial (hex, no leading zeros), or 'no ITL'. */
  itlSerial: string;
  hasLsc: boolean;
  atRest: boolean;
  /** What the phone showed or logged during the current step. */
  lines: string[];
  /** Where the phone is and what it waits for, when it is not at rest. */
  description?: string;
}

export interface MirrorTimelineEntry {
  step: number;
  at: number;
  message: string;
  kind: 'status' | 'settled';
}

export type FleetSetup = Omit<ShardSetup, 'shard' | 'shards' | 'checkpoint'>;

export class ShardedFleets {
  readonly fleets = new Map<string, PhoneMirror[]>();
  readonly timelines = new Map<PhoneMirror, MirrorTimelineEntry[]>();
  #statuses: ShardStatus[];
  /** Findings (INVALID_TRANSITION) since the step began. */
  findings: string[] = [];
  /** Phones idle but waiting for a timer, as of the last sync. */
  waiting: string[] = [];
  readonly #fleetNames: string[];

  readonly #notes: string[] = [];

  private constructor(readonly links: ShardLink[], setup: FleetSetup, readonly group: ShardGroup | undefined) {
    this.#statuses = links.map(() => ({ notAtRest: 0 }));
    this.#fleetNames = setup.fleets.map((f) => f.name);
  }

  /** Starts every shard with its part of the fleets; resolves when all have built their phones. */
  static async start(links: ShardLink[], setup: FleetSetup, onProgress?: (done: number, total: number) => void, group?: ShardGroup): Promise<ShardedFleets> {
    const s = new ShardedFleets(links, setup, group);
    const done = links.map(() => 0);
    const total = setup.fleets.reduce((a, f) => a + f.count, 0);
    const manifests = await Promise.all(links.map((l, k) => l.start({ ...setup, shard: k, shards: links.length }, (p) => {
      done[k] = p.done;
      onProgress?.(sum(done), total);
    })));
    for (const [fi, f] of setup.fleets.entries()) {
      const mirrors: PhoneMirror[] = new Array(f.count);
      for (const [k, m] of manifests.entries()) {
        for (const p of m.fleets[fi]?.phones ?? []) {
          mirrors[p.index] = { fleet: f.name, index: p.index, device: p.device, mac: p.mac, model: p.model, shard: k, state: 'off', reason: 'powered off', itlSerial: 'no ITL', hasLsc: false, atRest: true, lines: [] };
        }
      }
      if (mirrors.some((m) => m === undefined) || mirrors.length !== f.count) throw new EmulatorError('SHARD_FAILED', `the shards did not build every phone of fleet ${f.name}`);
      s.fleets.set(f.name, mirrors);
    }
    return s;
  }

  /** Every phone, by fleet then index. */
  all(): PhoneMirror[] {
    return [...this.fleets.values()].flat();
  }

  fleet(name: string): PhoneMirror[] {
    const f = this.fleets.get(name);
    if (!f) throw new EmulatorError('INVALID_ARGUMENT', `no fleet "${name}" in this scenario`);
    return f;
  }

  /** The earliest timer on any shard's clock. */
  get nextDue(): number | undefined {
    return min(this.#statuses.map((s) => s.nextDue));
  }

  /** Phones not at rest (waiting for a CAPF retry) and the earliest such retry, across shards. */
  get rest(): { notAtRest: number; restDue: number | undefined } {
    return { notAtRest: sum(this.#statuses.map((s) => s.notAtRest)), restDue: min(this.#statuses.map((s) => s.restDue)) };
  }

  async beginStep(step: number): Promise<void> {
    await this.#all({ op: 'begin-step', step });
    this.findings = [];
    for (const p of this.all()) p.lines = [];
  }

  /**
   * Applies `action` to the fleet's phones (all, or the mirrors given) on every shard that holds
   * one, and waits until each of them is idle. Resolves with their settled states.
   */
  async act(fleet: string, action: PhoneAction, phones: readonly PhoneMirror[] | undefined, now: number, onProgress?: (done: number, total: number) => void): Promise<Partial<Record<SettledState, number>>> {
    const all = this.fleet(fleet);
    const chosen = phones ?? all;
    const byShard = this.links.map(() => [] as number[]);
    for (const p of chosen) byShard[p.shard]!.push(p.index);
    const done = this.links.map(() => 0);
    const whole = phones === undefined || phones.length === all.length;
    const replies = await Promise.all(this.links.map((l, k) => byShard[k]!.length === 0 ? undefined : this.#request(l, { op: 'act', fleet, action, now, ...(whole ? {} : { indices: byShard[k]! }) }, (p) => {
      done[k] = p.done;
      onProgress?.(sum(done), chosen.length);
    })));
    const tally: Partial<Record<SettledState, number>> = {};
    for (const r of replies) for (const [k, v] of Object.entries(r?.tally ?? {})) tally[k as SettledState] = (tally[k as SettledState] ?? 0) + v;
    return tally;
  }

  /** One action per phone (each switched off first): a cloned phone's restored LSC. */
  async actEach(fleet: string, items: ReadonlyArray<[PhoneMirror, PhoneAction]>, now: number): Promise<void> {
    const byShard = this.links.map(() => [] as Array<[number, PhoneAction]>);
    for (const [p, a] of items) byShard[p.shard]!.push([p.index, a]);
    await Promise.all(this.links.map((l, k) => byShard[k]!.length ? this.#request(l, { op: 'act-each', fleet, items: byShard[k]!, now }) : undefined));
  }

  /** The LSCs the phones hold, in the order given (null for a phone without one). */
  async lscOf(fleet: string, phones: readonly PhoneMirror[]): Promise<Array<{ certPem: string; keyPem: string } | null>> {
    const byShard = this.links.map(() => [] as number[]);
    for (const p of phones) byShard[p.shard]!.push(p.index);
    const got = new Map<number, { certPem: string; keyPem: string } | null>();
    const replies = await Promise.all(this.links.map((l, k) => byShard[k]!.length ? this.#request(l, { op: 'lsc', fleet, indices: byShard[k]! }) : undefined));
    for (const r of replies) for (const [i, lsc] of r?.lsc ?? []) got.set(i, lsc);
    return phones.map((p) => got.get(p.index) ?? null);
  }

  /** Every shard moves its clock to `to` and waits until its phones are off the network (the barrier). */
  async advanceTo(to: number): Promise<void> {
    await this.#all({ op: 'advance', to });
  }

  async quiesce(): Promise<void> {
    await this.#all({ op: 'quiesce' });
  }

  /** Brings the mirrors up to date with what each shard's phones did (one batch per shard). */
  async sync(): Promise<void> {
    const replies = await this.#all({ op: 'sync' });
    const waiting: Array<[number, number, string]> = [];
    for (const r of replies) {
      const s = r.sync as SyncReply;
      const str = s.strings;
      for (const d of s.phones) {
        const m = this.fleets.get(this.#fleetNames[d.fleet]!)![d.index]!;
        m.state = d.state;
        m.reason = str[d.reason]!;
        m.itlSerial = str[d.itlSerial]!;
        m.hasLsc = d.hasLsc;
        m.atRest = d.atRest;
        m.lines = d.lines.map((i) => str[i]!);
        if (d.describe !== undefined) m.description = str[d.describe]!;
        else delete m.description;
      }
      for (const t of s.timeline) {
        const m = this.fleets.get(this.#fleetNames[t.fleet]!)![t.index]!;
        const list = this.timelines.get(m);
        const entry = { step: t.step, at: t.at, message: str[t.message]!, kind: t.kind };
        if (list) list.push(entry);
        else this.timelines.set(m, [entry]);
      }
      for (const f of s.findings) if (this.findings.length < 100) this.findings.push(f);
      waiting.push(...s.waiting);
    }
    waiting.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.waiting = waiting.map((w) => w[2]);
  }

  /** Descriptions of the phones with something on the network, each shard asked for at most `boundMs`. */
  async busy(boundMs: number): Promise<string[]> {
    const out = await Promise.all(this.links.map(async (l) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<string[]>((r) => (timer = setTimeout(() => r([`shard ${l.shard}: did not answer within ${boundMs} ms`]), boundMs)));
      try {
        return await Promise.race([l.request({ op: 'busy' }).then((r) => r.busy ?? [], (e: Error) => [`shard ${l.shard}: ${e.message}`]), late]);
      } finally {
        clearTimeout(timer);
      }
    }));
    return out.flat();
  }

  /** Switches every phone off (each shard within `boundMs`). */
  async powerOff(boundMs: number): Promise<void> {
    await Promise.all(this.links.map((l) => Promise.race([l.request({ op: 'power-off' }).catch(() => undefined), new Promise((r) => setTimeout(r, boundMs).unref())])));
  }

  async close(): Promise<void> {
    await Promise.all(this.links.map((l) => l.close()));
  }

  /** What the shards had to say for the report (a takeover after a worker died), in order. */
  notes(): string[] {
    return [...this.#notes];
  }

  /** The same request to every shard; the step's barrier is their answers (a flow on Redis). */
  async #all(req: ShardRequest): Promise<OkReply[]> {
    const replies = this.group ? await this.group.requestAll(req) : await Promise.all(this.links.map((l) => l.request(req)));
    replies.forEach((r, k) => this.#took(k, r));
    return replies;
  }

  async #request(l: ShardLink, req: ShardRequest, onProgress?: (p: ShardProgress) => void): Promise<OkReply> {
    return this.#took(l.shard, await l.request(req, onProgress));
  }

  #took(shard: number, r: OkReply): OkReply {
    this.#statuses[shard] = r.status;
    if (r.notes) this.#notes.push(...r.notes);
    return r;
  }
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function min(xs: Array<number | undefined>): number | undefined {
  let m: number | undefined;
  for (const x of xs) if (x !== undefined && (m === undefined || x < m)) m = x;
  return m;
}
