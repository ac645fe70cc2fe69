import { Role } from '../../src/trustlist/index.js';
import * as M from './messages.js';
import type { Step } from './step.js';
import { subMachine, type EventOf } from './table.js';
import { decideServerCertificate, sha256, tvsAnchors } from './trust.js';
import { cacheWith, tvsMembers } from './tvs.js';
import type { PhoneService, ServiceOutcome, ServiceVisit } from './types.js';

/**
 * Opening an HTTPS XML service (phone-behaviour.md TVS-1, TVS-5, TVS-6, SC-23), a region of its
 * own beside the registration. The phone must be registered, so that a boot's own TVS query is
 * never in flight at the same time. The shell hands back the server's certificate; the phone
 * trusts it from its CTL/ITL, a cached TVS answer with the APP-SERVER role, or a fresh TVS answer
 * (cached for the TTL TVS returns), and only then fetches the page over a connection pinned to
 * that certificate.
 */
function open(st: Step, service: PhoneService): void {
  const url = st.s.config?.secureDirectoryURL ?? '';
  if (st.s.phase !== 'registered') return end(st, { service, url }, 'failed', 'the phone is not registered');
  if (!url) return end(st, { service, url }, 'failed', 'no secure directory URL in the configuration');
  st.s = { ...st.s, service: { service, url, stage: 'connect' } };
  st.start('service', { type: 'service.connect', url });
}

function onCertificate(st: Step, e: EventOf<'service.certificate'>): void {
  const v = st.s.service!;
  if (!e.certificate) return end(st, v, 'failed', e.error ?? 'no certificate');
  const d = decideServerCertificate(e.certificate, st.s.flash, st.model.sbd, st.at);
  if (d.kind === 'reject') return end(st, v, 'failed', d.reason);
  const certificate = Buffer.from(e.certificate).toString('base64');
  if (d.kind === 'trusted') {
    st.s = { ...st.s, service: { ...v, stage: 'fetch', certificate, trustedBy: d.by } };
    st.log(`${M.SERVICE_TITLE[v.service]}: server certificate trusted (${d.by === 'trust-list' ? 'in the trust list' : 'TVS cache'})`);
    st.start('service', { type: 'service.fetch', url: v.url, certificate: e.certificate });
    return;
  }
  const trustedTvs = tvsAnchors(st.s.flash);
  const members = tvsMembers(st);
  if (trustedTvs.length === 0 || members.length === 0) {
    if (trustedTvs.length === 0) st.log(M.tvsNotInTrustList);
    return end(st, v, 'failed', `server certificate unknown and ${trustedTvs.length === 0 ? 'no TVS record in the ITL' : 'no TVS server configured'}`);
  }
  st.s = { ...st.s, service: { ...v, stage: 'tvs', certificate } };
  st.start('service', { type: 'tvs.verify', members, trustedTvs, certificate: e.certificate });
}

function onTvs(st: Step, e: EventOf<'tvs.result'>): void {
  const v = st.s.service!;
  const roles = e.roles ?? [];
  if (e.outcome !== 'vouched' || !roles.includes(Role.APP_SERVER)) {
    const why = e.outcome === 'vouched' ? `TVS vouched with roles {${roles.join(',')}}, not APP-SERVER` : `TVS ${e.outcome}${e.detail ? ` (${e.detail})` : ''}`;
    return end(st, v, 'failed', `server certificate not trusted: ${why}`);
  }
  const cert = new Uint8Array(Buffer.from(v.certificate!, 'base64'));
  st.flash({ tvsCache: cacheWith(st.s.flash, st.at, [{ sha256: sha256(cert), roles, expiresAt: st.at + (e.ttlSeconds ?? 86400) * 1000 }]) });
  st.log(M.tvsCached);
  st.s = { ...st.s, service: { ...v, stage: 'fetch', trustedBy: 'tvs' } };
  st.start('service', { type: 'service.fetch', url: v.url, certificate: cert });
}

/** Ends a visit: the outcome is kept for expectations, the phone shows it (M.serviceLoaded/serviceFailed). */
function end(st: Step, v: Pick<ServiceVisit, 'service' | 'url' | 'trustedBy'>, outcome: ServiceOutcome['outcome'], reason: string): void {
  const title = M.SERVICE_TITLE[v.service];
  st.s = { ...st.s, service: null, lastService: { service: v.service, url: v.url, at: st.at, outcome, reason, ...(v.trustedBy ? { trustedBy: v.trustedBy } : {}) } };
  st.status(outcome === 'loaded' ? M.serviceLoaded(title) : M.serviceFailed(title, reason));
}

export const serviceMachine = subMachine('service', {
  name: 'service',
  title: 'HTTPS service visit',
  source: 'TVS-1, TVS-5, TVS-6, SC-23',
  owns: ['idle', 'connect', 'tvs', 'fetch'],
}, (edge) => [
  edge({ from: ['idle'], on: 'action.open-service', to: ['idle', 'connect'], doc: 'open the service (registered phones only)', run: (st, e) => open(st, e.service) }),
  edge({
    from: ['connect', 'tvs', 'fetch'], on: 'action.open-service', to: ['stay'], doc: 'a second press while a visit is in flight: the phone is already opening it',
    run: (st) => st.log(`${M.SERVICE_TITLE[st.s.service!.service]}: already opening`),
  }),
  edge({ from: ['connect'], on: 'service.certificate', to: ['idle', 'tvs', 'fetch'], doc: 'trusted: fetch; unknown: ask TVS; refused: fail', run: onCertificate }),
  edge({ from: ['tvs'], on: 'tvs.result', to: ['idle', 'fetch'], doc: 'APP-SERVER vouched: cache and fetch; otherwise fail', run: onTvs }),
  edge({
    from: ['fetch'], on: 'service.page', to: ['idle'], doc: 'the page loads over the pinned connection, or the visit fails',
    run: (st, e) => {
      const v = st.s.service!;
      if (!e.ok) return end(st, v, 'failed', e.error ?? 'no page');
      end(st, v, 'loaded', e.title ? `"${e.title}"` : 'page loaded');
    },
  }),
]);
