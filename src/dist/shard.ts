import { CertificateAuthority, KeyPool, sharedKeyPoolDir, type StoredCa } from '../pki/index.js';
import { ManualClock, systemClock } from '../shared/clock.js';
import { EmulatorError, isEmulatorError } from '../shared/errors.js';
import { EventBus } from '../shared/events.js';
import { decodeTrustList } from '../trustlist/index.js';
import { Fleet, type LogEntry, type PhoneBusEvent, type PhoneState, type VirtualPhone } from '../../phones/index.js';
import { packCheckpoint, unpackCheckpoint, type PackedCheckpoint } from './checkpoint.js';
import type { PhoneAction, PhoneDigest, ShardManifest, ShardProgress, ShardReply, ShardRequest, ShardSetup, ShardStatus, SyncReply, TimelineBatchEntry } from './protocol.js';

/**
 * A shard (decision 029): its part of every fleet — phone `i` of a fleet when `i % shards ==
 * shard` — running on real sockets against the coordinator's servers, on a clock of its own that
 * the coordinator moves. It answers one request at a time; what the phones did comes back in
 * batches (`sync`), strings interned, so a 40,000-phone step costs the coordinator one message
 * per shard rather than one event per phone.
 */
interface HostedPhone {
  fleet: number;
  index: number;
  phone: VirtualPhone;
  /** Status messages shown this step. */
  statuses: string[];
  /** The last log entry when the step began. */
  mark: LogEntry | undefined;
  /** The digest last sent, as a key, so `sync` sends only what changed. */
  sent: string;
}

interface HostedFleet {
  spec: ShardSetup['fleets'][number];
  fleet: Fleet;
  hosted: HostedPhone[];
  byIndex: Map<number, HostedPhone>;
}

export class ShardHost {
  readonly clock: ManualClock;
  readonly #setup: ShardSetup;
  readonly #fleets: HostedFleet[] = [];
  readonly #byDevice = new Map<string, HostedPhone>();
  readonly #events = new EventBus<PhoneBusEvent>();
  #step = 0;
  #timeline: Array<Omit<TimelineBatchEntry, 'message'> & { message: string }> = [];
  #timelineCount = new Map<HostedPhone, number>();
  #findings: string[] = [];
  readonly #itlSerials = new Map<string, string>();
  /** What the last checkpoint held, per phone, so the next one carries only what changed. */
  readonly #checkpointed = new Map<HostedPhone, PhoneState>();
  #closed = false;

  private constructor(setup: ShardSetup) {
    this.#setup = setup;
    this.clock = new ManualClock(setup.now);
    this.#events.onAny((e) => this.#onPhoneEvent(e));
  }

  /** Builds the shard's phones (manufacturing MICs from the pool, or restoring a checkpoint's flash) and, for a restored shard, boots the ones that were on. */
  static async create(setup: ShardSetup, onProgress?: (p: ShardProgress) => void): Promise<ShardHost> {
    const host = new ShardHost(setup);
    await host.#build(onProgress);
    return host;
  }

  get manifest(): ShardManifest {
    return { fleets: this.#fleets.map((f) => ({ name: f.spec.name, phones: f.hosted.map((h) => ({ index: h.index, device: h.phone.device, mac: h.phone.record.mac, model: h.phone.model.id })) })) };
  }

  async #build(onProgress?: (p: ShardProgress) => void): Promise<void> {
    const s = this.#setup;
    const pool = new KeyPool({ dir: s.keyPoolDir ?? sharedKeyPoolDir(), cycle: { device: 512 } });
    const manufacturing = restoreCas(s.manufacturing);
    const restored = s.checkpoint ? unpackCheckpoint(s.checkpoint) : undefined;
    const total = s.fleets.reduce((a, f) => a + shardIndices(f.count, s.shard, s.shards).length, 0);
    let base = 0;
    for (const [fi, spec] of s.fleets.entries()) {
      const indices = shardIndices(spec.count, s.shard, s.shards);
      const fleet = await Fleet.create(
        { count: spec.count, models: spec.models, tftpServers: spec.tftpServers, macPrefix: spec.macPrefix, firstIndex: 0, indices },
        {
          manufacturing, pool, clock: this.clock, netClock: systemClock, tftpPort: s.tftpPort, httpPort: s.httpPort, timeoutMs: s.networkTimeoutMs,
          events: this.#events, phonesPerAddress: s.phonesPerAddress,
          ...(spec.sourcePrefix ? { sourceAddress: (g: number) => `${spec.sourcePrefix}.${2 + g}` } : {}),
          ...(restored ? { restored: new Map([...restored.phones].map(([mac, p]) => [mac, { flash: p.state.flash, tftpServers: p.state.tftpServers }])) } : {}),
        },
        (p) => onProgress?.({ done: base + p.done, total }),
      );
      base += indices.length;
      const hosted = fleet.phones.map((phone, j) => ({ fleet: fi, index: indices[j]!, phone, statuses: [], mark: undefined, sent: '' }));
      for (const h of hosted) this.#byDevice.set(h.phone.device, h);
      this.#fleets.push({ spec, fleet, hosted, byIndex: new Map(hosted.map((h) => [h.index, h])) });
    }
    if (restored) {
      // Each phone carries on in the state it had at the checkpoint, its timers armed again: a
      // takeover is invisible to the cluster and to the report.
      for (const h of this.#all()) {
        const p = restored.phones.get(h.phone.record.mac);
        if (p) h.phone.resume(p.state);
      }
    }
  }

  /** Handles one request; a failure is a typed reply, never a throw across the boundary. */
  async handle(req: ShardRequest, onProgress?: (p: ShardProgress) => void): Promise<ShardReply> {
    try {
      if (this.#closed && req.op !== 'close') throw new EmulatorError('INVALID_STATE', 'the shard is closed');
      return await this.#handle(req, onProgress);
    } catch (e) {
      const code = isEmulatorError(e) ? e.code : 'INTERNAL';
      return { ok: false, code, message: (e as Error)?.message ?? String(e) };
    }
  }

  async #handle(req: ShardRequest, onProgress?: (p: ShardProgress) => void): Promise<ShardReply> {
    switch (req.op) {
      case 'begin-step':
        this.#step = req.step;
        for (const h of this.#all()) {
          h.statuses = [];
          h.mark = h.phone.state.flash.log.at(-1);
        }
        return this.#ok();
      case 'act': {
        this.#catchUp(req.now);
        const f = this.#fleet(req.fleet);
        const phones = req.indices ? req.indices.map((i) => f.byIndex.get(i)).filter((h): h is HostedPhone => h !== undefined).map((h) => h.phone) : f.fleet.phones;
        const progress = throttled(onProgress);
        const r = await f.fleet.each((p: VirtualPhone) => applyAction(p, req.action), { phones, ...(req.concurrency ? { concurrency: req.concurrency } : {}), ...(progress ? { onProgress: progress } : {}) });
        return { ...this.#ok(), tally: r.tally };
      }
      case 'act-each': {
        this.#catchUp(req.now);
        const f = this.#fleet(req.fleet);
        const list: VirtualPhone[] = [];
        for (const [i, action] of req.items) {
          const h = f.byIndex.get(i);
          if (!h) continue;
          h.phone.powerOff();
          await h.phone.whenIdle();
          applyAction(h.phone, action);
          list.push(h.phone);
        }
        await Promise.all(list.map((p) => p.flushed()));
        return this.#ok();
      }
      case 'advance':
        this.#catchUp(req.to);
        await this.#quiesce();
        return this.#ok();
      case 'quiesce':
        await this.#quiesce();
        return this.#ok();
      case 'sync':
        return { ...this.#ok(), sync: this.#sync() };
      case 'lsc': {
        const f = this.#fleet(req.fleet);
        return { ...this.#ok(), lsc: req.indices.flatMap((i) => {
          const h = f.byIndex.get(i);
          return h ? [[i, h.phone.state.flash.lsc ?? null] as [number, { certPem: string; keyPem: string } | null]] : [];
        }) };
      }
      case 'busy':
        return { ...this.#ok(), busy: this.#all().filter((h) => !h.phone.idle).map((h) => h.phone.describe()) };
      case 'checkpoint':
        return { ...this.#ok(), checkpoint: this.#checkpoint() };
      case 'power-off':
        for (const h of this.#all()) h.phone.powerOff();
        await Promise.all(this.#all().map((h) => h.phone.whenIdle().then(() => h.phone.flushed())));
        return this.#ok();
      case 'close':
        if (!this.#closed) {
          this.#closed = true;
          for (const h of this.#all()) h.phone.powerOff();
        }
        return this.#ok();
    }
  }

  /** The shard's clock follows the coordinator's: it only moves forward, firing what falls due on the way. */
  #catchUp(to: number): void {
    if (to > this.clock.now()) this.clock.advance(to - this.clock.now());
  }

  async #quiesce(): Promise<void> {
    await Promise.all(this.#all().map((h) => h.phone.whenIdle()));
    await Promise.all(this.#all().map((h) => h.phone.flushed()));
  }

  #ok(): { ok: true; status: ShardStatus } {
    return { ok: true, status: this.#status() };
  }

  #status(): ShardStatus {
    let notAtRest = 0;
    let restDue: number | undefined;
    for (const h of this.#all()) {
      if (h.phone.atRest) continue;
      notAtRest++;
      const d = h.phone.nextDue;
      if (d !== undefined && (restDue === undefined || d < restDue)) restDue = d;
    }
    const nextDue = this.clock.nextDue();
    return { notAtRest, ...(restDue !== undefined ? { restDue } : {}), ...(nextDue !== undefined ? { nextDue } : {}) };
  }

  #sync(): SyncReply {
    const strings: string[] = [];
    const ids = new Map<string, number>();
    const id = (s: string): number => {
      let n = ids.get(s);
      if (n === undefined) {
        n = strings.length;
        strings.push(s);
        ids.set(s, n);
      }
      return n;
    };
    const phones: PhoneDigest[] = [];
    const waiting: Array<[number, number, string]> = [];
    for (const h of this.#all()) {
      const p = h.phone;
      const lines = this.#linesOf(h);
      const atRest = p.atRest;
      const describe = atRest ? undefined : p.describe();
      if (describe !== undefined && p.idle) waiting.push([h.fleet, h.index, describe]);
      const itl = this.#itlSerial(p.state.flash.itl);
      const key = `${this.#step}\u0000${p.settled.state}\u0000${p.settled.reason}\u0000${itl}\u0000${Boolean(p.state.flash.lsc)}\u0000${atRest}\u0000${lines.length}\u0000${describe ?? ''}`;
      if (key === h.sent) continue;
      h.sent = key;
      phones.push({
        fleet: h.fleet, index: h.index, state: p.settled.state, reason: id(p.settled.reason), itlSerial: id(itl), hasLsc: Boolean(p.state.flash.lsc), atRest,
        lines: lines.map(id), ...(describe !== undefined ? { describe: id(describe) } : {}),
      });
    }
    const timeline = this.#timeline.map((t) => ({ ...t, message: id(t.message) }));
    this.#timeline = [];
    const findings = this.#findings;
    this.#findings = [];
    return { strings, phones, timeline, findings, waiting };
  }

  /** What the phone showed or logged since the step began, as the single-process run reads it (statuses, then log entries). */
  #linesOf(h: HostedPhone): string[] {
    const log = h.phone.state.flash.log;
    const i = h.mark ? log.lastIndexOf(h.mark) : -1;
    const since = !h.mark ? log : i < 0 ? log : log.slice(i + 1);
    return [...h.statuses, ...since.map((l) => l.message)];
  }

  /** The installed ITL's signer serial (hex, no leading zeros), 'no ITL' when there is none; memoised per content. */
  #itlSerial(itl: string | undefined): string {
    if (!itl) return 'no ITL';
    let s = this.#itlSerials.get(itl);
    if (s === undefined) {
      s = Buffer.from(decodeTrustList(Buffer.from(itl, 'base64')).header.signerSerial).toString('hex').replace(/^0+(?=.)/, '');
      this.#itlSerials.set(itl, s);
    }
    return s;
  }

  #onPhoneEvent(e: PhoneBusEvent): void {
    if (e.type === 'phone.invalid-transition') {
      if (this.#findings.length < 100) this.#findings.push(e.message);
      return;
    }
    if (e.type !== 'phone.status' && e.type !== 'phone.settled') return;
    const h = this.#byDevice.get(e.device);
    if (!h) return;
    if (e.type === 'phone.status') h.statuses.push(e.message);
    if (h.index >= this.#setup.timelinePhones) return;
    const n = this.#timelineCount.get(h) ?? 0;
    if (n >= this.#setup.timelineLimit) return;
    this.#timelineCount.set(h, n + 1);
    this.#timeline.push({ fleet: h.fleet, index: h.index, step: this.#step, at: e.at, message: e.type === 'phone.status' ? e.message : `${e.state}: ${e.reason}`, kind: e.type === 'phone.status' ? 'status' : 'settled' });
  }

  /** Phones whose state changed since the last checkpoint (the reducer replaces the state object on every change). */
  #checkpoint(): PackedCheckpoint {
    const changed = [];
    for (const h of this.#all()) {
      const s = h.phone.state;
      if (this.#checkpointed.get(h) === s) continue;
      this.#checkpointed.set(h, s);
      changed.push({ mac: h.phone.record.mac, state: s });
    }
    return packCheckpoint({ step: this.#step, now: this.clock.now(), phones: changed });
  }

  #fleet(name: string): HostedFleet {
    const f = this.#fleets.find((x) => x.spec.name === name);
    if (!f) throw new EmulatorError('INVALID_ARGUMENT', `this shard has no fleet "${name}"`);
    return f;
  }

  #all(): HostedPhone[] {
    return this.#fleets.flatMap((f) => f.hosted);
  }
}

/** The global indices of a fleet's phones that shard `shard` of `shards` holds. */
export function shardIndices(count: number, shard: number, shards: number): number[] {
  const out: number[] = [];
  for (let i = shard; i < count; i += shards) out.push(i);
  return out;
}

function applyAction(p: VirtualPhone, a: PhoneAction): void {
  switch (a.kind) {
    case 'power-on': return p.powerOn();
    case 'power-off': return p.powerOff();
    case 'reset': return p.reset();
    case 'security-reset': return p.securityReset();
    case 'factory-reset': return p.factoryReset();
    case 'delete-itl': return p.deleteItl();
    case 'open-directory': return p.openDirectory();
    case 'set-tftp': return p.setTftpServers(a.servers);
    case 'auth-string': return p.enterAuthString(a.value);
    case 'restore-lsc': return p.restoreLsc(a.lsc);
  }
}

/** The lab's stored CAs as objects again, parents first. */
function restoreCas(stored: StoredCa[]): Map<string, CertificateAuthority> {
  const out = new Map<string, CertificateAuthority>();
  const pending = [...stored];
  while (pending.length) {
    const i = pending.findIndex((s) => !s.parent || out.has(s.parent));
    if (i < 0) throw new EmulatorError('INVALID_ARGUMENT', `manufacturing CA ${pending[0]!.name} names a parent that is not in the setup`);
    const s = pending.splice(i, 1)[0]!;
    out.set(s.name, CertificateAuthority.fromStored(s, s.parent ? out.get(s.parent) : undefined));
  }
  return out;
}

/** Progress at most every 200 ms (and at the end), so a shard never floods its coordinator. */
function throttled(cb: ((p: ShardProgress) => void) | undefined): ((p: ShardProgress) => void) | undefined {
  if (!cb) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (p.done !== p.total && now - last < 200) return;
    last = now;
    cb({ done: p.done, total: p.total });
  };
}
