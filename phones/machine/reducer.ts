import { Role } from '../../src/trustlist/index.js';
import { decodeDeviceConfig } from '../../src/config/index.js';
import type { PhoneModel } from '../models.js';
import * as M from './messages.js';
import {
  callManagerAnchors, capfAnchors, decideConfig, decideServerCertificate, decideTrustList, installedItl, internFile, internText, sha256, trustsOnFirstUse, tvsAnchors, CONFIG_SIGNER_ROLES,
} from './trust.js';
import type { Flash, PhoneEffect, PhoneEvent, PhoneQuirks, PhoneState, ServiceOutcome, ServiceVisit, SettledState, TrustListKind } from './types.js';

/**
 * The phone's trust state machine: a pure reducer `(state, event) → { state, effects }`
 * (conventions.md §9). It follows phone-behaviour.md: the boot order of BOOT-1 (CTL, ITL, then
 * the config, CAPF, registration), the acceptance rules of §4–§5 (decisions in `trust.ts`), CAPF
 * enrolment (CAPF-2, CAPF-3), TLS registration (TLS-1..TLS-4) and the recovery actions of REC-4.
 * States are drawn on {@link import('./types.js').Phase}.
 */
export interface Transition {
  state: PhoneState;
  effects: PhoneEffect[];
}

const LOG_LIMIT = 200;
const REGISTER_RETRY_MS = 60_000;
const CAPF_RETRY_MS = 30_000;
const CAPF_ATTEMPTS = 3;

export function initialPhone(o: { mac: string; model: PhoneModel; tftpServers: string[]; flash?: Flash; quirks?: Partial<PhoneQuirks> }): PhoneState {
  const mac = o.mac.toUpperCase();
  const flash = o.flash ?? { tvsCache: [], log: [] };
  return {
    mac,
    device: `SEP${mac}`,
    model: o.model.id,
    phase: 'off',
    flash,
    tftpServers: [...o.tftpServers],
    fetch: null,
    pending: null,
    boot: {},
    config: flash.config ? safeConfig(flash.config) : null,
    capf: { attempts: 0, done: false },
    register: { server: 0 },
    settled: { state: 'off', reason: 'powered off' },
    service: null,
    quirks: { tvsForCallManager: false, ...o.quirks },
  };
}

function safeConfig(xml: string): PhoneState['config'] {
  try {
    return decodeDeviceConfig(xml);
  } catch {
    return null;
  }
}

/** Working copy helper: every transition builds new state and collects effects. */
class Step {
  readonly effects: PhoneEffect[] = [];
  constructor(public s: PhoneState, readonly model: PhoneModel, readonly at: number) {}

  log(message: string): void {
    const log = [...this.s.flash.log, { at: this.at, message }];
    this.s = { ...this.s, flash: { ...this.s.flash, log: log.length > LOG_LIMIT ? log.slice(-LOG_LIMIT) : log } };
  }

  status(message: string): void {
    this.log(message);
    this.effects.push({ type: 'status', message });
  }

  flash(patch: Partial<Flash>): void {
    this.s = { ...this.s, flash: { ...this.s.flash, ...patch } };
    this.effects.push({ type: 'flash.save' });
  }

  /** Removes entries from flash (erasing files, REC-4). */
  erase(...keys: Array<'ctl' | 'itl' | 'config' | 'lsc' | 'capfAuthString'>): void {
    const next = { ...this.s.flash };
    for (const k of keys) delete next[k];
    this.s = { ...this.s, flash: next };
    this.effects.push({ type: 'flash.save' });
  }

  settle(state: SettledState, reason: string): void {
    if (this.s.settled.state === state && this.s.settled.reason === reason) return;
    this.s = { ...this.s, settled: { state, reason } };
    this.effects.push({ type: 'settled', state, reason });
  }

  done(): Transition {
    return { state: this.s, effects: this.effects };
  }
}

export function reduce(state: PhoneState, event: PhoneEvent, model: PhoneModel): Transition {
  const st = new Step(state, model, event.at);
  switch (event.type) {
    case 'power.on':
      if (state.phase !== 'off') return st.done();
      startBoot(st);
      break;
    case 'power.off':
      powerOff(st, 'powered off');
      break;
    case 'action.reset':
      powerOff(st, 'resetting');
      startBoot(st);
      break;
    case 'action.security-reset':
      powerOff(st, 'resetting security settings');
      st.status(M.STATUS.erasing);
      eraseTrust(st);
      startBoot(st);
      break;
    case 'action.factory-reset':
      powerOff(st, 'factory reset');
      st.status(M.STATUS.erasing);
      st.s = { ...st.s, config: null };
      st.erase('ctl', 'itl', 'config', 'lsc', 'capfAuthString');
      st.flash({ tvsCache: [] });
      startBoot(st);
      break;
    case 'action.delete-itl':
      st.log('ITL deleted from the phone menu');
      st.erase('itl');
      break;
    case 'action.set-tftp':
      st.s = { ...st.s, tftpServers: [...event.servers] };
      st.log(`TFTP server set to ${event.servers.join(', ')} (DHCP option 150)`);
      if (state.phase !== 'off') {
        powerOff(st, 'restarting for the new TFTP server');
        startBoot(st);
      }
      break;
    case 'action.auth-string':
      st.flash({ capfAuthString: event.value });
      if (state.phase === 'waiting') startCapf(st);
      break;
    case 'file.result':
      onFile(st, event);
      break;
    case 'action.open-service':
      openService(st, event.service);
      break;
    case 'service.certificate':
      onServiceCertificate(st, event);
      break;
    case 'service.page':
      onServicePage(st, event);
      break;
    case 'tvs.result':
      if (st.s.service?.stage === 'tvs') onServiceTvs(st, event);
      else onTvs(st, event);
      break;
    case 'capf.result':
      onCapf(st, event);
      break;
    case 'sip.result':
      onSip(st, event);
      break;
    case 'timer':
      onTimer(st, event.id);
      break;
  }
  return st.done();
}

function powerOff(st: Step, reason: string): void {
  st.effects.push({ type: 'timer.cancel-all' });
  st.s = { ...st.s, phase: 'off', fetch: null, pending: null, register: { server: 0 }, service: null };
  st.settle('off', reason);
}

function eraseTrust(st: Step): void {
  st.erase('ctl', 'itl');
  st.flash({ tvsCache: [] });
}

function startBoot(st: Step): void {
  st.s = { ...st.s, boot: {}, pending: null, capf: { attempts: 0, done: false }, register: { server: 0 }, config: st.s.flash.config ? safeConfig(st.s.flash.config) : null };
  st.settle('booting', 'downloading trust lists and configuration');
  fetchPhase(st, 'ctl', [`CTLSEP${st.s.mac}.tlv`, 'CTLFile.tlv']);
}

function fetchPhase(st: Step, phase: 'ctl' | 'itl' | 'config', names: string[]): void {
  if (st.s.tftpServers.length === 0) {
    st.s = { ...st.s, phase, fetch: null };
    afterFiles(st, 'no TFTP server configured (DHCP option 150)');
    return;
  }
  st.s = { ...st.s, phase, fetch: { names, server: 0 } };
  st.effects.push({ type: 'fetch', server: st.s.tftpServers[0]!, name: names[0]! });
}

function onFile(st: Step, e: Extract<PhoneEvent, { type: 'file.result' }>): void {
  const f = st.s.fetch;
  if (!f || f.names[0] !== e.name || !(st.s.phase === 'ctl' || st.s.phase === 'itl' || st.s.phase === 'config')) return;
  if (e.error === 'unreachable' || e.error === 'error') {
    const next = f.server + 1;
    if (next < st.s.tftpServers.length) {
      st.s = { ...st.s, fetch: { ...f, server: next } };
      st.effects.push({ type: 'fetch', server: st.s.tftpServers[next]!, name: e.name });
      return;
    }
    st.log(`TFTP ${e.name}: no server answered (${e.detail ?? e.error})`);
    afterFiles(st, `TFTP server${st.s.tftpServers.length > 1 ? 's' : ''} ${st.s.tftpServers.join(', ')} did not answer`);
    return;
  }
  if (e.error === 'not-found' || !e.bytes) {
    const rest = f.names.slice(1);
    if (rest.length) {
      st.s = { ...st.s, fetch: { names: rest, server: f.server } };
      st.effects.push({ type: 'fetch', server: st.s.tftpServers[f.server]!, name: rest[0]! });
      return;
    }
    st.log(M.fileNotFound(e.name));
    if (st.s.phase === 'ctl') {
      st.s = { ...st.s, boot: { ...st.s.boot, ctl: 'absent' } };
      return toItl(st);
    }
    if (st.s.phase === 'itl') {
      st.s = { ...st.s, boot: { ...st.s.boot, itl: 'absent' } };
      if (!st.s.flash.ctl && !st.s.flash.itl) st.status(M.STATUS.noTrustList);
      return toConfig(st);
    }
    st.s = { ...st.s, boot: { ...st.s.boot, config: 'absent' } };
    return afterConfig(st);
  }
  if (st.s.phase === 'ctl' || st.s.phase === 'itl') return onTrustList(st, st.s.phase === 'ctl' ? 'CTL' : 'ITL', e.name, e.bytes);
  return onConfigFile(st, e.name, e.bytes);
}

function toItl(st: Step): void {
  if (!st.model.sbd) {
    st.s = { ...st.s, boot: { ...st.s.boot, itl: 'not-supported' } };
    return toConfig(st);
  }
  fetchPhase(st, 'itl', [`ITLSEP${st.s.mac}.tlv`, 'ITLFile.tlv']);
}

function toConfig(st: Step): void {
  const signed = Boolean(st.s.flash.ctl || st.s.flash.itl);
  const names = signed ? [`${st.s.device}.cnf.xml.sgn`] : [];
  if (!signed || trustsOnFirstUse(st.s.flash)) names.push(`${st.s.device}.cnf.xml`);
  fetchPhase(st, 'config', names);
}

function onTrustList(st: Step, kind: TrustListKind, name: string, bytes: Uint8Array): void {
  const d = decideTrustList(kind, bytes, st.s.flash, st.model.sbd, st.at);
  switch (d.kind) {
    case 'unchanged':
      st.s = { ...st.s, boot: { ...st.s.boot, [kind.toLowerCase()]: 'unchanged' } };
      return kind === 'CTL' ? toItl(st) : toConfig(st);
    case 'accept':
      if (d.how === 'tofu') st.log(M.leapOfFaith);
      return install(st, kind, bytes);
    case 'reject':
      return rejectList(st, kind, d.reason);
    case 'ask-tvs':
      return askTvs(st, { purpose: kind, file: internFile(bytes), fileName: name, certificate: Buffer.from(d.signer).toString('base64'), wantRoles: [Role.SAST] }, d.signer);
  }
}

function install(st: Step, kind: TrustListKind, bytes: Uint8Array): void {
  const had = kind === 'CTL' ? st.s.flash.ctl : st.s.flash.itl;
  const hadOther = kind === 'CTL' ? st.s.flash.itl : st.s.flash.ctl;
  const b = internFile(bytes);
  st.flash(kind === 'CTL' ? { ctl: b, tvsCache: [] } : { itl: b, tvsCache: [] });
  st.s = { ...st.s, boot: { ...st.s.boot, [kind.toLowerCase()]: had ? 'updated' : 'installed' } };
  if (kind === 'CTL') st.log(M.tlVerified);
  if (had || (kind === 'CTL' && hadOther)) {
    if (had) st.log(M.tlUpdated);
    st.status(M.STATUS.trustListUpdated);
  } else if (kind === 'ITL') {
    st.status(hadOther || st.s.boot.ctl === 'installed' ? M.STATUS.ctlAndItlInstalled : M.STATUS.itlInstalled);
  }
  if (kind === 'CTL') toItl(st);
  else toConfig(st);
}

function rejectList(st: Step, kind: TrustListKind, reason: string): void {
  st.log(`${kind} rejected: ${reason}`);
  st.status(kind === 'CTL' && st.s.flash.ctl ? M.STATUS.ctlUpdateFailed : M.STATUS.trustListUpdateFailed);
  st.s = { ...st.s, boot: { ...st.s.boot, [kind.toLowerCase()]: 'rejected', rejection: `${kind} rejected: ${reason}` } };
  if (kind === 'ITL' && /exceeds 64 KB/.test(reason)) {
    st.s = { ...st.s, phase: 'failed', fetch: null };
    st.settle(st.s.flash.itl ? 'trust-update-failed' : 'unregistered', `ITL too large to load; the phone cannot register (FMT-6)`);
    return;
  }
  if (kind === 'CTL') toItl(st);
  else toConfig(st);
}

function tvsMembers(st: Step): Array<{ host: string; port: number; priority: number }> {
  return (st.s.config?.tvs ?? []).map((t) => ({ host: t.address, port: t.port, priority: t.priority }));
}

function askTvs(st: Step, pending: NonNullable<PhoneState['pending']>, cert?: Uint8Array): void {
  const trustedTvs = tvsAnchors(st.s.flash);
  const members = tvsMembers(st);
  if (trustedTvs.length === 0 || members.length === 0) {
    st.log(trustedTvs.length === 0 ? M.tvsNotInTrustList : 'no TVS server in the configuration (TVS-2)');
    return tvsFailed(st, pending, trustedTvs.length === 0 ? 'no TVS record in the ITL' : 'no TVS server configured');
  }
  st.s = { ...st.s, phase: 'tvs', pending };
  if (cert) st.effects.push({ type: 'tvs.verify', members, trustedTvs, certificate: cert });
  else st.effects.push({ type: 'tvs.query', members, trustedTvs, subject: pending.subject! });
}

function onTvs(st: Step, e: Extract<PhoneEvent, { type: 'tvs.result' }>): void {
  const p = st.s.pending;
  if (st.s.phase !== 'tvs' || !p) return;
  st.s = { ...st.s, pending: null };
  if (e.outcome !== 'vouched' || !(e.roles ?? []).some((r) => p.wantRoles.includes(r))) {
    const why = e.outcome === 'vouched' ? `TVS vouched with roles {${(e.roles ?? []).join(',')}}, not {${p.wantRoles.join(',')}}` : `TVS ${e.outcome}${e.detail ? ` (${e.detail})` : ''}`;
    return tvsFailed(st, p, why);
  }
  const ttl = (e.ttlSeconds ?? 86400) * 1000;
  const certs = p.certificate ? [new Uint8Array(Buffer.from(p.certificate, 'base64'))] : (e.certificates ?? []);
  const entries = certs.map((c) => ({ sha256: sha256(c), roles: e.roles ?? [], expiresAt: st.at + ttl }));
  const remember = (): void => {
    const cache = [...st.s.flash.tvsCache.filter((c) => c.expiresAt > st.at && !entries.some((n) => n.sha256 === c.sha256)), ...entries];
    st.flash({ tvsCache: cache.slice(-64) });
  };
  st.log(M.tvsCached);
  const bytes = new Uint8Array(Buffer.from(p.file, 'base64'));
  if (p.purpose === 'config') {
    remember();
    const d = decideConfig(bytes, true, st.s.flash, certs);
    if (d.kind === 'accept') return applyConfig(st, d.xml, d.config);
    return rejectConfig(st, d.kind === 'reject' ? d.reason : 'config signer unknown', true);
  }
  // Installing a trust list flushes the TVS cache (TVS-5); the answer just received survives it.
  install(st, p.purpose, bytes);
  remember();
}

function tvsFailed(st: Step, p: NonNullable<PhoneState['pending']>, why: string): void {
  if (p.purpose === 'config') return rejectConfig(st, `config signer ${p.subject ?? ''} is not trusted: ${why}`, true);
  return rejectList(st, p.purpose, `signer unknown and TVS did not vouch: ${why}`);
}

function onConfigFile(st: Step, name: string, bytes: Uint8Array): void {
  const signed = name.endsWith('.sgn');
  const d = decideConfig(bytes, signed, st.s.flash);
  if (d.kind === 'accept') return applyConfig(st, d.xml, d.config);
  if (d.kind === 'ask-tvs') {
    return askTvs(st, { purpose: 'config', file: internFile(bytes), fileName: name, subject: d.subject, wantRoles: CONFIG_SIGNER_ROLES });
  }
  rejectConfig(st, d.reason, d.signerUnknown);
}

function applyConfig(st: Step, xml: string, config: NonNullable<PhoneState['config']>): void {
  const same = st.s.flash.config === xml;
  if (!same) st.flash({ config: internText(xml) });
  st.s = { ...st.s, config, boot: { ...st.s.boot, config: same ? 'unchanged' : 'applied' } };
  afterConfig(st);
}

function rejectConfig(st: Step, reason: string, signerUnknown: boolean): void {
  st.log(signerUnknown ? M.sgnSignerNotInCtl(st.s.device) : M.sgnVerifyFailed);
  st.status(M.authenticatedFail(st.s.device));
  st.s = { ...st.s, boot: { ...st.s.boot, config: 'rejected', rejection: st.s.boot.rejection ?? `config rejected: ${reason}` } };
  afterConfig(st);
}

/** The TFTP servers could not be reached: carry on with the cached configuration (ITL-6). */
function afterFiles(st: Step, why: string): void {
  st.s = { ...st.s, fetch: null, boot: { ...st.s.boot, rejection: st.s.boot.rejection ?? why } };
  afterConfig(st);
}

function capfPending(st: Step): boolean {
  return Boolean(st.s.config && st.s.config.capfAuthMode !== 0 && !st.s.capf.done);
}

function secureProfile(st: Step): boolean {
  return (st.s.config?.deviceSecurityMode ?? 1) > 1;
}

function afterConfig(st: Step): void {
  st.s = { ...st.s, fetch: null };
  if (!st.s.config) {
    st.s = { ...st.s, phase: 'failed' };
    st.settle('unregistered', st.s.boot.rejection ?? 'no configuration file');
    return;
  }
  if (capfPending(st) && secureProfile(st)) return startCapf(st);
  startRegister(st);
}

function startCapf(st: Step): void {
  const cfg = st.s.config!;
  const mode = cfg.capfAuthMode as 1 | 2 | 3 | 4;
  if (mode === 1 && !st.s.flash.capfAuthString) {
    st.s = { ...st.s, phase: 'waiting' };
    st.log('CAPF: waiting for the authentication string to be entered (CAPF-2)');
    if (secureProfile(st)) st.settle('enrolling', 'CAPF by authentication string: waiting for the string to be entered on the phone');
    return;
  }
  const server = cfg.capf[0];
  if (!server) {
    st.log('CAPF operation pending but no CAPF server in the configuration');
    st.s = { ...st.s, capf: { attempts: st.s.capf.attempts, done: true } };
    return secureProfile(st) ? startRegister(st) : undefined;
  }
  st.s = { ...st.s, phase: 'capf', capf: { attempts: st.s.capf.attempts + 1, done: false } };
  st.settle(secureProfile(st) ? 'enrolling' : st.s.settled.state, secureProfile(st) ? 'CAPF enrolment in progress' : st.s.settled.reason);
  st.effects.push({ type: 'capf.enroll', server: { host: server.address, port: server.port }, authMode: mode, ...(mode === 1 ? { authString: st.s.flash.capfAuthString! } : {}), trustedCapf: capfAnchors(st.s.flash) });
}

function onCapf(st: Step, e: Extract<PhoneEvent, { type: 'capf.result' }>): void {
  if (st.s.phase !== 'capf') return;
  if (e.ok) {
    if (e.lsc) {
      st.flash({ lsc: e.lsc });
      st.log('LSC installed by CAPF');
    } else if (e.deleted) {
      st.erase('lsc');
      st.log('LSC deleted by CAPF');
    }
    st.s = { ...st.s, capf: { attempts: st.s.capf.attempts, done: true } };
    if (st.s.register.registeredAt !== undefined && !secureProfile(st)) {
      st.s = { ...st.s, phase: 'registered' };
      return;
    }
    return startRegister(st);
  }
  st.log(`CAPF failed: ${e.reason ?? 'unknown'}`);
  if (st.s.capf.attempts < CAPF_ATTEMPTS) {
    st.effects.push({ type: 'timer.start', id: 'capf-retry', ms: CAPF_RETRY_MS });
    return;
  }
  st.s = { ...st.s, capf: { attempts: st.s.capf.attempts, done: true } };
  if (secureProfile(st) && !st.s.flash.lsc) {
    // A secure profile does not need an LSC: the phone falls back to its MIC (TLS-4).
    st.log(M.noLscWillTryMic(st.s.config?.deviceProtocol ?? 'SIP'));
  }
  if (st.s.register.registeredAt !== undefined) {
    st.s = { ...st.s, phase: 'registered' };
    return;
  }
  startRegister(st);
}

function startRegister(st: Step, server = 0): void {
  const cms = st.s.config?.callManagers ?? [];
  const cm = cms[server];
  if (!cm) {
    st.s = { ...st.s, phase: 'failed' };
    const reason = cms.length ? `registration failed: ${st.s.register.lastError ?? 'no CallManager answered'}` : 'no CallManager in the configuration';
    settleFailure(st, reason);
    st.effects.push({ type: 'timer.start', id: 'register-retry', ms: REGISTER_RETRY_MS });
    return;
  }
  const secure = secureProfile(st);
  if (secure && !st.s.flash.ctl) {
    st.s = { ...st.s, phase: 'failed' };
    settleFailure(st, 'secure profile without a CTL: the phone keeps asking for a CTL and does not register securely (BOOT-3)');
    return;
  }
  st.s = { ...st.s, phase: 'register', register: { ...st.s.register, server } };
  st.log(M.STATUS.registering);
  st.effects.push({
    type: 'sip.register',
    server: { host: cm.address, port: secure ? cm.securedSipPort : cm.sipPort },
    transport: secure ? 'tls' : 'tcp',
    mode: st.s.config!.deviceSecurityMode === 3 ? 'encrypted' : st.s.config!.deviceSecurityMode === 2 ? 'authenticated' : 'non-secure',
    credential: st.s.flash.lsc ? 'lsc' : 'mic',
    trustedServers: callManagerAnchors(st.s.flash),
  });
}

function settleFailure(st: Step, reason: string): void {
  const trustFailed = st.s.boot.ctl === 'rejected' || st.s.boot.itl === 'rejected';
  st.settle(trustFailed ? 'trust-update-failed' : 'unregistered', trustFailed ? `${st.s.boot.rejection}; ${reason}` : reason);
}

function onSip(st: Step, e: Extract<PhoneEvent, { type: 'sip.result' }>): void {
  if (st.s.phase !== 'register' && st.s.phase !== 'registered') return;
  if (!e.ok) {
    if (e.alert) st.log(e.alert);
    st.log(`registration with ${st.s.config?.callManagers[st.s.register.server]?.address ?? '?'} failed: ${e.reason ?? 'unknown'}`);
    st.s = { ...st.s, register: { ...st.s.register, lastError: e.reason ?? 'unknown' } };
    return startRegister(st, st.s.register.server + 1);
  }
  const expires = Math.max(30, e.expiresSeconds ?? 3600);
  st.s = { ...st.s, phase: 'registered', register: { server: st.s.register.server, registeredAt: e.at, expiresAt: e.at + expires * 1000 } };
  const stale = st.s.boot.config === 'rejected' || st.s.boot.itl === 'rejected' || st.s.boot.ctl === 'rejected';
  st.settle(stale ? 'registered-stale-config' : 'registered', stale ? `registered on the cached configuration: ${st.s.boot.rejection}` : `registered to ${st.s.config?.callManagers[st.s.register.server]?.address} over ${secureProfile(st) ? 'TLS' : 'TCP'}`);
  st.effects.push({ type: 'timer.start', id: 'reregister', ms: Math.floor(expires * 1000 * 0.85) });
  if (capfPending(st) && !secureProfile(st)) startCapf(st);
}

function onTimer(st: Step, id: string): void {
  if (id === 'reregister' && st.s.phase === 'registered') return startRegister(st, st.s.register.server);
  if (id === 'register-retry' && st.s.phase === 'failed') return startRegister(st, 0);
  if (id === 'capf-retry' && st.s.phase === 'capf') return startCapf(st);
}

/** The MIC or LSC the phone presents (TLS-4: the LSC if it has one). */
export function presentedCredential(flash: Flash): 'lsc' | 'mic' {
  return flash.lsc ? 'lsc' : 'mic';
}

export { installedItl };

/**
 * Opening an HTTPS XML service (TVS-1, TVS-5, SC-23). The phone must be registered, so that a
 * boot's own TVS query is never in flight at the same time. The shell hands back the server's
 * certificate; the phone trusts it from its CTL/ITL, a cached TVS answer with the APP-SERVER role,
 * or a fresh TVS answer (cached for the TTL TVS returns), and only then fetches the page over a
 * connection pinned to that certificate.
 */
function openService(st: Step, service: 'directory'): void {
  if (st.s.service) return;
  const url = st.s.config?.secureDirectoryURL ?? '';
  if (st.s.phase !== 'registered') return failService(st, { service, url }, 'the phone is not registered');
  if (!url) return failService(st, { service, url }, 'no secure directory URL in the configuration');
  st.s = { ...st.s, service: { service, url, stage: 'connect' } };
  st.effects.push({ type: 'service.connect', url });
}

function onServiceCertificate(st: Step, e: Extract<PhoneEvent, { type: 'service.certificate' }>): void {
  const v = st.s.service;
  if (!v || v.stage !== 'connect' || v.url !== e.url) return;
  if (!e.certificate) return failService(st, v, e.error ?? 'no certificate');
  const d = decideServerCertificate(e.certificate, st.s.flash, st.model.sbd, st.at);
  if (d.kind === 'reject') return failService(st, v, d.reason);
  const certificate = Buffer.from(e.certificate).toString('base64');
  if (d.kind === 'trusted') {
    st.s = { ...st.s, service: { ...v, stage: 'fetch', certificate, trustedBy: d.by } };
    st.log(`${M.SERVICE_TITLE[v.service]}: server certificate trusted (${d.by === 'trust-list' ? 'in the trust list' : 'TVS cache'})`);
    st.effects.push({ type: 'service.fetch', url: v.url, certificate: e.certificate });
    return;
  }
  const trustedTvs = tvsAnchors(st.s.flash);
  const members = tvsMembers(st);
  if (trustedTvs.length === 0 || members.length === 0) {
    if (trustedTvs.length === 0) st.log(M.tvsNotInTrustList);
    return failService(st, v, `server certificate unknown and ${trustedTvs.length === 0 ? 'no TVS record in the ITL' : 'no TVS server configured'}`);
  }
  st.s = { ...st.s, service: { ...v, stage: 'tvs', certificate } };
  st.effects.push({ type: 'tvs.verify', members, trustedTvs, certificate: e.certificate });
}

function onServiceTvs(st: Step, e: Extract<PhoneEvent, { type: 'tvs.result' }>): void {
  const v = st.s.service!;
  const roles = e.roles ?? [];
  if (e.outcome !== 'vouched' || !roles.includes(Role.APP_SERVER)) {
    const why = e.outcome === 'vouched' ? `TVS vouched with roles {${roles.join(',')}}, not APP-SERVER` : `TVS ${e.outcome}${e.detail ? ` (${e.detail})` : ''}`;
    return failService(st, v, `server certificate not trusted: ${why}`);
  }
  const cert = new Uint8Array(Buffer.from(v.certificate!, 'base64'));
  const fp = sha256(cert);
  const entry = { sha256: fp, roles, expiresAt: st.at + (e.ttlSeconds ?? 86400) * 1000 };
  st.flash({ tvsCache: [...st.s.flash.tvsCache.filter((c) => c.expiresAt > st.at && c.sha256 !== fp), entry].slice(-64) });
  st.log(M.tvsCached);
  st.s = { ...st.s, service: { ...v, stage: 'fetch', trustedBy: 'tvs' } };
  st.effects.push({ type: 'service.fetch', url: v.url, certificate: cert });
}

function onServicePage(st: Step, e: Extract<PhoneEvent, { type: 'service.page' }>): void {
  const v = st.s.service;
  if (!v || v.stage !== 'fetch' || v.url !== e.url) return;
  if (!e.ok) return failService(st, v, e.error ?? 'no page');
  serviceEnd(st, v, 'loaded', e.title ? `"${e.title}"` : 'page loaded');
}

/** Ends a visit: the outcome is kept for expectations, the phone shows it (M.serviceLoaded/serviceFailed). */
function serviceEnd(st: Step, v: Pick<ServiceVisit, 'service' | 'url' | 'trustedBy'>, outcome: ServiceOutcome['outcome'], reason: string): void {
  const title = M.SERVICE_TITLE[v.service];
  st.s = { ...st.s, service: null, lastService: { service: v.service, url: v.url, at: st.at, outcome, reason, ...(v.trustedBy ? { trustedBy: v.trustedBy } : {}) } };
  st.status(outcome === 'loaded' ? M.serviceLoaded(title) : M.serviceFailed(title, reason));
}

function failService(st: Step, v: Pick<ServiceVisit, 'service' | 'url' | 'trustedBy'>, reason: string): void {
  serviceEnd(st, v, 'failed', reason);
}
