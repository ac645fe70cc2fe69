import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { systemClock, type Clock, type TimerHandle } from '../src/shared/clock.js';
import { EventBus } from '../src/shared/events.js';
import { pemCertificates, type KeyPair, type KeySpec } from '../src/pki/index.js';
import { tvsVerify, tvsDeviceName } from '../tvs-sim/index.js';
import { runCapfClient, type CapfClientAuth } from '../src/capf/index.js';
import { fetchFile } from './fetch.js';
import { fetchPage, probeServer } from './https-client.js';
import type { PhoneStore, PhoneRecord } from './flash-store.js';
import { initialPhone, reduce, type Flash, type PhoneEffect, type PhoneEvent, type PhoneState, type SettledState } from './machine/index.js';
import { phoneModel, type PhoneModel } from './models.js';
import { sipClientContext, sipRegister } from '../src/sip/index.js';
import type { SecureContext } from 'node:tls';

/**
 * A virtual IP phone: the pure reducer (`machine/`) plus this shell, which carries out its
 * effects over real sockets — files over HTTP 6970 or TFTP, TVS over TLS on 2445, CAPF over TLS
 * on 3804, SIP REGISTER over TCP or TLS — and feeds the results back as events
 * (architecture.md "Layering"). The phone knows only what it downloads and what its flash holds.
 *
 * Two clocks: `clock` is the phone's own time (event timestamps, TVS cache expiry, re-REGISTER
 * and CAPF retry timers), which a scenario runs on simulated time; socket timeouts always run on
 * real time (`netClock`), since real packets take real time.
 */
export type PhoneBusEvent =
  | { type: 'phone.status'; device: string; at: number; message: string }
  | { type: 'phone.settled'; device: string; at: number; state: SettledState; reason: string }
  | { type: 'phone.effect'; device: string; at: number; effect: PhoneEffect['type']; detail: string };

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

const STABLE = new Set<PhoneState['phase']>(['off', 'registered', 'failed', 'waiting']);

export class VirtualPhone {
  readonly model: PhoneModel;
  readonly record: PhoneRecord;
  readonly events: EventBus<PhoneBusEvent>;
  #state: PhoneState;
  readonly #env: Required<Pick<PhoneEnv, 'clock' | 'netClock' | 'timeoutMs' | 'tftpPort' | 'httpPort'>> & PhoneEnv;
  readonly #mic: { certificate: Uint8Array; privateKey: KeyObject; pem: string; keyPem: string; chainPem: string };
  #timers = new Map<string, TimerHandle>();
  /** One TLS client context per credential and mode, dropped when the credential changes. */
  #contexts = new Map<string, { cert: string | undefined; context: SecureContext }>();
  #inflight = 0;
  #gen = 0;
  #waiters: Array<() => void> = [];
  #saving: Promise<void> = Promise.resolve();

  constructor(record: PhoneRecord, flash: Flash | undefined, env: PhoneEnv = {}) {
    this.record = record;
    this.model = phoneModel(record.model);
    this.events = env.events ?? new EventBus<PhoneBusEvent>();
    this.#env = { clock: systemClock, netClock: systemClock, timeoutMs: 5000, tftpPort: 69, httpPort: 6970, ...env };
    this.#state = initialPhone({ mac: record.mac, model: this.model, tftpServers: record.tftpServers, ...(flash ? { flash } : {}) });
    const der = pemCertificates(record.mic.certPem)[0]!;
    this.#mic = { certificate: der, privateKey: createPrivateKey(record.mic.keyPem), pem: record.mic.certPem, keyPem: record.mic.keyPem, chainPem: record.mic.chainPem };
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

  /** True when nothing is in flight and the phone rests in a stable phase. */
  get idle(): boolean {
    return this.#inflight === 0 && STABLE.has(this.#state.phase);
  }

  /** Resolves once the phone is idle (after a boot, a reset, a re-registration…). */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((r) => this.#waiters.push(r));
  }

  powerOn(): void {
    this.#dispatch({ type: 'power.on', at: this.#now() });
  }

  powerOff(): void {
    this.#gen++;
    this.#dispatch({ type: 'power.off', at: this.#now() });
  }

  reset(): void {
    this.#gen++;
    this.#dispatch({ type: 'action.reset', at: this.#now() });
  }

  securityReset(): void {
    this.#gen++;
    this.#dispatch({ type: 'action.security-reset', at: this.#now() });
  }

  factoryReset(): void {
    this.#gen++;
    this.#dispatch({ type: 'action.factory-reset', at: this.#now() });
  }

  deleteItl(): void {
    this.#dispatch({ type: 'action.delete-itl', at: this.#now() });
  }

  setTftpServers(servers: string[]): void {
    this.#gen++;
    this.#dispatch({ type: 'action.set-tftp', at: this.#now(), servers });
  }

  enterAuthString(value: string): void {
    this.#dispatch({ type: 'action.auth-string', at: this.#now(), value });
  }

  /** Opens the corporate directory from the Directories menu (its `secureDirectoryURL`, SC-23). */
  openDirectory(): void {
    this.#dispatch({ type: 'action.open-service', at: this.#now(), service: 'directory' });
  }

  /** Waits for pending flash writes (call before dropping a phone). */
  flushed(): Promise<void> {
    return this.#saving;
  }

  #tlsContext(key: string, cert: string | undefined, make: () => SecureContext): SecureContext {
    const hit = this.#contexts.get(key);
    if (hit && hit.cert === cert) return hit.context;
    const context = make();
    this.#contexts.set(key, { cert, context });
    return context;
  }

  #now(): number {
    return this.#env.clock.now();
  }

  #dispatch(event: PhoneEvent): void {
    const t = reduce(this.#state, event, this.model);
    this.#state = t.state;
    for (const e of t.effects) this.#run(e);
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (!this.idle) return;
    const w = this.#waiters;
    this.#waiters = [];
    for (const r of w) r();
  }

  /** Runs an async effect; its result is dropped if the phone was reset meanwhile. */
  #async(work: () => Promise<PhoneEvent>): void {
    const gen = this.#gen;
    this.#inflight++;
    void work()
      .catch((e: unknown) => ({ type: 'sip.result', at: this.#now(), ok: false, reason: `internal error: ${(e as Error).message}` }) as PhoneEvent)
      .then((ev) => {
        this.#inflight--;
        if (gen === this.#gen) this.#dispatch({ ...ev, at: this.#now() } as PhoneEvent);
        else this.#checkIdle();
      });
  }

  #emit(effect: PhoneEffect, detail: string): void {
    if (this.events.wants('phone.effect')) this.events.emit({ type: 'phone.effect', device: this.device, at: this.#now(), effect: effect.type, detail });
  }

  #run(e: PhoneEffect): void {
    const env = this.#env;
    const local = env.localAddress ? { localAddress: env.localAddress } : {};
    switch (e.type) {
      case 'fetch':
        this.#emit(e, `${e.server} ${e.name}`);
        return this.#async(async () => {
          const r = await fetchFile({ server: e.server, name: e.name, http: this.model.http6970, tftpPort: env.tftpPort, httpPort: env.httpPort, clock: env.netClock, timeoutMs: env.timeoutMs, ...local });
          return 'bytes' in r ? { type: 'file.result', at: 0, name: e.name, bytes: r.bytes } : { type: 'file.result', at: 0, name: e.name, error: r.error, detail: r.detail };
        });
      case 'tvs.verify':
      case 'tvs.query':
        this.#emit(e, e.type === 'tvs.verify' ? 'certificate' : `subject ${e.subject}`);
        return this.#async(async () => {
          const o = await tvsVerify({
            members: e.members,
            trustedTvs: e.trustedTvs,
            ...(e.type === 'tvs.verify' ? { certificate: e.certificate } : { subject: e.subject }),
            deviceName: tvsDeviceName(this.model.id.padStart(4, '0'), this.record.mac),
            timeoutMs: env.timeoutMs,
            clock: env.netClock,
            minVersion: this.model.tlsVersions[0]!,
            maxVersion: this.model.tlsVersions[this.model.tlsVersions.length - 1]!,
            ...local,
          });
          const detail = o.kind === 'not-attempted' ? o.reason : 'attempts' in o ? o.attempts.map((a) => `${a.member.host}:${a.kind}`).join(', ') : undefined;
          return {
            type: 'tvs.result', at: 0, outcome: o.kind,
            ...(o.kind === 'vouched' ? { roles: o.roles, ttlSeconds: o.ttlSeconds, certificates: o.certificates } : {}),
            ...(detail ? { detail } : {}),
          };
        });
      case 'capf.enroll':
        this.#emit(e, `${e.server.host}:${e.server.port} mode ${e.authMode}`);
        return this.#async(async () => {
          const auth: CapfClientAuth = e.authMode === 1 ? { mode: 'auth-string', authString: e.authString ?? '' } : e.authMode === 2 ? { mode: 'null-string' } : e.authMode === 3 ? { mode: 'existing-lsc' } : { mode: 'existing-mic' };
          const lsc = this.#state.flash.lsc;
          const o = await runCapfClient({
            host: e.server.host, port: e.server.port, deviceName: this.device, capfRecords: e.trustedCapf, auth,
            mic: { certificate: this.#mic.certificate, privateKey: this.#mic.privateKey },
            ...(lsc ? { lsc: { certificate: pemCertificates(lsc.certPem)[0]!, privateKey: createPrivateKey(lsc.keyPem) } } : {}),
            ...(env.keySource ? { keySource: env.keySource } : {}),
            timeoutMs: env.timeoutMs, clock: env.netClock,
          });
          if (o.status === 'installed') {
            return { type: 'capf.result', at: 0, ok: true, lsc: { certPem: new X509Certificate(o.lsc).toString(), keyPem: o.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string } };
          }
          if (o.status === 'deleted') return { type: 'capf.result', at: 0, ok: true, deleted: true };
          if (o.status === 'no-action' || o.status === 'fetched') return { type: 'capf.result', at: 0, ok: true };
          return { type: 'capf.result', at: 0, ok: false, reason: `${o.status}${'reason' in o ? ` (${o.reason})` : 'detail' in o ? ` (${o.detail})` : 'message' in o ? ` (${o.message})` : ''}` };
        });
      case 'sip.register':
        this.#emit(e, `${e.transport} ${e.server.host}:${e.server.port} ${e.credential}`);
        return this.#async(async () => {
          const lsc = this.#state.flash.lsc;
          const credential = e.transport === 'tls' ? (e.credential === 'lsc' && lsc ? { certPem: lsc.certPem, keyPem: lsc.keyPem } : { certPem: this.#mic.pem, keyPem: this.#mic.keyPem, chainPem: this.#mic.chainPem }) : undefined;
          const ctxOptions = { ...(credential ? { credential } : {}), tlsVersions: this.model.tlsVersions, ec: this.model.ec, mode: e.mode };
          const r = await sipRegister({
            host: e.server.host, port: e.server.port, transport: e.transport, mode: e.mode, deviceName: this.device, productName: this.model.productName,
            ...(credential ? { credential } : {}), trustedServers: e.trustedServers, tlsVersions: this.model.tlsVersions, ec: this.model.ec,
            ...(e.transport === 'tls' ? { secureContext: this.#tlsContext(`${e.credential}:${e.mode}`, credential?.certPem, () => sipClientContext(ctxOptions)) } : {}),
            maxRsaBits: this.model.maxCallManagerRsaBits, timeoutMs: env.timeoutMs, clock: env.netClock, ...local,
          });
          return r.ok ? { type: 'sip.result', at: 0, ok: true, expiresSeconds: r.expiresSeconds } : { type: 'sip.result', at: 0, ok: false, reason: r.reason, ...(r.alert ? { alert: r.alert } : {}) };
        });
      case 'service.connect':
      case 'service.fetch': {
        this.#emit(e, e.url);
        const target = {
          url: e.url, clock: env.netClock, timeoutMs: env.timeoutMs, ...local,
          minVersion: this.model.tlsVersions[0]!, maxVersion: this.model.tlsVersions[this.model.tlsVersions.length - 1]!,
        };
        if (e.type === 'service.connect') {
          return this.#async(async () => {
            const r = await probeServer(target);
            return r.ok ? { type: 'service.certificate', at: 0, url: e.url, certificate: r.certificate } : { type: 'service.certificate', at: 0, url: e.url, error: r.error };
          });
        }
        return this.#async(async () => {
          const r = await fetchPage({ ...target, pinned: e.certificate });
          return r.ok ? { type: 'service.page', at: 0, url: e.url, ok: true, ...(r.title ? { title: r.title } : {}) } : { type: 'service.page', at: 0, url: e.url, ok: false, error: r.error };
        });
      }
      case 'timer.start': {
        this.#env.clock.clearTimeout(this.#timers.get(e.id));
        const gen = this.#gen;
        this.#timers.set(e.id, this.#env.clock.setTimeout(() => {
          this.#timers.delete(e.id);
          if (gen === this.#gen) this.#dispatch({ type: 'timer', at: this.#now(), id: e.id });
        }, e.ms));
        return;
      }
      case 'timer.cancel-all':
        for (const h of this.#timers.values()) this.#env.clock.clearTimeout(h);
        this.#timers.clear();
        return;
      case 'flash.save': {
        const store = env.store;
        if (!store) return;
        const flash = this.#state.flash;
        this.#saving = this.#saving.then(() => store.saveFlash(this.record.mac, flash)).catch(() => undefined);
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
}
