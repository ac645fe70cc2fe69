import { installList, rejectList } from './boot.js';
import { applyConfig, rejectConfig } from './config.js';
import { AFTER_CONFIG, CAPF_STARTS, ENTER_ITL } from './targets.js';
import * as M from './messages.js';
import type { Step } from './step.js';
import { subMachine, type EventOf } from './table.js';
import { sha256, tvsAnchors } from './trust.js';
import type { Flash, TvsAsk } from './types.js';

/**
 * The TVS query and its cache (phone-behaviour.md TVS-2..TVS-5, ITL-4, ITL-5, CFG-2): a trust
 * list or config whose signer the phone does not know is parked in `tvs` while TVS is asked —
 * members from the config, trusted through the ITL's TVS records only — and the answer decides
 * it. A vouched certificate is cached for the TTL TVS returns (24 h by default); installing a
 * new trust list flushes the cache. The HTTPS service visit uses the same cache (service.ts).
 */

/** The TVS servers of the config in force (TVS-2), in priority order. */
export function tvsMembers(st: Step): Array<{ host: string; port: number; priority: number }> {
  return (st.s.config?.tvs ?? []).map((t) => ({ host: t.address, port: t.port, priority: t.priority }));
}

/** TVS-5: the cache with `entries` added (replacing older answers for the same certificates), expired ones dropped. */
export function cacheWith(flash: Flash, now: number, entries: Flash['tvsCache']): Flash['tvsCache'] {
  return [...flash.tvsCache.filter((c) => c.expiresAt > now && !entries.some((n) => n.sha256 === c.sha256)), ...entries].slice(-64);
}

/** Asks TVS about an unknown signer, or decides at once when the phone cannot ask (TVS-3). */
export function askTvs(st: Step, ask: TvsAsk, cert?: Uint8Array): void {
  const trustedTvs = tvsAnchors(st.s.flash);
  const members = tvsMembers(st);
  if (trustedTvs.length === 0 || members.length === 0) {
    st.log(trustedTvs.length === 0 ? M.tvsNotInTrustList : 'no TVS server in the configuration (TVS-2)');
    return tvsFailed(st, ask, trustedTvs.length === 0 ? 'no TVS record in the ITL' : 'no TVS server configured');
  }
  st.s = { ...st.s, phase: 'tvs', tvsAsk: ask, fetch: null };
  if (cert) st.start('phone', { type: 'tvs.verify', members, trustedTvs, certificate: cert });
  else st.start('phone', { type: 'tvs.query', members, trustedTvs, subject: ask.subject! });
}

function tvsFailed(st: Step, ask: TvsAsk, why: string): void {
  if (ask.purpose === 'config') return rejectConfig(st, `config signer ${ask.subject ?? ''} is not trusted: ${why}`, true);
  return rejectList(st, ask.purpose, `signer unknown and TVS did not vouch: ${why}`);
}

function onAnswer(st: Step, e: EventOf<'tvs.result'>): void {
  const ask = st.s.tvsAsk!;
  st.s = { ...st.s, tvsAsk: null };
  if (e.outcome !== 'vouched' || !(e.roles ?? []).some((r) => ask.wantRoles.includes(r))) {
    const why = e.outcome === 'vouched' ? `TVS vouched with roles {${(e.roles ?? []).join(',')}}, not {${ask.wantRoles.join(',')}}` : `TVS ${e.outcome}${e.detail ? ` (${e.detail})` : ''}`;
    return tvsFailed(st, ask, why);
  }
  const ttl = (e.ttlSeconds ?? 86400) * 1000;
  const certs = ask.certificate ? [new Uint8Array(Buffer.from(ask.certificate, 'base64'))] : (e.certificates ?? []);
  const entries = certs.map((c) => ({ sha256: sha256(c), roles: e.roles ?? [], expiresAt: st.at + ttl }));
  const remember = (): void => st.flash({ tvsCache: cacheWith(st.s.flash, st.at, entries) });
  st.log(M.tvsCached);
  const bytes = new Uint8Array(Buffer.from(ask.file, 'base64'));
  if (ask.purpose === 'config') {
    remember();
    const d = st.decide.decideConfig(bytes, true, st.s.flash, certs);
    if (d.kind === 'accept') return applyConfig(st, d.xml, d.config);
    return rejectConfig(st, d.kind === 'reject' ? d.reason : 'config signer unknown', true);
  }
  // Installing a trust list flushes the TVS cache (TVS-5); the answer just received survives it.
  installList(st, ask.purpose, bytes);
  remember();
}

export const tvsMachine = subMachine('phone', {
  name: 'tvs',
  title: 'TVS query and cache',
  source: 'TVS-2..TVS-5, ITL-4, ITL-5, CFG-2',
  owns: ['tvs'],
}, (edge) => [
  edge({
    from: ['tvs'], on: 'tvs.result', to: [...ENTER_ITL, ...AFTER_CONFIG], also: { capf: CAPF_STARTS },
    doc: 'vouched with the wanted role: install or apply; otherwise reject and keep what is installed', run: onAnswer,
  }),
]);
