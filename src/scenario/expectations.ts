import { certOf, identityOf } from '../cluster/index.js';
import { stripLeadingZeros } from '../pki/index.js';
import { decodeTrustList } from '../trustlist/index.js';
import type { VirtualPhone } from '../../phones/index.js';
import type { ScenarioContext } from './context.js';
import type { Expectation } from './types.js';

/**
 * Named expectations (issue 7): each is checked against the state at its step — phones by
 * settled state, status messages seen during the step, the installed ITL's signer, what the
 * cluster's TVS and registrar saw during the step, trust-store contents — and yields a result
 * with the observed value, so a failure says what happened instead.
 */
export interface ExpectationResult {
  name: string;
  step: number;
  ok: boolean;
  expected: string;
  observed: string;
}

function phonesOf(ctx: ScenarioContext, fleet?: string, model?: string): VirtualPhone[] {
  const list = fleet ? ctx.requireFleet(fleet).fleet.phones : ctx.allPhones();
  return model ? list.filter((p) => p.model.id === model.toUpperCase().replace(/^CP-/, '')) : list;
}

function countOk(n: number, total: number, want: number | 'all' | 'none' | undefined, atLeast?: number): { ok: boolean; expected: string } {
  if (atLeast !== undefined) return { ok: n >= atLeast, expected: `at least ${atLeast}` };
  const w = want ?? 'all';
  if (w === 'all') return { ok: n === total && total > 0, expected: `all ${total}` };
  if (w === 'none') return { ok: n === 0, expected: 'none' };
  return { ok: n === w, expected: String(w) };
}

export function checkExpectation(ctx: ScenarioContext, e: Expectation): ExpectationResult {
  const base = { name: e.name, step: ctx.step };
  if (e.phones) {
    const list = phonesOf(ctx, e.phones.fleet, e.phones.model);
    const n = list.filter((p) => p.settled.state === e.phones!.state).length;
    const c = countOk(n, list.length, e.phones.count, e.phones.atLeast);
    const tally = new Map<string, number>();
    for (const p of list) tally.set(p.settled.state, (tally.get(p.settled.state) ?? 0) + 1);
    const reasons = [...new Set(list.filter((p) => p.settled.state !== e.phones!.state).map((p) => p.settled.reason))].slice(0, 2);
    return { ...base, ok: c.ok, expected: `${c.expected} ${e.phones.state}`, observed: `${[...tally].map(([k, v]) => `${v} ${k}`).join(', ') || 'no phones'}${!c.ok && reasons.length ? ` (e.g. ${reasons.join('; ')})` : ''}` };
  }
  if (e.status) {
    const list = phonesOf(ctx, e.status.fleet);
    const saw = (p: VirtualPhone): boolean => (ctx.stepStatuses.get(p.device) ?? []).some((m) => m.includes(e.status!.contains))
      || ctx.logSinceStep(p).some((l) => l.message.includes(e.status!.contains));
    const n = list.filter(saw).length;
    const c = countOk(n, list.length, e.status.count);
    return { ...base, ok: c.ok, expected: `${c.expected} phones show "${e.status.contains}"`, observed: `${n} of ${list.length}` };
  }
  if (e['itl-signer']) {
    const x = e['itl-signer'];
    const want = identityOf(ctx.requireCluster(x.cluster).cluster.state, x.purpose, x.node);
    const wantSerial = want ? Buffer.from(stripLeadingZeros(certOf(want.certPem).serial)).toString('hex') : '(none)';
    const list = phonesOf(ctx, x.fleet);
    const serials = list.map((p) => (p.state.flash.itl ? Buffer.from(decodeTrustList(Buffer.from(p.state.flash.itl, 'base64')).header.signerSerial).toString('hex') : 'no ITL'));
    const n = serials.filter((s) => s === wantSerial).length;
    return { ...base, ok: n === list.length && list.length > 0, expected: `every ITL signed by ${x.cluster} ${x.purpose} ${x.node} (serial ${wantSerial})`, observed: `${n} of ${list.length}${n < list.length ? `; others: ${[...new Set(serials.filter((s) => s !== wantSerial))].slice(0, 2).join(', ')}` : ''}` };
  }
  if (e['tvs-queries']) {
    const x = e['tvs-queries'];
    const t = ctx.counters.tvs.get(x.cluster) ?? { valid: 0, invalid: 0 };
    const n = x.status ? t[x.status] : t.valid + t.invalid;
    const c = x.atLeast !== undefined ? { ok: n >= x.atLeast, expected: `at least ${x.atLeast}` } : { ok: n === (x.count ?? 0), expected: String(x.count ?? 0) };
    return { ...base, ok: c.ok, expected: `${c.expected} ${x.status ?? ''} TVS answers from ${x.cluster}`.replace(/\s+/g, ' '), observed: `${t.valid} valid, ${t.invalid} invalid` };
  }
  if (e.registrations) {
    const x = e.registrations;
    const n = ctx.counters.registrations.get(x.cluster)?.size ?? 0;
    const c = x.atLeast !== undefined ? { ok: n >= x.atLeast, expected: `at least ${x.atLeast}` } : { ok: n === (x.count ?? 0), expected: String(x.count ?? 0) };
    return { ...base, ok: c.ok, expected: `${c.expected} phones registered with ${x.cluster}`, observed: String(n) };
  }
  if (e['trust-store']) {
    const x = e['trust-store'];
    const parts: string[] = [];
    let ok = true;
    if (x.contains) {
      const has = ctx.storeHolds(x.cluster, x.node, x.store, x.contains);
      ok &&= has;
      parts.push(has ? 'holds it' : 'does not hold it');
    }
    if (x.lacks) {
      const has = ctx.storeHolds(x.cluster, x.node, x.store, x.lacks);
      ok &&= !has;
      parts.push(has ? 'holds the one it should lack' : 'lacks it');
    }
    return { ...base, ok, expected: `${x.cluster} ${x.node} ${x.store} ${x.contains ? 'contains' : 'lacks'} the certificate`, observed: parts.join('; ') };
  }
  return { ...base, ok: false, expected: 'a known expectation', observed: 'nothing to check' };
}
