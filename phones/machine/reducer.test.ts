import { beforeAll, describe, expect, it } from 'vitest';
import { nodes, testLab } from '../../test/helpers/lab.js';
import { type Cluster, type Lab } from '../../src/cluster/index.js';
import { decodeTrustList, encodeTrustList, signTrustList, Role } from '../../src/trustlist/index.js';
import { certOf, identityOf, keyOf } from '../../src/cluster/index.js';
import { phoneModel } from '../models.js';
import { callManagerAnchors, initialPhone, reduce, type PhoneEffect, type PhoneEvent, type PhoneState, type ResultEvent } from './index.js';
import { decideServerCertificate } from './trust.js';
import * as M from './messages.js';

/**
 * The reducer alone, rule by rule (phone-behaviour.md §4 ITL-*, §5 CFG-*, §6 TVS-*, §7 CTL-*,
 * BOOT-*, REC-4, CAPF-2/3, TLS-4). A scripted network answers the effects: files by name, TVS
 * outcomes and registrations as each test says. Files come from modelled clusters.
 */
let lab: Lab;
let A: Cluster;
let B: Cluster;
const MAC = '00AABBCC0001';
const DEV = `SEP${MAC}`;
const model = phoneModel('8861');

beforeAll(async () => {
  ({ lab } = await testLab());
  A = await lab.createCluster({ name: 'A', release: '11.5', nodes: nodes('apub', 'asub') });
  B = await lab.createCluster({ name: 'B', release: '12.5', nodes: nodes('bpub') });
  for (const c of [A, B]) await c.upsertDevices([{ mac: MAC, model: '8861' }]);
}, 120_000);

/** An answer as a scripted network gives it; the harness adds the id of the effect it answers. */
type Answer<T extends PhoneEvent['type']> = Omit<Extract<PhoneEvent, { type: T }>, 'effect'>;
type AnyAnswer = ResultEvent extends infer E ? (E extends ResultEvent ? Omit<E, 'effect'> : never) : never;

interface Net {
  files: Record<string, Uint8Array | undefined>;
  tvs?: (e: Extract<PhoneEffect, { type: 'tvs.verify' | 'tvs.query' }>) => Answer<'tvs.result'>;
  sip?: (e: Extract<PhoneEffect, { type: 'sip.register' }>) => Answer<'sip.result'>;
  capf?: ((e: Extract<PhoneEffect, { type: 'capf.enroll' }>) => Answer<'capf.result'>) | undefined;
  /** The certificate an HTTPS server presents; pages load when the phone asks over a pinned connection. */
  https?: Uint8Array;
}

interface Run {
  state: PhoneState;
  effects: PhoneEffect[];
  invalid: string[];
}

/** Feeds `first`, then answers every network effect until none is left (timers stay pending). */
function run(state: PhoneState, first: PhoneEvent, net: Net, at = 1_000): Run {
  const all: PhoneEffect[] = [];
  const invalid: string[] = [];
  let queue: PhoneEvent[] = [first];
  let s = state;
  for (let guard = 0; queue.length && guard < 100; guard++) {
    const ev = queue.shift()!;
    const t = reduce(s, ev, model);
    s = t.state;
    if (t.invalid) invalid.push(t.invalid.message);
    all.push(...t.effects);
    for (const e of t.effects) {
      const answer = (a: AnyAnswer): void => void queue.push({ ...a, effect: e.type === 'cancel' || e.type === 'flash.save' || e.type === 'status' || e.type === 'settled' ? 0 : e.id } as PhoneEvent);
      if (e.type === 'fetch') {
        const bytes = net.files[e.name];
        answer(bytes ? { type: 'file.result', at, name: e.name, bytes } : { type: 'file.result', at, name: e.name, error: 'not-found' });
      } else if (e.type === 'tvs.verify' || e.type === 'tvs.query') {
        answer(net.tvs ? net.tvs(e) : { type: 'tvs.result', at, outcome: 'connection-refused' });
      } else if (e.type === 'sip.register') {
        answer(net.sip ? net.sip(e) : { type: 'sip.result', at, ok: true, expiresSeconds: 3600 });
      } else if (e.type === 'capf.enroll') {
        answer(net.capf ? net.capf(e) : { type: 'capf.result', at, ok: false, failure: 'refused', reason: 'no CAPF in this test' });
      } else if (e.type === 'service.connect') {
        answer(net.https ? { type: 'service.certificate', at, url: e.url, certificate: net.https } : { type: 'service.certificate', at, url: e.url, error: 'connection refused' });
      } else if (e.type === 'service.fetch') {
        const same = net.https !== undefined && Buffer.from(net.https).equals(Buffer.from(e.certificate));
        answer(same ? { type: 'service.page', at, url: e.url, ok: true, title: 'Corporate Directory' } : { type: 'service.page', at, url: e.url, ok: false, error: 'the server now presents a different certificate' });
      }
    }
  }
  expect(invalid).toEqual([]);
  return { state: s, effects: all, invalid };
}

const fresh = (): PhoneState => initialPhone({ mac: MAC, model, tftpServers: ['10.0.0.1'] });
const filesOf = (c: Cluster, node: string, o: { ctl?: boolean } = {}): Net['files'] => ({
  'ITLFile.tlv': c.itl(node),
  ...(o.ctl && c.ctl() ? { 'CTLFile.tlv': c.ctl()! } : {}),
  [`${DEV}.cnf.xml.sgn`]: c.config(DEV, { signed: true, node })!,
  [`${DEV}.cnf.xml`]: c.config(DEV, { signed: false, node })!,
});
const statuses = (r: Run): string[] => r.effects.filter((e): e is Extract<PhoneEffect, { type: 'status' }> => e.type === 'status').map((e) => e.message);
const of = <T extends PhoneEffect['type']>(r: Run, type: T): Array<Extract<PhoneEffect, { type: T }>> => r.effects.filter((e): e is Extract<PhoneEffect, { type: T }> => e.type === type);
const boot = (s: PhoneState, net: Net, at?: number): Run => run(s, { type: 'power.on', at: at ?? 1_000 }, net, at);
const reset = (s: PhoneState, net: Net, at = 2_000): Run => run(s, { type: 'action.reset', at }, net, at);

/** A phone that booted once on cluster A's publisher. */
function onA(): PhoneState {
  return boot(fresh(), { files: filesOf(A, 'apub') }).state;
}

describe('BOOT-1/BOOT-2/FMT-5: download order', () => {
  it('asks CTLSEP, CTLFile, ITLSEP, ITLFile, then the signed config once it holds a trust list', () => {
    const r = boot(fresh(), { files: filesOf(A, 'apub') });
    expect(of(r, 'fetch').map((e) => e.name)).toEqual([`CTLSEP${MAC}.tlv`, 'CTLFile.tlv', `ITLSEP${MAC}.tlv`, 'ITLFile.tlv', `${DEV}.cnf.xml.sgn`]);
    expect(r.state.flash.log.map((l) => l.message)).toContain(M.fileNotFound('CTLFile.tlv'));
  });

  it('asks for the unsigned config when it holds no trust list (no ITL served)', () => {
    const r = boot(fresh(), { files: { [`${DEV}.cnf.xml`]: A.config(DEV, { signed: false, node: 'apub' })! } });
    expect(of(r, 'fetch').map((e) => e.name).slice(-1)).toEqual([`${DEV}.cnf.xml`]);
    expect(statuses(r)).toContain(M.STATUS.noTrustList);
    expect(r.state.settled.state).toBe('registered');
  });
});

describe('§4 Accepting a new ITL', () => {
  it('ITL-1: a factory-fresh phone installs the first ITL on trust on first use, with no TVS query', () => {
    const r = boot(fresh(), { files: filesOf(A, 'apub') });
    expect(statuses(r)).toContain(M.STATUS.itlInstalled);
    expect(r.state.flash.log.map((l) => l.message)).toContain(M.leapOfFaith);
    expect(of(r, 'tvs.verify')).toHaveLength(0);
    expect(r.state.settled.state).toBe('registered');
  });

  it('ITL-1: even on first use, a file that does not verify under its own signer is rejected', () => {
    const bad = A.itl('apub').slice();
    bad[bad.length - 10]! ^= 1;
    const r = boot(fresh(), { files: { ...filesOf(A, 'apub'), 'ITLFile.tlv': bad } });
    expect(r.state.flash.itl).toBeUndefined();
    expect(statuses(r)).toContain(M.STATUS.trustListUpdateFailed);
  });

  it('ITL-9: the same ITL again changes nothing and asks nobody', () => {
    const r = reset(onA(), { files: filesOf(A, 'apub') });
    expect(r.state.boot.itl).toBe('unchanged');
    expect(statuses(r)).toEqual([]);
    expect(of(r, 'tvs.verify')).toHaveLength(0);
  });

  it('ITL-3: a new ITL signed by a SAST the phone holds is accepted without TVS (TVS regenerated, 11.5)', async () => {
    const phone = onA();
    await A.regenerate('TVS', 'asub');
    const r = reset(phone, { files: filesOf(A, 'apub') });
    expect(r.state.boot.itl).toBe('updated');
    expect(statuses(r)).toContain(M.STATUS.trustListUpdated);
    expect(of(r, 'tvs.verify')).toHaveLength(0);
  });

  it('ITL-4: an unknown signer goes to TVS — members from the cached config, trust from the ITL\'s TVS records — and SAST installs it', async () => {
    const phone = onA();
    const oldTvs = decodeTrustList(A.itl('apub')).records.filter((r) => r.role === Role.TVS).map((r) => Buffer.from(r.certificate!).toString('hex'));
    await A.regenerate('CallManager', 'apub');
    const r = reset(phone, { files: filesOf(A, 'apub'), tvs: () => ({ type: 'tvs.result', at: 2_000, outcome: 'vouched', roles: [Role.SAST, Role.CCM_TFTP], ttlSeconds: 86400 }) });
    const q = of(r, 'tvs.verify')[0]!;
    expect(q.members.map((m) => m.host)).toEqual(A.state.nodes.map((n) => n.ipv4));
    expect(q.trustedTvs.map((c) => Buffer.from(c).toString('hex'))).toEqual(oldTvs);
    expect(Buffer.from(q.certificate).equals(Buffer.from(decodeTrustList(A.itl('apub')).records[0]!.certificate!))).toBe(true);
    expect(r.state.boot.itl).toBe('updated');
    expect(['applied', 'unchanged']).toContain(r.state.boot.config);
    expect(r.state.flash.tvsCache.length).toBe(1);
    expect(r.state.settled.state).toBe('registered');
  });

  it.each([
    ['TVS refuses', { outcome: 'refused' as const }],
    ['TVS is unreachable', { outcome: 'connection-refused' as const }],
    ['the TVS certificate is not in the ITL', { outcome: 'server-certificate-not-trusted' as const }],
    ['TVS vouches with the wrong role', { outcome: 'vouched' as const, roles: [Role.APP_SERVER] }],
  ])('ITL-5: %s → ITL rejected, old kept, "Trust List update failed", configs from the new signer rejected', async (_n, answer) => {
    const { lab: l2 } = await testLab();
    const c = await l2.createCluster({ name: 'C', release: '11.5', nodes: nodes('cpub') });
    await c.upsertDevices([{ mac: MAC, model: '8861' }]);
    const phone = boot(fresh(), { files: filesOf(c, 'cpub') }).state;
    const before = phone.flash.itl;
    await c.regenerate('CallManager', 'cpub');
    const r = reset(phone, { files: filesOf(c, 'cpub'), tvs: () => ({ type: 'tvs.result', at: 2_000, ...answer }) });
    expect(r.state.flash.itl).toBe(before);
    expect(statuses(r)).toContain(M.STATUS.trustListUpdateFailed);
    expect(r.state.flash.log.map((x) => x.message)).toContain(M.sgnSignerNotInCtl(DEV));
    expect(statuses(r)).toContain(M.authenticatedFail(DEV));
    expect(r.state.settled.state).toBe('registered-stale-config');
  });

  it('ITL-8: an empty (rollback) ITL makes the phone accept any new ITL and unsigned configs', async () => {
    const { lab: l2 } = await testLab();
    const c = await l2.createCluster({ name: 'R', release: '12.5', nodes: nodes('rpub') });
    await c.upsertDevices([{ mac: MAC, model: '8861' }]);
    let phone = boot(fresh(), { files: filesOf(c, 'rpub') }).state;
    await c.setParam('rollbackToPre80', true);
    phone = reset(phone, { files: filesOf(c, 'rpub') }).state;
    expect(decodeTrustList(new Uint8Array(Buffer.from(phone.flash.itl!, 'base64'))).records.filter((x) => x.role === Role.TVS && x.certificate)).toHaveLength(0);
    const r = reset(phone, { files: { 'ITLFile.tlv': B.itl('bpub'), [`${DEV}.cnf.xml`]: B.config(DEV, { signed: false, node: 'bpub' })! } });
    expect(of(r, 'tvs.verify')).toHaveLength(0);
    expect(r.state.boot.itl).toBe('updated');
    const unsigned = reset({ ...phone }, { files: { [`${DEV}.cnf.xml`]: B.config(DEV, { signed: false, node: 'bpub' })! } });
    expect(unsigned.state.boot.config).toBe('applied');
  });

  it('FMT-6: an ITL over 64 KB is not loaded and the phone does not register', () => {
    const big = decodeTrustList(A.itl('apub'));
    const padded = { ...big, layout: undefined as never, records: [...big.records, ...Array(40).fill(big.records[big.records.length - 1]!)] };
    delete (padded as { layout?: unknown }).layout;
    const bytes = encodeTrustList(padded);
    expect(bytes.length).toBeGreaterThan(64 * 1024);
    const r = reset(onA(), { files: { ...filesOf(A, 'apub'), 'ITLFile.tlv': bytes } });
    expect(of(r, 'sip.register')).toHaveLength(0);
    expect(r.state.settled.state).toBe('trust-update-failed');
  });
});

describe('SC-22: tampered files never fall back to first use or TVS', () => {
  it.each([
    ['a flipped signature byte', (b: Uint8Array): Uint8Array => {
      const c = b.slice();
      c[200]! ^= 0x40;
      return c;
    }],
    ['an unsupported digest id', (b: Uint8Array): Uint8Array => {
      const l = decodeTrustList(b);
      const c = encodeTrustList({ ...l, header: { ...l.header, digest: 9 } });
      return c;
    }],
    ['a header naming the SAST the phone knows, signed by another key', (b: Uint8Array): Uint8Array => {
      const l = decodeTrustList(b);
      return signTrustList({ header: l.header, records: l.records }, keyOf(B.state.identities.find((i) => i.purpose === 'TVS')!.keyPem));
    }],
  ])('%s', (_n, mutate) => {
    const phone = onA();
    const r = reset(phone, { files: { ...filesOf(A, 'apub'), 'ITLFile.tlv': mutate(A.itl('apub')) } });
    expect(of(r, 'tvs.verify')).toHaveLength(0);
    expect(r.state.flash.itl).toBe(phone.flash.itl);
    expect(r.state.flash.log.slice(phone.flash.log.length).map((l) => l.message)).not.toContain(M.leapOfFaith);
    expect(statuses(r)).toContain(M.STATUS.trustListUpdateFailed);
  });
});

describe('§5 Signed configuration files', () => {
  it('CFG-2: an unknown config signer goes to TVS by subject; TFTP role plus the certificate makes it acceptable', async () => {
    const phone = onA();
    const sgnB = B.config(DEV, { signed: true, node: 'bpub' })!;
    const bCm = B.state.identities.find((i) => i.purpose === 'CallManager')!;
    const net: Net = { files: { ...filesOf(A, 'apub'), [`${DEV}.cnf.xml.sgn`]: sgnB }, tvs: (e) => ({ type: 'tvs.result', at: 2_000, outcome: 'vouched', roles: [Role.SAST, Role.TFTP], ttlSeconds: 86400, certificates: [new Uint8Array(Buffer.from(bCm.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'))], ...(e.type === 'tvs.query' ? {} : {}) }) };
    const r = reset(phone, net);
    const q = of(r, 'tvs.query')[0]!;
    expect(q.subject).toMatch(/^CN=bpub\.b\.lab\.example/);
    expect(r.state.boot.config).toBe('applied');
  });

  it('CFG-3 (SC-21): a config signed by a key found nowhere is thrown away; the phone keeps its previous settings', () => {
    const phone = onA();
    const r = reset(phone, { files: { ...filesOf(A, 'apub'), [`${DEV}.cnf.xml.sgn`]: B.config(DEV, { signed: true, node: 'bpub' })! }, tvs: () => ({ type: 'tvs.result', at: 2_000, outcome: 'refused' }) });
    expect(r.state.boot.config).toBe('rejected');
    expect(r.state.flash.config).toBe(phone.flash.config);
    expect(r.state.flash.log.map((l) => l.message)).toEqual(expect.arrayContaining([M.sgnSignerNotInCtl(DEV), M.authenticatedFail(DEV)]));
    expect(r.state.settled).toMatchObject({ state: 'registered-stale-config' });
  });

  it('BOOT-2: a phone holding a trust list refuses an unsigned config', () => {
    const phone = onA();
    const r = reset(phone, { files: { 'ITLFile.tlv': A.itl('apub'), [`${DEV}.cnf.xml`]: A.config(DEV, { signed: false, node: 'apub' })! } });
    expect(of(r, 'fetch').map((e) => e.name)).not.toContain(`${DEV}.cnf.xml`);
    expect(r.state.boot.config).toBe('absent');
  });
});

describe('§6 TVS', () => {
  it('TVS-3: with no TVS record in the ITL the phone does not use TVS', async () => {
    const phone = onA();
    const l = decodeTrustList(new Uint8Array(Buffer.from(phone.flash.itl!, 'base64')));
    const noTvs = { ...phone, flash: { ...phone.flash, itl: Buffer.from(signTrustList({ header: l.header, records: l.records.filter((r) => r.role !== Role.TVS) }, keyOf(A.state.identities.find((i) => i.purpose === 'CallManager' && i.nodes.includes('apub'))!.keyPem))).toString('base64') } };
    const r = reset(noTvs, { files: filesOf(B, 'bpub') });
    expect(of(r, 'tvs.verify')).toHaveLength(0);
    expect(r.state.flash.log.map((x) => x.message)).toContain(M.tvsNotInTrustList);
  });

  it('TVS-5: a vouched signer is cached for the TTL, then asked again', async () => {
    const phone = onA();
    const net = (): Net => ({ files: filesOf(B, 'bpub'), tvs: () => ({ type: 'tvs.result', at: 2_000, outcome: 'vouched', roles: [Role.SAST], ttlSeconds: 100 }) });
    const first = reset(phone, net(), 2_000);
    expect(of(first, 'tvs.verify')).toHaveLength(1);
    expect(first.state.flash.tvsCache).toHaveLength(1);
    const back = { ...first.state, flash: { ...first.state.flash, itl: phone.flash.itl! } };
    expect(of(reset(back, net(), 50_000), 'tvs.verify')).toHaveLength(0);
    expect(of(reset(back, net(), 200_000), 'tvs.verify')).toHaveLength(1);
  });

  it('TVS-7: a model without Security by Default never fetches an ITL and never asks TVS', () => {
    const m7960 = phoneModel('7960');
    let s = initialPhone({ mac: MAC, model: m7960, tftpServers: ['10.0.0.1'] });
    const t = reduce(s, { type: 'power.on', at: 1 }, m7960);
    s = t.state;
    const fetches = (x: { effects: PhoneEffect[] }): Array<Extract<PhoneEffect, { type: 'fetch' }>> => x.effects.filter((e): e is Extract<PhoneEffect, { type: 'fetch' }> => e.type === 'fetch');
    expect(fetches(t).map((e) => e.name)).toEqual([`CTLSEP${MAC}.tlv`]);
    const t1 = reduce(s, { type: 'file.result', at: 1, effect: fetches(t)[0]!.id, name: `CTLSEP${MAC}.tlv`, error: 'not-found' }, m7960);
    s = t1.state;
    const t2 = reduce(s, { type: 'file.result', at: 1, effect: fetches(t1)[0]!.id, name: 'CTLFile.tlv', error: 'not-found' }, m7960);
    expect(fetches(t2).map((e) => e.name)).toEqual([`${DEV}.cnf.xml`]);
  });
});

describe('§7 CTL', () => {
  it('CTL-3/CTL-5: a CTL is installed on first use; the next ITL is checked against it with no TVS query', async () => {
    const { lab: l2 } = await testLab();
    const c = await l2.createCluster({ name: 'M', release: '12.5', nodes: nodes('mpub', 'msub') });
    await c.upsertDevices([{ mac: MAC, model: '8861', profile: 'authenticated' }]);
    await c.ctlSetCluster('mixed');
    const r = boot(fresh(), { files: filesOf(c, 'msub', { ctl: true }) });
    expect(statuses(r)).toEqual(expect.arrayContaining([M.STATUS.ctlAndItlInstalled]));
    expect(r.state.boot).toMatchObject({ ctl: 'installed', itl: 'installed', config: 'applied' });
    expect(of(r, 'sip.register')[0]).toMatchObject({ transport: 'tls', mode: 'authenticated', credential: 'mic' });
    await c.regenerate('CallManager', 'msub');
    const r2 = reset(r.state, { files: filesOf(c, 'msub', { ctl: true }) });
    expect(r2.state.boot.itl).toBe('updated');
    expect(of(r2, 'tvs.verify')).toHaveLength(0);

    // TLS-3: with a CTL, CUCM's certificate is checked against the CTL's CCM records only, so the
    // new msub CallManager (in the new ITL, not yet in the CTL) is not an anchor until `utils ctl update`.
    const newCm = certOf(identityOf(c.state, 'CallManager', 'msub')!.certPem).der;
    const hex = (list: Uint8Array[]): string[] => list.map((x) => Buffer.from(x).toString('hex'));
    expect(hex(callManagerAnchors(r2.state.flash))).not.toContain(Buffer.from(newCm).toString('hex'));
    const { ctl: _ctl, ...noCtl } = r2.state.flash;
    expect(hex(callManagerAnchors(noCtl))).toContain(Buffer.from(newCm).toString('hex'));
    await c.ctlUpdate();
    const r3 = reset(r2.state, { files: filesOf(c, 'msub', { ctl: true }) });
    expect(hex(of(r3, 'sip.register')[0]!.trustedServers)).toContain(Buffer.from(newCm).toString('hex'));
  });

  it('BOOT-3: a secure profile without a CTL does not register securely', async () => {
    await A.upsertDevices([{ mac: MAC, model: '8861', profile: 'encrypted' }]);
    const r = boot(fresh(), { files: filesOf(A, 'apub') });
    expect(of(r, 'sip.register')).toHaveLength(0);
    expect(r.state.settled.reason).toContain('BOOT-3');
    await A.upsertDevices([{ mac: MAC, model: '8861' }]);
  });
});

describe('REC-4 and actions', () => {
  it('security reset erases CTL and ITL and takes the current ITL on first use; factory reset also erases the LSC', () => {
    const phone = { ...onA(), flash: { ...onA().flash, lsc: { certPem: 'x', keyPem: 'y' } } };
    const sec = run(phone, { type: 'action.security-reset', at: 3_000 }, { files: filesOf(B, 'bpub') });
    expect(statuses(sec)[0]).toBe(M.STATUS.erasing);
    expect(sec.state.flash.log.map((l) => l.message)).toContain(M.leapOfFaith);
    expect(sec.state.flash.lsc).toBeDefined();
    expect(sec.effects).toContainEqual(expect.objectContaining({ type: 'sip.register', credential: 'lsc' }));
    const fac = run(phone, { type: 'action.factory-reset', at: 3_000 }, { files: filesOf(B, 'bpub') });
    expect(fac.state.flash.lsc).toBeUndefined();
    expect(fac.effects).toContainEqual(expect.objectContaining({ type: 'sip.register', credential: 'mic' }));
  });

  it('changing the TFTP server (option 150) restarts the phone against the new server', () => {
    const t = reduce(onA(), { type: 'action.set-tftp', at: 5, servers: ['10.9.9.9'] }, model);
    expect(t.effects).toContainEqual(expect.objectContaining({ type: 'fetch', server: '10.9.9.9', name: `CTLSEP${MAC}.tlv` }));
  });
});

describe('CAPF-2/CAPF-3: enrolment', () => {
  it('secure profile: CAPF runs before registration and the LSC is presented; by auth string it waits for the string', async () => {
    const { lab: l2 } = await testLab();
    const c = await l2.createCluster({ name: 'K', release: '12.5', nodes: nodes('kpub') });
    await c.ctlSetCluster('mixed');
    await c.upsertDevices([{ mac: MAC, model: '8861', profile: 'encrypted', capf: { authMode: 'null-string', operation: 'install' } }]);
    const capf: Net['capf'] = () => ({ type: 'capf.result', at: 1, ok: true, lsc: { certPem: 'LSC', keyPem: 'KEY' } });
    const r = boot(fresh(), { files: filesOf(c, 'kpub', { ctl: true }), capf });
    const order = r.effects.filter((e) => e.type === 'capf.enroll' || e.type === 'sip.register').map((e) => e.type);
    expect(order).toEqual(['capf.enroll', 'sip.register']);
    expect(of(r, 'sip.register')[0]!.credential).toBe('lsc');
    expect(of(r, 'capf.enroll')[0]!.authMode).toBe(2);
    expect(of(r, 'capf.enroll')[0]!.trustedCapf.length).toBeGreaterThan(0);
    await c.upsertDevices([{ mac: MAC, model: '8861', profile: 'encrypted', capf: { authMode: 'auth-string', operation: 'install' } }]);
    const w = boot(fresh(), { files: filesOf(c, 'kpub', { ctl: true }), capf });
    expect(of(w, 'capf.enroll')).toHaveLength(0);
    expect(w.state.settled.state).toBe('enrolling');
    const typed = run(w.state, { type: 'action.auth-string', at: 9, value: '1234' }, { files: {}, capf });
    expect(of(typed, 'capf.enroll')[0]).toMatchObject({ authMode: 1, authString: '1234' });
    expect(typed.state.settled.state).toBe('registered');
  });
});

describe('TVS-1/TVS-5/TVS-6 (SC-23): HTTPS services', () => {
  const tomcat = (): Uint8Array => certOf(identityOf(A.state, 'tomcat', 'apub')!.certPem).der;
  const open = (s: PhoneState, net: Net, at = 5_000): Run => run(s, { type: 'action.open-service', at, service: 'directory' }, net, at);
  const appServer = (ttlSeconds = 86_400): NonNullable<Net['tvs']> => () => ({ type: 'tvs.result', at: 5_000, outcome: 'vouched', roles: [Role.APP_SERVER], ttlSeconds });

  it('the config names the publisher\'s Tomcat; an unknown server certificate goes to TVS and APP-SERVER lets the page load', () => {
    const phone = onA();
    expect(phone.settled.state).toBe('registered');
    expect(phone.config?.secureDirectoryURL).toBe(`https://${A.node('apub').ipv4}:8443/ccmcip/xmldirectory.jsp`);
    const r = open(phone, { files: {}, https: tomcat(), tvs: appServer() });
    expect(of(r, 'service.connect').map((e) => e.url)).toEqual([phone.config!.secureDirectoryURL]);
    const asked = of(r, 'tvs.verify');
    expect(asked).toHaveLength(1);
    expect(Buffer.from(asked[0]!.certificate).equals(Buffer.from(tomcat()))).toBe(true);
    expect(Buffer.from(of(r, 'service.fetch')[0]!.certificate).equals(Buffer.from(tomcat()))).toBe(true);
    expect(statuses(r)).toEqual([M.serviceLoaded('Corporate Directory')]);
    expect(r.state.lastService).toMatchObject({ outcome: 'loaded', trustedBy: 'tvs' });
    expect(r.state.flash.tvsCache.some((c) => c.roles.includes(Role.APP_SERVER) && c.expiresAt === 5_000 + 86_400_000)).toBe(true);
    expect(r.state.settled.state).toBe('registered');
  });

  it('TVS-5: within the TTL the cached answer serves without TVS; after it, TVS is asked again', () => {
    const first = open(onA(), { files: {}, https: tomcat(), tvs: appServer(100) }).state;
    const refused: Net = { files: {}, https: tomcat() };
    const cached = open(first, refused, 50_000);
    expect(of(cached, 'tvs.verify')).toHaveLength(0);
    expect(cached.state.lastService).toMatchObject({ outcome: 'loaded', trustedBy: 'tvs-cache' });
    const expired = open(first, refused, 200_000);
    expect(of(expired, 'tvs.verify')).toHaveLength(1);
    expect(of(expired, 'service.fetch')).toHaveLength(0);
    expect(expired.state.lastService?.outcome).toBe('failed');
    expect(statuses(expired)[0]).toMatch(/^Corporate Directory unavailable: server certificate not trusted: TVS connection-refused/);
    expect(expired.state.settled.state).toBe('registered');
  });

  it('TVS-6: a TVS answer without APP-SERVER (a CallManager-trust style {SAST, CCM+TFTP}) does not open the page', () => {
    const r = open(onA(), { files: {}, https: tomcat(), tvs: () => ({ type: 'tvs.result', at: 5_000, outcome: 'vouched', roles: [Role.SAST, Role.CCM_TFTP], ttlSeconds: 86_400 }) });
    expect(of(r, 'service.fetch')).toHaveLength(0);
    expect(r.state.lastService?.reason).toMatch(/not APP-SERVER/);
    expect(r.state.flash.tvsCache).toHaveLength(0);
  });

  it('TVS-1: a certificate the ITL carries (CallManager reusing Tomcat) is trusted without TVS', () => {
    const phone = onA();
    const cm = callManagerAnchors(phone.flash)[0]!;
    const r = open(phone, { files: {}, https: cm });
    expect(of(r, 'tvs.verify')).toHaveLength(0);
    expect(r.state.lastService).toMatchObject({ outcome: 'loaded', trustedBy: 'trust-list' });
  });

  it('a phone that is not registered does not open the service; a second open while one is in flight is ignored', () => {
    const off = open(fresh(), { files: {}, https: tomcat(), tvs: appServer() });
    expect(of(off, 'service.connect')).toHaveLength(0);
    expect(off.state.lastService?.reason).toBe('the phone is not registered');
    const phone = onA();
    const t = reduce(phone, { type: 'action.open-service', at: 5_000, service: 'directory' }, model);
    expect(t.effects.map((e) => e.type)).toEqual(['service.connect']);
    const again = reduce(t.state, { type: 'action.open-service', at: 5_001, service: 'directory' }, model);
    expect(again.effects).toEqual([]);
    expect(again.invalid).toBeUndefined();
    // A reset cancels the visit's effect; an answer for it afterwards is an INVALID_TRANSITION
    // finding (the shell drops such answers before they reach the reducer).
    const connect = t.effects[0] as Extract<PhoneEffect, { type: 'service.connect' }>;
    const reset1 = reduce(t.state, { type: 'action.reset', at: 5_002 }, model);
    expect(reset1.state.service).toBeNull();
    expect(reset1.effects).toContainEqual(expect.objectContaining({ type: 'cancel', ids: expect.arrayContaining([connect.id]) }));
    const late = reduce(reset1.state, { type: 'service.certificate', at: 5_003, effect: connect.id, url: phone.config!.secureDirectoryURL!, certificate: tomcat() }, model);
    expect(late.effects).toEqual([]);
    expect(late.state).toBe(reset1.state);
    expect(late.invalid).toMatchObject({ code: 'INVALID_TRANSITION', device: DEV, event: 'service.certificate' });
  });

  it('TVS-7: a model without Security by Default cannot ask TVS about an unknown server', () => {
    expect(decideServerCertificate(tomcat(), onA().flash, false, 5_000)).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/TVS-7/) });
    expect(decideServerCertificate(tomcat(), onA().flash, true, 5_000)).toEqual({ kind: 'ask-tvs' });
  });
});
