import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { SecureContext } from 'node:tls';
import { runCapfClient, type CapfClientAuth, type CapfClientOutcome } from '../src/capf/index.js';
import { pemCertificates, type KeyPair, type KeySpec } from '../src/pki/index.js';
import { sipClientContext, sipRegister } from '../src/sip/index.js';
import { systemClock, type Clock, type TimerHandle } from '../src/shared/clock.js';
import { EventBus } from '../src/shared/events.js';
import { tvsDeviceName, tvsVerify } from '../tvs-sim/index.js';
import { fetchFile } from './fetch.js';
import type { PhoneStore, PhoneRecord } from './flash-store.js';
import { fetchPage, probeServer } from './https-client.js';
import {
  atRest, EFFECT_BOUND_FACTOR, failedResult, initialPhone, isNetworkEffect, reduce, stageOf,
  type CapfFailureKind, type Flash, type NetworkEffect, type PhoneEffect, type PhoneEvent, type PhoneState, type ResultEvent, type SettledState,
} from './machine/index.js';
import { phoneModel, type PhoneModel } from './models.js';

/**
 * A virtual IP phone: the pure machine (`machine/`) plus this shell, which carries out its
 * effects over real sockets — files over HTTP 6970 or TFTP, TVS over TLS on 2445, CAPF over TLS
 * on 3804, SIP REGISTER over TCP or TLS — and feeds each result back as the one event that
 * answers it (architecture.md "Layering"). The phone knows only what it downloads and what its
 * flash holds.
 *
 * Every effect ends exactly once: with its client's answer, with a failure of its own kind when
 * the work rejects, with a timeout when it outlives its bound ({@link EFFECT_BOUND_FACTOR}), or
 * by the machine cancelling it (the shell then aborts the work and drops what it would deliver).
 *
 * Two clocks: `clock` is the phone's own time (event timestamps, TVS cache expiry, re-REGISTER
 * and CAPF retry timers), which a scenario runs on simulated time; socket timeouts always run on
 * real time (`netClock`), since real packets take real time.
 */
export type PhoneBusEvent =
  | { type: 'phone.status'; device: string; at: number; message: string }
  | { type: 'phone.settled'; device: string; at: number; state: SettledState; reason: string }
  | { type: 'phone.effect'; device: string; at: number; effect: PhoneEffect['type']; detail: string }
  /** The machine met an event it has no edge for (INVALID_TRANSITION): a finding, never silent. */
  | { type: 'phone.invalid-transition'; device: string; at: number; region: string; phase: string; event: string; message: string }
  /** Saving the flash to the lab failed: the phone runs on, but its flash on disk is behind. */
  | { type: 'phone.flash-error'; device: string; at: number; message: string };

export interface PhoneEnv {
  clock?: Clock;
  netClock?: Clock;
  /** Source address for every socket (a fleet spreads phones over 127.0.0.x). */
  localAddress?: string;
  /** TFTP and HTTP ports of the servers (69 and 6970 on a real network; lab servers may differ). */
  tftpPort?: number;
  httpPort?: number;
  /** Per-connection network timeout in ms (default 5000). */
  timeoutMs?: number;
  store?: PhoneStore;
  events?: EventBus<PhoneBusEvent>;
  /** Where LSC key pairs come from (default: node:crypto generation). */
  keySource?: (spec: KeySpec) => Promise<KeyPair>;
}

/** An effect the shell is carrying out: network work it can abort, or a timer. */
interface Open {
  effect: NetworkEffect | Extract<PhoneEffect, { type: 'timer.start' }>;
  abort?: AbortController;
  /** The bound on network work (real time), or the timer itself (the phone's clock). */
  handle: TimerHandle;
}

type Answer = ResultEvent extends infer E ? (E extends ResultEvent ? Omit<E, 'effect' | 'at'> : never) : never;

export class VirtualPhone {
  readonly model: PhoneModel;
  readonly record: PhoneRecord;
  readonly events: EventBus<PhoneBusEvent>;
  #state: PhoneState;
  readonly #env: Required<Pick<PhoneEnv, 'clock' | 'netClock' | 'timeoutMs' | 'tftpPort' | 'httpPort'>> & PhoneEnv;
  readonly #mic: { certificate: Uint8Array; privateKey: KeyObject; pem: string; keyPem: string; chainPem: string };
  readonly #open = new Map<number, Open>();
  /** Network effects open (timers excluded). */
  #busy = 0;
  /** One TLS client context per credential and mode, dropped when the credential changes. */
  #contexts = new Map<string, { cert: string | undefined; context: SecureContext }>();
  #waiters: Array<() => void> = [];
  #saving: Promise<void> = Promise.resolve();

  constructor(record: PhoneRecord, flash: Flash | undefined, env: PhoneEnv = {}) {
    this.record = record;
    this.model = phoneModel(record.model);
    this.events = env.events ?? new EventBus<PhoneBusEvent>();
    this.#env = { clock: systemClock, netClock: systemClock, timeoutMs: 5000, tftpPort: 69, httpPort: 6970, ...env };
    this.#state = initialPhone({ mac: record.mac, model: this.model, tftpServers: record.tftpServers, ...(flash ? { flash } : {}) });
    const der = pemCertificates(record.mic.certPem)[0]!;
    this.#mic = { certificate: der, privateKey: parsedKey(record.mic.keyPem), pem: record.mic.certPem, keyPem: record.mic.keyPem, chainPem: record.mic.chainPem };
  }

  get state(): PhoneState {
    return this.#state;
  }

  get device(): string {
    return this.#state.device;
  }

  get settled(): PhoneState['settled'] {
    return this.#state.settled;
  }

  /** True when nothing is on the network: the phone rests, or waits only for a timer on its clock. */
  get idle(): boolean {
    return this.#busy === 0;
  }

  /** True when the phone rests: nothing on the network and no stage waiting for a timer (a CAPF retry). */
  get atRest(): boolean {
    return this.#busy === 0 && atRest(this.#state);
  }

  /** The earliest timer a stage that is not at rest waits for (a CAPF retry), on the phone's clock. */
  get nextDue(): number | undefined {
    if (atRest(this.#state)) return undefined;
    const dues = this.#state.effects.filter((p) => p.type === 'timer.start' && p.timer === 'capf-retry').map((p) => p.due!);
    return dues.length ? Math.min(...dues) : undefined;
  }

  /** Where the phone is and what it waits for, for a step that did not settle. */
  describe(): string {
    const s = this.#state;
    const pending = s.effects.map((p) => (p.type === 'timer.start' ? `timer ${p.timer} due ${new Date(p.due!).toISOString()}` : `${p.type} #${p.id}`));
    const stages = `phase ${s.phase}${s.capf.stage !== 'idle' ? `, CAPF ${stageOf.capf(s)}` : ''}${s.service ? `, service ${s.service.stage}` : ''}`;
    return `${s.device}: ${stages}; ${pending.length ? `pending ${pending.join(', ')}` : 'nothing pending'} (${s.settled.state}: ${s.settled.reason})`;
  }

  /** Resolves once nothing is on the network (after a boot, a reset, a re-registration…). */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((r) => this.#waiters.push(r));
  }

  powerOn(): void {
    this.#dispatch({ type: 'power.on', at: this.#now() });
  }

  powerOff(): void {
    this.#dispatch({ type: 'power.off', at: this.#now() });
  }

  reset(): void {
    this.#dispatch({ type: 'action.reset', at: this.#now() });
  }

  securityReset(): void {
    this.#dispatch({ type: 'action.security-reset', at: this.#now() });
  }

  factoryReset(): void {
    this.#dispatch({ type: 'action.factory-reset', at: this.#now() });
  }

  deleteItl(): void {
    this.#dispatch({ type: 'action.delete-itl', at: this.#now() });
  }

  setTftpServers(servers: string[]): void {
    this.#dispatch({ type: 'action.set-tftp', at: this.#now(), servers });
  }

  enterAuthString(value: string): void {
    this.#dispatch({ type: 'action.auth-string', at: this.#now(), value });
  }

  /** Restores a flash image holding another LSC onto the phone while it is off (a cloned phone). */
  restoreLsc(lsc: { certPem: string; keyPem: string }): void {
    this.#dispatch({ type: 'action.restore-lsc', at: this.#now(), lsc });
  }

  /** Opens the corporate directory from the Directories menu (its `secureDirectoryURL`, SC-23). */
  openDirectory(): void {
    this.#dispatch({ type: 'action.open-service', at: this.#now(), service: 'directory' });
  }

  /**
   * Puts a freshly made phone into a state saved elsewhere (a shard checkpoint, decision 029):
   * the machine state as it was, and each timer it had set armed again for the instant it falls
   * due. Network work cannot be resumed: any that was open ends as failed, as it would when the
   * phone's host went away mid-request (checkpoints are taken when phones are idle, so there is
   * normally none).
   */
  resume(state: PhoneState): void {
    if (this.#open.size || this.#busy) throw new Error('resume() needs a phone that has not started');
    this.#state = state;
    for (const p of state.effects) {
      if (p.type !== 'timer.start' || p.timer === undefined || p.due === undefined) continue;
      const name = p.timer;
      const handle = this.#env.clock.setTimeout(() => this.#answer(p.id, { type: 'timer', name }), Math.max(0, p.due - this.#now()));
      this.#open.set(p.id, { effect: { type: 'timer.start', id: p.id, name, ms: Math.max(0, p.due - this.#now()) }, handle });
    }
    for (const p of state.effects) {
      if (p.type === 'timer.start') continue;
      this.#dispatch({ ...failedResult({ type: p.type, id: p.id } as NetworkEffect, 'failure', 'its host went away mid-request', 0), at: this.#now(), effect: p.id } as PhoneEvent);
    }
  }

  /** Waits for pending flash writes (call before dropping a phone). */
  flushed(): Promise<void> {
    return this.#saving;
  }

  #now(): number {
    return this.#env.clock.now();
  }

  #dispatch(event: PhoneEvent): void {
    const t = reduce(this.#state, event, this.model);
    this.#state = t.state;
    if (t.invalid) {
      const f = t.invalid;
      this.events.emit({ type: 'phone.invalid-transition', device: f.device, at: event.at, region: f.region, phase: f.phase, event: f.event, message: f.message });
    }
    for (const e of t.effects) this.#run(e);
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (!this.idle) return;
    const w = this.#waiters;
    this.#waiters = [];
    for (const r of w) r();
  }

  /** Ends an open effect with its answer, once: later answers for it (or after a cancel) are dropped. */
  #answer(id: number, answer: Answer | ResultEvent): void {
    const open = this.#open.get(id);
    if (!open) return;
    this.#close(id, open);
    this.#dispatch({ ...answer, at: this.#now(), effect: id } as PhoneEvent);
  }

  #close(id: number, open: Open): void {
    this.#open.delete(id);
    if (open.effect.type === 'timer.start') {
      this.#env.clock.clearTimeout(open.handle);
      return;
    }
    this.#env.netClock.clearTimeout(open.handle);
    this.#busy--;
  }

  #emit(effect: PhoneEffect, detail: string): void {
    if (this.events.wants('phone.effect')) this.events.emit({ type: 'phone.effect', device: this.device, at: this.#now(), effect: effect.type, detail });
  }

  /** Starts network work for an effect, bounded in real time; its answer (or failure) ends the effect. */
  #network(e: NetworkEffect, detail: string, work: (signal: AbortSignal) => Promise<Answer>): void {
    this.#emit(e, detail);
    const abort = new AbortController();
    const bound = this.#env.timeoutMs * EFFECT_BOUND_FACTOR[e.type];
    const handle = this.#env.netClock.setTimeout(() => {
      abort.abort();
      this.#answer(e.id, failedResult(e, 'timeout', `no answer within ${bound} ms`, 0));
    }, bound);
    this.#open.set(e.id, { effect: e, abort, handle });
    this.#busy++;
    void work(abort.signal).then(
      (answer) => this.#answer(e.id, answer),
      (err: unknown) => this.#answer(e.id, failedResult(e, 'failure', `internal error: ${(err as Error)?.message ?? String(err)}`, 0)),
    );
  }

  #run(e: PhoneEffect): void {
    if (isNetworkEffect(e)) return this.#runNetwork(e);
    switch (e.type) {
      case 'timer.start': {
        const handle = this.#env.clock.setTimeout(() => this.#answer(e.id, { type: 'timer', name: e.name }), e.ms);
        this.#open.set(e.id, { effect: e, handle });
        return;
      }
      case 'cancel':
        for (const id of e.ids) {
          const open = this.#open.get(id);
          if (!open) continue;
          open.abort?.abort();
          this.#close(id, open);
        }
        return;
      case 'flash.save': {
        const store = this.#env.store;
        if (!store) return;
        const flash = this.#state.flash;
        this.#saving = this.#saving.then(() => store.saveFlash(this.record.mac, flash)).catch((err: unknown) => {
          this.events.emit({ type: 'phone.flash-error', device: this.device, at: this.#now(), message: `saving the flash failed: ${(err as Error).message}` });
        });
        return;
      }
      case 'status':
        this.events.emit({ type: 'phone.status', device: this.device, at: this.#now(), message: e.message });
        return;
      case 'settled':
        this.events.emit({ type: 'phone.settled', device: this.device, at: this.#now(), state: e.state, reason: e.reason });
        return;
    }
  }

  #runNetwork(e: NetworkEffect): void {
    const env = this.#env;
    const local = env.localAddress ? { localAddress: env.localAddress } : {};
    const tls = { minVersion: this.model.tlsVersions[0]!, maxVersion: this.model.tlsVersions[this.model.tlsVersions.length - 1]! };
    switch (e.type) {
      case 'fetch':
        return this.#network(e, `${e.server} ${e.name}`, async (signal) => {
          const r = await fetchFile({ server: e.server, name: e.name, http: this.model.http6970, tftpPort: env.tftpPort, httpPort: env.httpPort, clock: env.netClock, timeoutMs: env.timeoutMs, signal, ...local });
          return 'bytes' in r ? { type: 'file.result', name: e.name, bytes: r.bytes } : { type: 'file.result', name: e.name, error: r.error, detail: r.detail };
        });
      case 'tvs.verify':
      case 'tvs.query':
        return this.#network(e, e.type === 'tvs.verify' ? 'certificate' : `subject ${e.subject}`, async (signal) => {
          const o = await tvsVerify({
            members: e.members, trustedTvs: e.trustedTvs, ...(e.type === 'tvs.verify' ? { certificate: e.certificate } : { subject: e.subject }),
            deviceName: tvsDeviceName(this.model.id.padStart(4, '0'), this.record.mac), timeoutMs: env.timeoutMs, clock: env.netClock, signal, ...tls, ...local,
          });
          const detail = o.kind === 'not-attempted' ? o.reason : 'attempts' in o ? o.attempts.map((a) => `${a.member.host}:${a.kind}`).join(', ') : undefined;
          return { type: 'tvs.result', outcome: o.kind, ...(o.kind === 'vouched' ? { roles: o.roles, ttlSeconds: o.ttlSeconds, certificates: o.certificates } : {}), ...(detail ? { detail } : {}) };
        });
      case 'capf.enroll':
        return this.#network(e, `${e.server.host}:${e.server.port} mode ${e.authMode}`, async (signal) => {
          const auth: CapfClientAuth = e.authMode === 1 ? { mode: 'auth-string', authString: e.authString ?? '' } : e.authMode === 2 ? { mode: 'null-string' } : e.authMode === 3 ? { mode: 'existing-lsc' } : { mode: 'existing-mic' };
          const lsc = this.#state.flash.lsc;
          const o = await runCapfClient({
            host: e.server.host, port: e.server.port, deviceName: this.device, capfRecords: e.trustedCapf, auth,
            mic: { certificate: this.#mic.certificate, privateKey: this.#mic.privateKey },
            ...(lsc ? { lsc: { certificate: pemCertificates(lsc.certPem)[0]!, privateKey: createPrivateKey(lsc.keyPem) } } : {}),
            ...(env.keySource ? { keySource: env.keySource } : {}), timeoutMs: env.timeoutMs, clock: env.netClock, signal,
          });
          return capfAnswer(o);
        });
      case 'sip.register': {
        const lsc = this.#state.flash.lsc;
        const credential = e.transport === 'tls' ? (e.credential === 'lsc' && lsc ? { certPem: lsc.certPem, keyPem: lsc.keyPem } : { certPem: this.#mic.pem, keyPem: this.#mic.keyPem, chainPem: this.#mic.chainPem }) : undefined;
        return this.#network(e, `${e.transport} ${e.server.host}:${e.server.port} ${e.credential}`, async (signal) => {
          const ctxOptions = { ...(credential ? { credential } : {}), tlsVersions: this.model.tlsVersions, ec: this.model.ec, mode: e.mode };
          const r = await sipRegister({
            host: e.server.host, port: e.server.port, transport: e.transport, mode: e.mode, deviceName: this.device, productName: this.model.productName,
            ...(credential ? { credential } : {}), trustedServers: e.trustedServers, tlsVersions: this.model.tlsVersions, ec: this.model.ec,
            ...(e.transport === 'tls' ? { secureContext: this.#tlsContext(`${e.credential}:${e.mode}`, credential?.certPem, () => sipClientContext(ctxOptions)) } : {}),
            maxRsaBits: this.model.maxCallManagerRsaBits, now: env.clock.now(), timeoutMs: env.timeoutMs, clock: env.netClock, signal, ...local,
          });
          return r.ok ? { type: 'sip.result', ok: true, expiresSeconds: r.expiresSeconds } : { type: 'sip.result', ok: false, reason: r.reason, ...(r.alert ? { alert: r.alert } : {}) };
        });
      }
      case 'service.connect':
      case 'service.fetch': {
        const target = (signal: AbortSignal) => ({ url: e.url, clock: env.netClock, timeoutMs: env.timeoutMs, signal, ...tls, ...local });
        if (e.type === 'service.connect') {
          return this.#network(e, e.url, async (signal) => {
            const r = await probeServer(target(signal));
            return r.ok ? { type: 'service.certificate', url: e.url, certificate: r.certificate } : { type: 'service.certificate', url: e.url, error: r.error };
          });
        }
        return this.#network(e, e.url, async (signal) => {
          const r = await fetchPage({ ...target(signal), pinned: e.certificate });
          return r.ok ? { type: 'service.page', url: e.url, ok: true, ...(r.title ? { title: r.title } : {}) } : { type: 'service.page', url: e.url, ok: false, error: r.error };
        });
      }
    }
  }

  #tlsContext(key: string, cert: string | undefined, make: () => SecureContext): SecureContext {
    const hit = this.#contexts.get(key);
    if (hit && hit.cert === cert) return hit.context;
    const context = make();
    this.#contexts.set(key, { cert, context });
    return context;
  }
}

/**
 * A CAPF session's outcome as the machine's answer (CAPF-3): a refusal by the server, a
 * certificate the phone lacks, or a failure to communicate, which the phone retries.
 */
function capfAnswer(o: CapfClientOutcome): Answer {
  switch (o.status) {
    case 'installed':
      return { type: 'capf.result', ok: true, lsc: { certPem: new X509Certificate(o.lsc).toString(), keyPem: o.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string } };
    case 'deleted':
      return { type: 'capf.result', ok: true, deleted: true };
    case 'no-action':
    case 'fetched':
      return { type: 'capf.result', ok: true };
    case 'refused':
      return failedCapf('refused', `CAPF refused the session (END_SESSION ${o.endReason}: ${o.reason})`);
    case 'no-credential':
      return failedCapf('no-credential', 'the phone has neither an LSC nor a MIC to authenticate with (CAPF-2)');
    case 'server-not-trusted':
      return failedCapf('communication', 'the CAPF server certificate is not the CAPF record of the phone\'s CTL/ITL');
    case 'connection-failed':
      return failedCapf('communication', `connection failed (${o.code}: ${o.message})`);
    case 'timeout':
      return failedCapf('timeout', `no answer while waiting for ${o.waitingFor}`);
    case 'protocol-error':
      return failedCapf('communication', `protocol error (${o.detail})`);
    case 'aborted':
      return failedCapf('communication', 'aborted');
  }
}

function failedCapf(failure: CapfFailureKind, reason: string): Answer {
  return { type: 'capf.result', ok: false, failure, reason };
}

/**
 * MIC keys come from the pool's `device` namespace, which cycles through 512 keys (decision
 * 018): a fleet of 40,000 phones holds 512 distinct key PEMs, so each is parsed once (issue 17
 * §5). Bounded, in case a lab hands out keys of its own.
 */
const PARSED_KEYS = new Map<string, KeyObject>();

function parsedKey(pem: string): KeyObject {
  let k = PARSED_KEYS.get(pem);
  if (!k) {
    k = createPrivateKey(pem);
    if (PARSED_KEYS.size >= 2048) PARSED_KEYS.delete(PARSED_KEYS.keys().next().value!);
    PARSED_KEYS.set(pem, k);
  }
  return k;
}
