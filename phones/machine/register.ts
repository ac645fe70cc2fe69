import { capfPending, secureProfile, startCapf } from './capf.js';
import * as M from './messages.js';
import type { Step } from './step.js';
import { subMachine, type EventOf } from './table.js';
import { CAPF_STARTS } from './targets.js';
import { callManagerAnchors } from './trust.js';

/**
 * Registration (phone-behaviour.md BOOT-1 step 7, BOOT-3, TLS-1..TLS-4): REGISTER with the first
 * CallManager of the group that answers, over TCP or TLS as the device security mode says,
 * presenting the LSC if there is one, else the MIC, and trusting only the CTL/ITL's CallManager
 * records. A registered phone refreshes before the registration expires; a phone nobody accepted
 * tries the group again every minute.
 */
export const REGISTER_RETRY_MS = 60_000;
/** Re-REGISTER at 85 % of the granted expiry. */
const REFRESH_AT = 0.85;

export function startRegister(st: Step, server = 0): void {
  const cms = st.s.config?.callManagers ?? [];
  const cm = cms[server];
  if (!cm) {
    st.s = { ...st.s, phase: 'failed' };
    const reason = cms.length ? `registration failed: ${st.s.register.lastError ?? 'no CallManager answered'}` : 'no CallManager in the configuration';
    settleFailure(st, reason);
    if (cms.length) st.timer('phone', 'register-retry', REGISTER_RETRY_MS);
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
  const mode = st.s.config!.deviceSecurityMode;
  st.start('phone', {
    type: 'sip.register',
    server: { host: cm.address, port: secure ? cm.securedSipPort : cm.sipPort },
    transport: secure ? 'tls' : 'tcp',
    mode: mode === 3 ? 'encrypted' : mode === 2 ? 'authenticated' : 'non-secure',
    credential: st.s.flash.lsc ? 'lsc' : 'mic',
    trustedServers: callManagerAnchors(st.s.flash),
  });
}

function settleFailure(st: Step, reason: string): void {
  const trustFailed = st.s.boot.ctl === 'rejected' || st.s.boot.itl === 'rejected';
  st.settle(trustFailed ? 'trust-update-failed' : 'unregistered', trustFailed ? `${st.s.boot.rejection}; ${reason}` : reason);
}

function onSip(st: Step, e: EventOf<'sip.result'>): void {
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
  st.timer('phone', 'reregister', Math.floor(expires * 1000 * REFRESH_AT));
  // CAPF-3: a non-secure phone registers first, then starts CAPF by itself.
  if (capfPending(st) && !secureProfile(st) && st.s.capf.stage === 'idle') startCapf(st);
}

export const registerMachine = subMachine('phone', {
  name: 'register',
  title: 'Registration',
  source: 'BOOT-1, BOOT-3, TLS-1..TLS-4, CAPF-3',
  owns: ['enrol', 'register', 'registered', 'failed'],
}, (edge) => [
  edge({ from: ['register'], on: 'sip.result', to: ['registered', 'register', 'failed'], also: { capf: CAPF_STARTS }, doc: 'accepted: registered (a non-secure phone then starts CAPF); refused: the next CallManager', run: onSip }),
  edge({
    from: ['registered'], on: 'timer', when: { label: 'reregister', test: (_s, e) => e.name === 'reregister' }, to: ['register', 'failed'],
    doc: 'refresh the registration', run: (st) => startRegister(st, st.s.register.server),
  }),
  edge({
    from: ['failed'], on: 'timer', when: { label: 'register-retry', test: (_s, e) => e.name === 'register-retry' }, to: ['register', 'failed'],
    doc: 'try the CallManager group again', run: (st) => startRegister(st, 0),
  }),
]);
