import { X509Certificate } from 'node:crypto';
import { certOf } from '../cluster/index.js';
import { sameName } from '../pki/index.js';
import type { SettledState } from '../../phones/index.js';
import type { PhoneMirror } from '../dist/index.js';
import type { ScenarioContext, StepCounters } from './context.js';
import { EXPECTATION_KINDS, type Expectation, type ExpectationKind } from './steps/expect.js';

/**
 * Named expectations (issue 7, issue 14): each checks one thing — phones by settled state,
 * status messages seen, the installed ITL's signer, what the cluster's TVS and registrar saw,
 * trust-store contents, CUCM's own view of the devices — and yields a result with the observed
 * value, so a failure says what happened instead. `not` negates it; `when: ever | never` asks
 * whether it held after some step of the run so far, or after none.
 */
export interface ExpectationResult {
  name: string;
  step: number;
  ok: boolean;
  expected: string;
  observed: string;
}

/** What one step left behind, for the checks that can look back (phones, status, TVS, registrations). */
export interface StepView {
  step: number;
  stateOf(p: PhoneMirror): SettledState;
  /** Whether the phone showed or logged text containing `text` during the step. */
  saw(p: PhoneMirror, text: string): boolean;
  counters: StepCounters;
}

interface Check {
  ok: boolean;
  expected: string;
  observed: string;
}

function phonesOf(ctx: ScenarioContext, fleet?: string, model?: string): PhoneMirror[] {
  const list = fleet ? ctx.requireFleet(fleet).phones : ctx.allPhones();
  return model ? list.filter((p) => p.model === model.toUpperCase().replace(/^CP-/, '')) : list;
}

function countOk(n: number, total: number, want: number | 'all' | 'none' | undefined, atLeast?: number): { ok: boolean; expected: string } {
  if (atLeast !== undefined) return { ok: n >= atLeast, expected: `at least ${atLeast}` };
  const w = want ?? 'all';
  if (w === 'all') return { ok: n === total && total > 0, expected: `all ${total}` };
  if (w === 'none') return { ok: n === 0, expected: 'none of the' };
  return { ok: n === w, expected: String(w) };
}

/** `count` (default 0) or `atLeast`, as the counting expectations take them. */
function atLeastOr(n: number, count: number | undefined, atLeast: number | undefined): { ok: boolean; expected: string } {
  return atLeast !== undefined ? { ok: n >= atLeast, expected: `at least ${atLeast}` } : { ok: n === (count ?? 0), expected: String(count ?? 0) };
}

export function kindOf(e: Expectation): ExpectationKind {
  return EXPECTATION_KINDS.find((k) => e[k] !== undefined)!;
}

/** CUCM's Certificate Operation Status for a device (CAPF-7): what the last operation recorded, else None or Operation Pending. */
export function capfStatusOf(d: { capf: { status?: string; operation: string } }): string {
  return d.capf.status ?? (d.capf.operation === 'none' ? 'None' : 'Operation Pending');
}

function checkAt(ctx: ScenarioContext, e: Expectation, v: StepView): Check {
  if (e.phones) {
    const x = e.phones;
    const list = phonesOf(ctx, x.fleet, x.model);
    const states = list.map((p) => v.stateOf(p));
    const n = states.filter((s) => s === x.state).length;
    const c = countOk(n, list.length, x.count, x.atLeast);
    const tally = new Map<string, number>();
    for (const s of states) tally.set(s, (tally.get(s) ?? 0) + 1);
    const reasons = v.step === ctx.step ? [...new Set(list.filter((p) => p.state !== x.state).map((p) => p.reason))].slice(0, 2) : [];
    return { ok: c.ok, expected: `${c.expected} ${x.state}`, observed: `${[...tally].map(([k, n2]) => `${n2} ${k}`).join(', ') || 'no phones'}${!c.ok && reasons.length ? ` (e.g. ${reasons.join('; ')})` : ''}` };
  }
  if (e.status) {
    const x = e.status;
    const list = phonesOf(ctx, x.fleet);
    const n = list.filter((p) => v.saw(p, x.contains)).length;
    const c = countOk(n, list.length, x.count);
    return { ok: c.ok, expected: `${c.expected} phones show "${x.contains}"`, observed: `${n} of ${list.length}` };
  }
  if (e['tvs-queries']) {
    const x = e['tvs-queries'];
    const wanted = x.certificate ? certOf(ctx.certificate(x.certificate)) : undefined;
    const want = wanted?.sha256;
    // A query by certificate (ITL/CTL signers) matches by fingerprint; a query by subject (config
    // signers, TVS-4: the signed config names its signer) matches every certificate of that name.
    const about_ = (a: { sha256?: string; subject?: string }): boolean => !wanted || (a.sha256 !== undefined ? a.sha256 === want : a.subject !== undefined && sameName(a.subject, wanted.subjectCucm));
    const answers = (v.counters.tvsAnswers.get(x.cluster) ?? []).filter((a) => (!x.status || a.status === x.status) && about_(a));
    const n = answers.length;
    const c = x.atLeast !== undefined ? { ok: n >= x.atLeast, expected: `at least ${x.atLeast}` } : { ok: n === (x.count ?? 0), expected: String(x.count ?? 0) };
    const t = v.counters.tvs.get(x.cluster) ?? { valid: 0, invalid: 0 };
    const about = want ? ` about ${certOf(ctx.certificate(x.certificate!)).subjectCucm}` : '';
    return { ok: c.ok, expected: `${c.expected} ${x.status ?? ''} TVS answers from ${x.cluster}${about}`.replace(/\s+/g, ' '), observed: want ? `${n} such answers (of ${t.valid} valid, ${t.invalid} invalid)` : `${t.valid} valid, ${t.invalid} invalid` };
  }
  if (e.registrations) {
    const x = e.registrations;
    const n = v.counters.registrations.get(x.cluster)?.size ?? 0;
    const c = x.atLeast !== undefined ? { ok: n >= x.atLeast, expected: `at least ${x.atLeast}` } : { ok: n === (x.count ?? 0), expected: String(x.count ?? 0) };
    return { ok: c.ok, expected: `${c.expected} phones registered with ${x.cluster}`, observed: String(n) };
  }
  if (e.alarms) {
    const x = e.alarms;
    const list = (v.counters.alarms.get(x.cluster) ?? []).filter((a) => (!x.alarm || a.name === x.alarm) && (!x.severity || a.severity === x.severity) && (!x.certificate || (a.certificate?.where ?? '').includes(x.certificate)));
    const c = atLeastOr(list.length, x.count, x.atLeast);
    const names = new Map<string, number>();
    for (const a of v.counters.alarms.get(x.cluster) ?? []) names.set(a.name, (names.get(a.name) ?? 0) + 1);
    return { ok: c.ok, expected: `${c.expected} ${x.alarm ?? ''} alarms${x.severity ? ` (${x.severity})` : ''} from ${x.cluster}${x.certificate ? ` about ${x.certificate}` : ''}`.replace(/\s+/g, ' '), observed: `${list.length}; all alarms: ${[...names].map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}` };
  }
  if (e.mails) {
    const x = e.mails;
    const list = v.counters.mails.filter((m) => (!x.to || m.to.includes(x.to)) && (!x.subject || m.subject.includes(x.subject)));
    const c = atLeastOr(list.length, x.count, x.atLeast);
    return { ok: c.ok, expected: `${c.expected} mails${x.to ? ` to ${x.to}` : ''}${x.subject ? ` with "${x.subject}"` : ''}`, observed: `${list.length} of ${v.counters.mails.length}${list[0] ? `, e.g. "${list[0].subject}"` : ''}` };
  }
  if (e.refused) {
    const x = e.refused;
    const m = v.counters.refusals.get(x.cluster);
    const n = m?.get(x.reason) ?? 0;
    const c = atLeastOr(n, x.count, x.atLeast);
    return { ok: c.ok, expected: `${c.expected} refused by ${x.cluster} (${x.reason})`, observed: `${n}${m?.size ? `; all refusals: ${[...m].map(([k, k2]) => `${k2} ${k}`).join(', ')}` : ''}` };
  }
  if (e.revocation) {
    const x = e.revocation;
    const checks = (ctx.requireCluster(x.cluster).cluster.state.revocationChecks ?? []).filter((k) => k.where === x.certificate && (!x.node || k.node === x.node));
    const ok = checks.length > 0 && checks.every((k) => k.status === x.status);
    return { ok, expected: `${x.certificate} on ${x.node ?? 'every node'} checked ${x.status}`, observed: checks.length ? checks.map((k) => `${k.node} ${k.status}${k.code ? ` ${k.code}` : ''} (${k.trigger} ${k.checkedAt})`).join('; ') : 'never checked' };
  }
  if (e['itl-signer']) {
    const x = e['itl-signer'];
    const { fleet, ...ref } = x;
    const want = certOf(ctx.certificate(ref));
    const wantSerial = want.serialHex.replace(/^0+(?=.)/, '');
    const list = phonesOf(ctx, fleet);
    const serials = list.map((p) => p.itlSerial);
    const n = serials.filter((s) => s === wantSerial).length;
    return { ok: n === list.length && list.length > 0, expected: `every ITL signed by ${want.subjectCucm} (serial ${wantSerial})`, observed: `${n} of ${list.length}${n < list.length ? `; others: ${[...new Set(serials.filter((s) => s !== wantSerial))].slice(0, 2).join(', ')}` : ''}` };
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
    return { ok, expected: `${x.cluster} ${x.node} ${x.store} ${x.contains ? 'contains' : 'lacks'} the certificate`, observed: parts.join('; ') };
  }
  return checkDevices(ctx, e.device!);
}

/** CUCM's view of the fleet's devices (the phone page): CAPF status, the LSC it holds and its issuer, the registration, the profile. */
function checkDevices(ctx: ScenarioContext, x: NonNullable<Expectation['device']>): Check {
  const rc = ctx.requireCluster(x.cluster);
  const phones = ctx.requireFleet(x.fleet).phones;
  const issuer = x['lsc-issuer'] ? new X509Certificate(ctx.certificate(x['lsc-issuer'])) : undefined;
  const registrations = new Map(rc.cluster.state.nodes.flatMap((n) => rc.servers.registrar(n.hostname)?.registrations.list() ?? []).map((r) => [r.deviceName, r]));
  const seen = new Map<string, number>();
  let n = 0;
  for (const p of phones) {
    const d = rc.cluster.device(p.device);
    const facts: string[] = [];
    let ok = Boolean(d);
    if (d && x['capf-status'] !== undefined) {
      const s = capfStatusOf(d);
      ok &&= s === x['capf-status'] || s.startsWith(`${x['capf-status']}:`);
      facts.push(s);
    }
    if (d && issuer) {
      const lsc = d.lscPem ? new X509Certificate(d.lscPem) : undefined;
      const by = Boolean(lsc && lsc.checkIssued(issuer) && lsc.verify(issuer.publicKey));
      ok &&= by;
      facts.push(lsc ? `LSC issued by ${by ? 'it' : lsc.issuer.replace(/\n/g, ', ')}` : 'no LSC');
    }
    if (d && x['registered-with']) {
      const r = registrations.get(p.device);
      const lscFp = d.lscPem ? new X509Certificate(d.lscPem).fingerprint256 : undefined;
      const used = !r ? 'not registered' : !r.certificate ? 'no certificate' : r.certificate.fingerprint256 === lscFp ? 'lsc' : /Manufacturing|ACT2|Root CA/i.test(r.certificate.issuer) ? 'mic' : 'another certificate';
      ok &&= used === x['registered-with'];
      facts.push(`registered with ${used}`);
    }
    if (d && x.profile) {
      ok &&= d.profile === x.profile;
      facts.push(d.profile);
    }
    if (!d) facts.push('no device');
    if (ok) n++;
    const key = facts.join('; ');
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const c = countOk(n, phones.length, x.count);
  const wanted = [x['capf-status'] ? `status "${x['capf-status']}"` : '', issuer ? `an LSC issued by ${issuer.subject.replace(/\n/g, ', ')}` : '', x['registered-with'] ? `registered with ${x['registered-with']}` : '', x.profile ?? ''].filter(Boolean).join(', ');
  return { ok: c.ok, expected: `${c.expected} devices of ${x.fleet} on ${x.cluster}: ${wanted}`, observed: [...seen].map(([k, m]) => `${m}× ${k}`).join('; ') };
}

export function checkExpectation(ctx: ScenarioContext, e: Expectation): ExpectationResult {
  const base = { name: e.name, step: ctx.step };
  const when = e.when ?? 'now';
  let r: Check;
  if (when === 'now') {
    r = checkAt(ctx, e, ctx.liveView());
  } else {
    const views = ctx.history;
    const results = views.map((v) => ({ v, r: checkAt(ctx, e, v) }));
    const held = results.filter((x) => x.r.ok);
    const last = results.at(-1)?.r;
    r = when === 'ever'
      ? { ok: held.length > 0, expected: `after some step: ${last?.expected ?? ''}`, observed: held.length ? `held after step ${held.map((h) => h.v.step).join(', ')}` : `held after no step (last: ${last?.observed ?? 'no steps'})` }
      : { ok: held.length === 0, expected: `after no step: ${last?.expected ?? ''}`, observed: held.length ? `held after step ${held.map((h) => h.v.step).join(', ')}` : `held after no step of ${views.length}` };
  }
  if (e.not) r = { ok: !r.ok, expected: `not (${r.expected})`, observed: r.observed };
  return { ...base, ...r };
}
