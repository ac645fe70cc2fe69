import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { certOf, identityOf, type Cluster } from '../../src/cluster/index.js';
import { Role } from '../../src/trustlist/index.js';
import { nodes, testLab } from '../../test/helpers/lab.js';
import { phoneModel } from '../models.js';
import { atRest, EFFECT_BOUND_FACTOR, failedResult, initialPhone, reduce, stalledRegions, type ActionEvent, type NetworkEffect, type PhoneEffect, type PhoneEvent, type PhoneState, type ResultEvent } from './index.js';

/**
 * Liveness (issue 13): for random fault plans, a phone always comes to rest within a bounded
 * simulated time, and no transition ever leaves it waiting for nothing or meets an event its
 * tables have no edge for.
 *
 * The phone runs against a simulated network on simulated time, answering each effect the way
 * the shell does: a plan makes any effect succeed, fail (its work rejects), time out (its client
 * gives up) or never answer (the shell's bound then answers it with a timeout), makes any server
 * go down or come back at any moment, and has a person press buttons at random moments. A
 * success is what the modelled cluster serves.
 */
const TIMEOUT_MS = 5000;
/** Simulated time a phone may take to come to rest after the last thing the plan does. */
const REST_BOUND_MS = 15 * 60_000;

type Server = 'tftp' | 'tvs' | 'capf' | 'sip' | 'https';
type Fate = 'ok' | 'fail' | 'timeout' | 'never';
type Action = ActionEvent['type'];

interface Plan {
  variant: number;
  fates: Fate[];
  latencies: number[];
  toggles: Array<{ at: number; server: Server; up: boolean }>;
  actions: Array<{ at: number; action: Action }>;
}

const ACTIONS: readonly Action[] = ['power.on', 'power.off', 'action.reset', 'action.security-reset', 'action.factory-reset', 'action.delete-itl', 'action.set-tftp', 'action.auth-string', 'action.open-service'];
const SERVERS: readonly Server[] = ['tftp', 'tvs', 'capf', 'sip', 'https'];

const plan: fc.Arbitrary<Plan> = fc.record({
  variant: fc.nat(),
  fates: fc.array(fc.oneof({ weight: 6, arbitrary: fc.constant<Fate>('ok') }, { weight: 1, arbitrary: fc.constantFrom<Fate>('fail', 'timeout', 'never') }), { maxLength: 60 }),
  latencies: fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 16 }),
  toggles: fc.array(fc.record({ at: fc.integer({ min: 0, max: 600_000 }), server: fc.constantFrom(...SERVERS), up: fc.boolean() }), { maxLength: 8 }),
  actions: fc.array(fc.record({ at: fc.integer({ min: 0, max: 600_000 }), action: fc.constantFrom(...ACTIONS) }), { maxLength: 6 }),
});

/** The devices the phones can be: a profile and CAPF settings each, so that every region is exercised. */
const VARIANTS = [
  { mac: '00AA00000001', profile: 'non-secure' as const, capf: { operation: 'none' as const } },
  { mac: '00AA00000002', profile: 'encrypted' as const, capf: { operation: 'install' as const, authMode: 'null-string' as const } },
  { mac: '00AA00000003', profile: 'authenticated' as const, capf: { operation: 'install' as const, authMode: 'auth-string' as const, authString: '1234' } },
  { mac: '00AA00000004', profile: 'non-secure' as const, capf: { operation: 'install' as const, authMode: 'existing-mic' as const } },
  { mac: '00AA00000005', profile: 'encrypted' as const, capf: { operation: 'install' as const, authMode: 'existing-lsc' as const } },
];

let cluster: Cluster;
let tomcat: Uint8Array;
let callManager: Uint8Array;
const model = phoneModel('8861');

beforeAll(async () => {
  const { lab } = await testLab({ seed: 'liveness' });
  cluster = await lab.createCluster({ name: 'L', release: '12.5', nodes: nodes('lpub', 'lsub') });
  await cluster.ctlSetCluster('mixed');
  await cluster.upsertDevices(VARIANTS.map((v) => ({ mac: v.mac, model: '8861', profile: v.profile, capf: v.capf })));
  tomcat = certOf(identityOf(cluster.state, 'tomcat', 'lpub')!.certPem).der;
  callManager = certOf(identityOf(cluster.state, 'CallManager', 'lpub')!.certPem).der;
}, 120_000);

type Answer = ResultEvent extends infer E ? (E extends ResultEvent ? Omit<E, 'effect' | 'at'> : never) : never;

/** What a working cluster answers (or a down server does). */
function answerOf(e: NetworkEffect, up: Record<Server, boolean>, device: string): Answer {
  switch (e.type) {
    case 'fetch': {
      if (!up.tftp || e.server !== cluster.node('lpub').ipv4) return { type: 'file.result', name: e.name, error: 'unreachable', detail: 'no answer' };
      const bytes = e.name === 'ITLFile.tlv' ? cluster.itl('lpub') : e.name === 'CTLFile.tlv' ? cluster.ctl() : e.name === `${device}.cnf.xml.sgn` ? cluster.config(device, { signed: true, node: 'lpub' }) : e.name === `${device}.cnf.xml` ? cluster.config(device, { signed: false, node: 'lpub' }) : undefined;
      return bytes ? { type: 'file.result', name: e.name, bytes } : { type: 'file.result', name: e.name, error: 'not-found' };
    }
    case 'tvs.verify':
    case 'tvs.query':
      return up.tvs ? { type: 'tvs.result', outcome: 'vouched', roles: [Role.SAST, Role.CCM_TFTP, Role.TFTP, Role.APP_SERVER], ttlSeconds: 86_400, certificates: [callManager] } : { type: 'tvs.result', outcome: 'connection-refused' };
    case 'capf.enroll':
      return up.capf ? { type: 'capf.result', ok: true, lsc: { certPem: 'LSC', keyPem: 'KEY' } } : { type: 'capf.result', ok: false, failure: 'communication', reason: 'connection refused' };
    case 'sip.register':
      return up.sip ? { type: 'sip.result', ok: true, expiresSeconds: 3600 } : { type: 'sip.result', ok: false, reason: 'connection refused' };
    case 'service.connect':
      return up.https ? { type: 'service.certificate', url: e.url, certificate: tomcat } : { type: 'service.certificate', url: e.url, error: 'connection refused' };
    case 'service.fetch':
      return up.https ? { type: 'service.page', url: e.url, ok: true, title: 'Directory' } : { type: 'service.page', url: e.url, ok: false, error: 'connection refused' };
  }
}

/** A client's own timeout, as each client reports it. */
function clientTimeout(e: NetworkEffect): Answer {
  switch (e.type) {
    case 'fetch': return { type: 'file.result', name: e.name, error: 'unreachable', detail: 'TFTP timeout' };
    case 'tvs.verify':
    case 'tvs.query': return { type: 'tvs.result', outcome: 'timeout' };
    case 'capf.enroll': return { type: 'capf.result', ok: false, failure: 'timeout', reason: 'no answer' };
    case 'sip.register': return { type: 'sip.result', ok: false, reason: 'timeout' };
    case 'service.connect': return { type: 'service.certificate', url: e.url, error: 'timeout' };
    case 'service.fetch': return { type: 'service.page', url: e.url, ok: false, error: 'timeout' };
  }
}

interface Queued {
  at: number;
  seq: number;
  event: PhoneEvent;
}

/** Runs one plan; returns the simulated time the phone came to rest, or throws with what went wrong. */
function simulate(p: Plan): { restedAt: number; transitions: number } {
  const variant = VARIANTS[p.variant % VARIANTS.length]!;
  let s: PhoneState = initialPhone({ mac: variant.mac, model, tftpServers: [cluster.node('lpub').ipv4] });
  const up: Record<Server, boolean> = { tftp: true, tvs: true, capf: true, sip: true, https: true };
  const queue: Queued[] = [];
  let seq = 0;
  let fate = 0;
  let now = 0;
  const push = (at: number, event: PhoneEvent): void => void queue.push({ at, seq: seq++, event });
  for (const a of p.actions) {
    const base = { at: a.at };
    const event: PhoneEvent = a.action === 'action.set-tftp' ? { ...base, type: a.action, servers: [a.at % 2 ? '10.255.0.1' : cluster.node('lpub').ipv4] }
      : a.action === 'action.auth-string' ? { ...base, type: a.action, value: '1234' }
      : a.action === 'action.open-service' ? { ...base, type: a.action, service: 'directory' }
      : { ...base, type: a.action } as PhoneEvent;
    push(a.at, event);
  }
  const last = Math.max(0, ...p.actions.map((a) => a.at), ...p.toggles.map((t) => t.at));
  const toggles = [...p.toggles].sort((a, b) => a.at - b.at);
  const start = (e: PhoneEffect): void => {
    if (e.type === 'timer.start') return push(now + e.ms, { type: 'timer', at: now + e.ms, effect: e.id, name: e.name });
    if (e.type === 'cancel') {
      for (let i = queue.length - 1; i >= 0; i--) if ('effect' in queue[i]!.event && e.ids.includes((queue[i]!.event as ResultEvent).effect)) queue.splice(i, 1);
      return;
    }
    if (e.type === 'flash.save' || e.type === 'status' || e.type === 'settled') return;
    const f = p.fates[fate] ?? 'ok';
    const latency = p.latencies[fate % p.latencies.length]!;
    fate++;
    const bound = TIMEOUT_MS * EFFECT_BOUND_FACTOR[e.type];
    const deliver = (after: number, a: Answer | ResultEvent): void => push(now + after, { ...a, at: now + after, effect: e.id } as PhoneEvent);
    if (f === 'never') return deliver(bound, failedResult(e, 'timeout', 'no answer', 0));
    if (f === 'timeout') return deliver(Math.min(bound, TIMEOUT_MS), clientTimeout(e));
    if (f === 'fail') return deliver(latency, failedResult(e, 'failure', 'internal error', 0));
    deliver(latency, answerOf(e, up, s.device));
  };
  const step = (event: PhoneEvent): void => {
    const t = reduce(s, { ...event, at: now }, model);
    if (t.invalid) throw new Error(`INVALID_TRANSITION at ${now} ms: ${t.invalid.message}`);
    s = t.state;
    const stalled = stalledRegions(s);
    if (stalled.length) throw new Error(`stuck at ${now} ms after ${event.type}: ${stalled.join('; ')}`);
    for (const e of t.effects) start(e);
  };
  step({ type: 'power.on', at: 0 });
  let transitions = 1;
  for (;;) {
    const networkPending = s.effects.some((x) => x.type !== 'timer.start');
    if (now >= last && toggles.length === 0 && !networkPending && atRest(s)) return { restedAt: now, transitions };
    queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = queue.shift();
    const toggle = toggles[0];
    if (!next && !toggle) throw new Error(`nothing left to happen at ${now} ms, yet the phone is not at rest: ${s.phase}, CAPF ${s.capf.stage}, pending ${s.effects.map((x) => x.type).join(', ')}`);
    if (toggle && (!next || toggle.at <= next.at)) {
      if (next) queue.unshift(next);
      toggles.shift();
      now = Math.max(now, toggle.at);
      up[toggle.server] = toggle.up;
      continue;
    }
    now = Math.max(now, next!.at);
    if (now > last + REST_BOUND_MS) throw new Error(`not at rest ${REST_BOUND_MS / 60_000} min after the plan ended: ${s.phase}, CAPF ${s.capf.stage}, ${s.settled.state}: ${s.settled.reason}`);
    step(next!.event);
    transitions++;
  }
}

describe('liveness: every fault plan ends with the phone at rest', () => {
  it('no plan leaves a phone stuck, in an undeclared stage, or meeting an event with no edge', () => {
    fc.assert(fc.property(plan, (p) => {
      const r = simulate(p);
      expect(r.restedAt).toBeGreaterThanOrEqual(0);
    }), { numRuns: 400 });
  });

  it('with every network effect failing, each variant still comes to rest (trust lists kept, unregistered or on its cached config)', () => {
    for (const f of ['fail', 'timeout', 'never'] as const) {
      for (let variant = 0; variant < VARIANTS.length; variant++) {
        const r = simulate({ variant, fates: Array(200).fill(f), latencies: [10], toggles: [], actions: [] });
        expect(r.transitions).toBeGreaterThan(1);
      }
    }
  });

  it('a CAPF server down through the retries: 4 attempts 30 s apart, then the secure phone registers with what it has', () => {
    const r = simulate({ variant: 1, fates: [], latencies: [10], toggles: [{ at: 0, server: 'capf', up: false }], actions: [] });
    // CTL, ITL and config downloads, four CAPF sessions 30 s apart, then the registration.
    expect(r.restedAt).toBeGreaterThanOrEqual(3 * 30_000);
    expect(r.restedAt).toBeLessThan(4 * 30_000);
  });
});
