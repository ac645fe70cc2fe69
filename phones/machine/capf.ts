import * as M from './messages.js';
import { startRegister } from './register.js';
import type { Step } from './step.js';
import { subMachine, type EventOf } from './table.js';
import { capfAnchors } from './trust.js';
import { REGISTERS } from './targets.js';
import type { CapfOutcome } from './types.js';

/**
 * CAPF enrolment, a region of its own (phone-behaviour.md CAPF-2, CAPF-3; Security Guide
 * "CAPF System Interactions" [S13]): a secure-profile phone enrols before it registers (the boot
 * waits in `enrol`), a non-secure one after, while it stays registered.
 *
 * - "By Authentication String" waits for the string to be typed (`waiting`).
 * - A communication failure (no connection, the server certificate not in the CAPF record, a
 *   session that breaks or times out) is retried 3 times, 30 s apart (CAPF-3: "retries 3 times,
 *   30 s apart"; [S13] 12.5(1)SU2: "three more times in 30-second intervals"), on the phone's
 *   clock: the phone waits in `retry` with a timer pending.
 * - A refusal by CAPF (Invalid LSC, Invalid Authentication String, Invalid MIC, Invalid
 *   Credentials: CUCM shows "Upgrade Failed: …", CAPF-7) is not retried: the sources name only
 *   administrator actions as the fix (Troubleshooting Guide, CAPF error codes 3–6; TAC 200860).
 * - Either way the LSC in flash is unchanged: the phone writes one only on STORE_CERT (capfc).
 *   The phone's LSC field then reads "Not Installed" when it has none (8800 admin guide), and a
 *   secure phone registers with what it has — its old LSC, or its MIC (TLS-4).
 */
export const CAPF_RETRIES = 3;
export const CAPF_RETRY_MS = 30_000;


export function capfPending(st: Step): boolean {
  return Boolean(st.s.config && st.s.config.capfAuthMode !== 0 && !st.s.capf.done);
}

export function secureProfile(st: Step): boolean {
  return (st.s.config?.deviceSecurityMode ?? 1) > 1;
}

/** Starts (or retries) the session, or waits for the string; ends at once when the config names no CAPF server. */
export function startCapf(st: Step): void {
  const cfg = st.s.config!;
  const mode = cfg.capfAuthMode as 1 | 2 | 3 | 4;
  if (mode === 1 && !st.s.flash.capfAuthString) {
    st.s = { ...st.s, capf: { ...st.s.capf, stage: 'waiting' } };
    st.log('CAPF: waiting for the authentication string to be entered (CAPF-2)');
    if (secureProfile(st)) st.settle('enrolling', 'CAPF by authentication string: waiting for the string to be entered on the phone');
    return;
  }
  const server = cfg.capf[0];
  if (!server) return endCapf(st, { outcome: 'failed', reason: 'CAPF operation pending but no CAPF server in the configuration' });
  const attempts = st.s.capf.attempts + 1;
  st.s = { ...st.s, capf: { stage: 'session', attempts, done: false } };
  if (st.s.phase === 'enrol') st.settle('enrolling', attempts === 1 ? 'CAPF enrolment in progress' : `CAPF enrolment: attempt ${attempts} of ${CAPF_RETRIES + 1}`);
  st.start('capf', { type: 'capf.enroll', server: { host: server.address, port: server.port }, authMode: mode, ...(mode === 1 ? { authString: st.s.flash.capfAuthString! } : {}), trustedCapf: capfAnchors(st.s.flash) });
}

/** The operation is over for this boot: record it, and let a secure phone that waited register. */
function endCapf(st: Step, o: Omit<CapfOutcome, 'at' | 'attempts'>): void {
  st.s = { ...st.s, capf: { stage: 'idle', attempts: st.s.capf.attempts, done: true }, lastCapf: { ...o, at: st.at, attempts: st.s.capf.attempts } };
  if (o.outcome === 'failed') {
    st.log(`CAPF operation failed: ${o.reason}${st.s.flash.lsc ? '; the LSC already installed is kept' : ''}`);
    st.status(st.s.flash.lsc ? M.lscKept : M.lscNotInstalled);
    if (secureProfile(st) && !st.s.flash.lsc) st.log(M.noLscWillTryMic(st.s.config?.deviceProtocol ?? 'SIP'));
  }
  if (st.s.phase === 'enrol') startRegister(st);
}

function onResult(st: Step, e: EventOf<'capf.result'>): void {
  if (e.ok) {
    if (e.lsc) {
      st.flash({ lsc: e.lsc });
      st.log('LSC installed by CAPF');
      st.status(M.lscInstalled);
    } else if (e.deleted) {
      st.erase('lsc');
      st.log('LSC deleted by CAPF');
      st.status(M.lscNotInstalled);
    }
    return endCapf(st, { outcome: e.lsc ? 'installed' : e.deleted ? 'deleted' : 'no-action', reason: e.lsc ? 'LSC installed' : e.deleted ? 'LSC deleted' : 'no operation for this phone' });
  }
  const reason = e.reason ?? 'unknown';
  st.log(`CAPF failed: ${reason}`);
  const retryable = e.failure === 'communication' || e.failure === 'timeout';
  if (retryable && st.s.capf.attempts <= CAPF_RETRIES) {
    st.s = { ...st.s, capf: { ...st.s.capf, stage: 'retry' } };
    st.log(`CAPF: retrying in ${CAPF_RETRY_MS / 1000} s (attempt ${st.s.capf.attempts + 1} of ${CAPF_RETRIES + 1})`);
    if (st.s.phase === 'enrol') st.settle('enrolling', `CAPF failed (${reason}); retry ${st.s.capf.attempts} of ${CAPF_RETRIES} in ${CAPF_RETRY_MS / 1000} s`);
    st.timer('capf', 'capf-retry', CAPF_RETRY_MS);
    return;
  }
  endCapf(st, { outcome: 'failed', reason: retryable ? `${reason} (after ${st.s.capf.attempts} attempts)` : reason });
}

export const capfMachine = subMachine('capf', {
  name: 'capf',
  title: 'CAPF enrolment',
  source: 'CAPF-2, CAPF-3, CAPF-7, TLS-4',
  owns: ['idle', 'session', 'retry', 'waiting'],
}, (edge) => [
  edge({ from: ['session'], on: 'capf.result', to: ['idle', 'retry'], also: { phone: REGISTERS }, doc: 'installed, deleted or refused: done; a communication failure: retry in 30 s', run: onResult }),
  edge({
    from: ['retry'], on: 'timer', when: { label: 'capf-retry', test: (_s, e) => e.name === 'capf-retry' }, to: ['session', 'waiting', 'idle'], also: { phone: REGISTERS },
    doc: 'try the session again', run: (st) => startCapf(st),
  }),
  edge({
    from: ['waiting'], on: 'action.auth-string', to: ['session', 'idle'], also: { phone: REGISTERS }, doc: 'the string is typed: enrol with it',
    run: (st, e) => {
      st.flash({ capfAuthString: e.value });
      startCapf(st);
    },
  }),
  edge({
    from: ['idle', 'session', 'retry'], on: 'action.auth-string', to: ['stay'], doc: 'the string is kept in flash for the next operation',
    run: (st, e) => st.flash({ capfAuthString: e.value }),
  }),
]);
