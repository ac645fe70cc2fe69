import { InvalidTransitionError } from '../../src/shared/errors.js';
import type { PhoneModel } from '../models.js';
import { bootMachine } from './boot.js';
import { capfMachine } from './capf.js';
import { configMachine, parsedConfig } from './config.js';
import { RESULT_OF } from './effects.js';
import { registerMachine } from './register.js';
import { serviceMachine } from './service.js';
import { Step } from './step.js';
import { indexEdges, REGIONS, stageOf, stalledRegions, type AnyEdge, type SubMachine } from './table.js';
import { PRODUCTION_DECISIONS, type TrustDecisions } from './trust.js';
import { tvsMachine } from './tvs.js';
import type { ActionEvent, Flash, PhoneEvent, PhoneQuirks, PhoneState, Region, Transition } from './types.js';

/**
 * The phone's trust state machine: a pure reducer `(state, event) → { state, effects }`
 * (conventions.md §9) over the declared tables of its sub-machines. The event goes to a region:
 * a result to the region of the effect it answers (which must be pending, and of the kind that
 * event answers), an action to the region it concerns. The edge for (region, stage, event) runs;
 * with no edge, or when an edge ends in a stage it did not declare, the transition carries an
 * {@link InvalidTransitionError} finding. A phone is never left waiting for nothing: if a
 * transition would leave a region waiting with nothing pending, the phone is stopped in
 * `failed` with the finding as its reason.
 */
export const SUB_MACHINES: readonly SubMachine[] = [bootMachine, configMachine, tvsMachine, capfMachine, registerMachine, serviceMachine];

const EDGES = indexEdges(SUB_MACHINES);

/** The region each action concerns (results go to the region of their effect). */
export const ACTION_REGION: Record<ActionEvent['type'], Region> = {
  'power.on': 'phone',
  'power.off': 'phone',
  'action.reset': 'phone',
  'action.security-reset': 'phone',
  'action.factory-reset': 'phone',
  'action.delete-itl': 'phone',
  'action.set-tftp': 'phone',
  'action.auth-string': 'capf',
  'action.open-service': 'service',
  'action.restore-lsc': 'phone',
};

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
    tvsAsk: null,
    boot: {},
    config: parsedConfig(flash.config),
    capf: { stage: 'idle', attempts: 0, done: false },
    register: { server: 0 },
    settled: { state: 'off', reason: 'powered off' },
    service: null,
    effects: [],
    nextEffect: 1,
    quirks: { tvsForCallManager: false, ...o.quirks },
  };
}

function finding(state: PhoneState, region: Region, event: PhoneEvent, detail: string): InvalidTransitionError {
  return new InvalidTransitionError(state.device, region, stageOf[region](state), event.type, detail);
}

/** The edge for the event in the region's current stage (the first whose guard passes). */
function edgeFor(state: PhoneState, region: Region, event: PhoneEvent): AnyEdge | undefined {
  return EDGES.get(`${region}|${stageOf[region](state)}|${event.type}`)?.find((e) => !e.when || e.when.test(state, event));
}

/** The stages of every region an edge moved that its table does not allow. */
function undeclaredMoves(before: PhoneState, after: PhoneState, edge: AnyEdge): string[] {
  const out: string[] = [];
  for (const r of REGIONS) {
    const from = stageOf[r](before);
    const to = stageOf[r](after);
    if (from === to) continue;
    const allowed = r === edge.region ? edge.to.filter((t) => t !== 'stay') : (edge.also?.[r] ?? []);
    if (!allowed.includes(to)) out.push(`${r} ${from} → ${to}`);
  }
  return out;
}

/**
 * The safety net: a phone whose transition left a region waiting for nothing is stopped in
 * `failed` (everything pending cancelled), so that a bug in a table shows as a named failure
 * rather than a phone that never settles.
 */
function stop(st: Step, why: InvalidTransitionError): void {
  st.cancel(() => true);
  st.s = { ...st.s, phase: 'failed', fetch: null, tvsAsk: null, service: null, capf: { ...st.s.capf, stage: 'idle' } };
  st.log(`internal: ${why.message}`);
  st.settle('unregistered', `INVALID_TRANSITION: ${why.message}`);
}

export function reduce(state: PhoneState, event: PhoneEvent, model: PhoneModel, decisions: TrustDecisions = PRODUCTION_DECISIONS): Transition {
  const st = new Step(state, model, event.at, decisions);
  let region: Region;
  if ('effect' in event) {
    const pending = state.effects.find((p) => p.id === event.effect);
    if (!pending) return { state, effects: [], invalid: finding(state, 'phone', event, `effect ${event.effect} is not pending (answered or cancelled already)`) };
    if (RESULT_OF[pending.type] !== event.type) return { state, effects: [], invalid: finding(state, pending.region, event, `effect ${event.effect} is a ${pending.type}, which ${event.type} does not answer`) };
    region = pending.region;
    st.answered(pending.id);
  } else {
    region = ACTION_REGION[event.type];
  }
  const edge = edgeFor(state, region, event);
  let invalid: InvalidTransitionError | undefined;
  if (!edge) {
    invalid = finding(state, region, event, 'no edge for this event in this stage');
  } else {
    edge.run(st, event);
    const moves = undeclaredMoves(state, st.s, edge);
    if (moves.length) invalid = finding(state, region, event, `the edge "${edge.doc}" moved ${moves.join(', ')}, which its table does not declare`);
  }
  const stalled = stalledRegions(st.s);
  if (stalled.length) {
    invalid ??= finding(state, region, event, stalled.join('; '));
    stop(st, invalid);
  }
  const t = st.done();
  return invalid ? { ...t, invalid } : t;
}

/** The MIC or LSC the phone presents (TLS-4: the LSC if it has one). */
export function presentedCredential(flash: Flash): 'lsc' | 'mic' {
  return flash.lsc ? 'lsc' : 'mic';
}
