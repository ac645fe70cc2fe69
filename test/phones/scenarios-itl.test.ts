import { describe, expect, it } from 'vitest';
import { makePhone, scenarioLab, TEST_TFTP_PORT, type RunningCluster } from '../helpers/phone-rig.js';
import { identityOf } from '../../src/cluster/index.js';
import { ClusterServers } from '../../src/cluster/serve/index.js';
import { systemClock } from '../../src/shared/clock.js';
import { decodeTrustList, Role } from '../../src/trustlist/index.js';
import * as M from '../../phones/machine/messages.js';

/**
 * phone-behaviour.md §15, the ITL scenarios, on real sockets: phones download over HTTP 6970
 * (or TFTP), ask the cluster's TVS over TLS on 2445, and register with the registrar, all
 * served from the cluster model by ClusterServers. Each `it` is one scenario with its outcome.
 */
const rig = scenarioLab();
const cluster = rig.cluster;

/** A cluster with one provisioned phone that has booted and registered once. */
async function registeredPhone(r: RunningCluster, model = '8861') {
  const p = await makePhone(rig.lab, rig.clock, { tftp: [r.ip('pub')], model });
  await r.cluster.upsertDevices([{ mac: p.phone.record.mac, model }]);
  await p.act((x) => x.powerOn());
  expect(p.phone.settled.state).toBe('registered');
  return p;
}

const itlSigner = (bytes: string | undefined): string => decodeTrustList(Buffer.from(bytes!, 'base64')).header.signerName;
const itlSerial = (bytes: string | undefined): string => Buffer.from(decodeTrustList(Buffer.from(bytes!, 'base64')).header.signerSerial).toString('hex');

describe('ITL scenarios (phone-behaviour.md §15)', () => {
  it('SC-1: a factory-fresh phone takes the ITL on first use, with no TVS query, verifies the signed config and registers non-secure', async () => {
    const r = await cluster('12.5', 'sc1');
    const p = await makePhone(rig.lab, rig.clock, { tftp: [r.ip('pub')] });
    await r.cluster.upsertDevices([{ mac: p.phone.record.mac, model: '8861' }]);
    r.mark();
    await p.act((x) => x.powerOn());
    expect(p.last.statuses).toContain(M.STATUS.itlInstalled);
    expect(p.phone.state.flash.log.map((l) => l.message)).toContain(M.leapOfFaith);
    expect(r.since('tvs.verify.result')).toHaveLength(0);
    expect(itlSigner(p.phone.state.flash.itl)).toContain('ITLRECOVERY');
    expect(p.phone.state.boot.config).toBe('applied');
    expect(p.last.effects.filter((e) => e.effect === 'fetch').map((e) => e.detail.split(' ')[1])).toContain(`${p.phone.device}.cnf.xml.sgn`);
    expect(p.phone.settled).toMatchObject({ state: 'registered' });
    expect(r.since('sip.register')).toContainEqual(expect.objectContaining({ deviceName: p.phone.device, transport: 'tcp' }));
  });

  it('SC-2: a reset with an unchanged ITL verifies locally, with no TVS connection and no status change', async () => {
    const r = await cluster('12.5', 'sc2');
    const p = await registeredPhone(r);
    r.mark();
    await p.act((x) => x.reset());
    expect(p.phone.state.boot.itl).toBe('unchanged');
    expect(r.since('tvs.connection')).toHaveLength(0);
    expect(p.last.statuses).not.toContain(M.STATUS.trustListUpdated);
    expect(p.phone.settled.state).toBe('registered');
  });

  it('SC-3: CallManager regenerated alone on 11.5: TVS vouches for the new signer {SAST, CCM+TFTP}, the phone caches it and updates', async () => {
    const r = await cluster('11.5', 'sc3');
    const p = await registeredPhone(r);
    const oldSerial = itlSerial(p.phone.state.flash.itl);
    await r.cluster.regenerate('CallManager', 'pub');
    await r.cluster.restartService('TFTP');
    r.mark();
    await p.act((x) => x.reset());
    const asked = r.since('tvs.verify.result');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ status: 'valid', roles: [Role.SAST, Role.CCM_TFTP] });
    expect(p.last.statuses).toContain(M.STATUS.trustListUpdated);
    expect(itlSerial(p.phone.state.flash.itl)).not.toBe(oldSerial);
    expect(p.phone.state.flash.tvsCache).toHaveLength(1);
    expect(p.phone.state.flash.tvsCache[0]!.expiresAt - rig.clock.now()).toBe(86_400_000);
    expect(p.phone.state.boot.config).not.toBe('rejected');
    expect(p.phone.settled.state).toBe('registered');
  });

  it('SC-4: CallManager and TVS regenerated together on 11.5: the TVS handshake fails, the ITL and configs are rejected, the phone keeps A', async () => {
    const r = await cluster('11.5', 'sc4');
    const p = await registeredPhone(r);
    const before = p.phone.state.flash.itl;
    await r.cluster.regenerate('CallManager', 'pub');
    await r.cluster.regenerate('TVS', 'pub');
    await r.cluster.regenerate('TVS', 'sub');
    await r.cluster.restartService('TFTP');
    r.mark();
    await p.act((x) => x.reset());
    expect(r.since('tvs.verify.result')).toHaveLength(0);
    expect(p.last.statuses).toContain(M.STATUS.trustListUpdateFailed);
    expect(p.phone.state.flash.itl).toBe(before);
    expect(p.phone.state.flash.log.map((l) => l.message)).toContain(M.sgnSignerNotInCtl(p.phone.device));
    expect(p.phone.state.boot.config).toBe('rejected');
    expect(p.phone.settled.state).toBe('registered-stale-config');
    // Nothing changes on later resets: recovery needs the phone menu (SC-29).
    await p.act((x) => x.reset());
    expect(p.phone.state.flash.itl).toBe(before);
  });

  it('SC-5: the correct order on 11.5 (TVS, reset, then CallManager) needs no TVS in step 1 and trusts T′ in step 2', async () => {
    const r = await cluster('11.5', 'sc5');
    const p = await registeredPhone(r);
    await r.cluster.regenerate('TVS', 'pub');
    await r.cluster.regenerate('TVS', 'sub');
    await r.cluster.restartService('TFTP');
    r.mark();
    await p.act((x) => x.reset());
    expect(r.since('tvs.connection')).toHaveLength(0);
    expect(p.last.statuses).toContain(M.STATUS.trustListUpdated);
    await r.cluster.regenerate('CallManager', 'pub');
    await r.cluster.restartService('TFTP');
    r.mark();
    await p.act((x) => x.reset());
    expect(r.since('tvs.verify.result')).toEqual([expect.objectContaining({ status: 'valid' })]);
    expect(p.last.statuses).toContain(M.STATUS.trustListUpdated);
    expect(p.phone.settled.state).toBe('registered');
  });

  it('SC-6: CallManager and TVS together on 12.5: the ITL is still signed by ITLRecovery and accepted locally', async () => {
    const r = await cluster('12.5', 'sc6');
    const p = await registeredPhone(r);
    const signer = itlSigner(p.phone.state.flash.itl);
    const res = await r.cluster.regenerate('CallManager', 'pub');
    await r.cluster.regenerate('TVS', 'pub');
    r.mark();
    await p.act((x) => x.reset());
    expect(r.since('tvs.connection')).toHaveLength(0);
    expect(itlSigner(p.phone.state.flash.itl)).toBe(signer);
    const newCm = identityOf(r.cluster.state, 'CallManager', 'pub')!.certPem;
    const records = decodeTrustList(Buffer.from(p.phone.state.flash.itl!, 'base64')).records;
    expect(records.some((x) => x.certificate && Buffer.from(x.certificate).equals(Buffer.from(newCm.replace(/-----[^-]+-----|\s/g, ''), 'base64')))).toBe(true);
    expect(p.phone.settled.state).toBe('registered');
    expect(res.events).toContainEqual(expect.objectContaining({ type: 'service.restart-required', service: 'CallManager' }));
  });

  it('SC-7: CallManager, TVS and ITLRecovery renewed together on 15: the phone rejects the ITL; a factory reset recovers it', async () => {
    const r = await cluster('15', 'sc7');
    const p = await registeredPhone(r);
    const before = p.phone.state.flash.itl;
    await r.cluster.regenerate('CallManager', 'pub');
    await r.cluster.regenerate('TVS', 'pub');
    await r.cluster.regenerate('TVS', 'sub');
    await r.cluster.regenerate('ITLRecovery', 'pub');
    await r.cluster.restartService('TFTP');
    await p.act((x) => x.reset());
    expect(p.last.statuses).toContain(M.STATUS.trustListUpdateFailed);
    expect(p.phone.state.flash.itl).toBe(before);
    expect(['registered-stale-config', 'trust-update-failed']).toContain(p.phone.settled.state);
    await p.act((x) => x.factoryReset());
    expect(p.last.statuses).toContain(M.STATUS.itlInstalled);
    expect(p.phone.settled.state).toBe('registered');
  });

  it('SC-8: ITLRecovery regeneration with utils itl reset localkey: both ITLs are accepted without TVS; skipping the reset needs TVS', async () => {
    const r = await cluster('14', 'sc8');
    const p = await registeredPhone(r);
    await r.cluster.regenerate('ITLRecovery', 'pub');
    await r.cluster.itlReset({ which: 'localkey' });
    r.mark();
    await p.act((x) => x.reset());
    expect(p.last.statuses).toContain(M.STATUS.trustListUpdated);
    expect(itlSigner(p.phone.state.flash.itl)).not.toContain('ITLRECOVERY');
    await r.cluster.restartService('TFTP');
    await p.act((x) => x.reset());
    expect(p.last.statuses).toContain(M.STATUS.trustListUpdated);
    expect(itlSigner(p.phone.state.flash.itl)).toContain('ITLRECOVERY');
    expect(r.since('tvs.connection')).toHaveLength(0);
    expect(p.phone.settled.state).toBe('registered');

    // Step 2 skipped: the new ITLRecovery is unknown, so only TVS can vouch for it.
    const q = await registeredPhone(r);
    await r.cluster.regenerate('ITLRecovery', 'pub');
    await r.cluster.restartService('TFTP');
    r.mark();
    await q.act((x) => x.reset());
    expect(r.since('tvs.verify.result')).toEqual([expect.objectContaining({ status: 'valid', roles: expect.arrayContaining([Role.SAST]) })]);
    expect(q.last.statuses).toContain(M.STATUS.trustListUpdated);
  });

  it('SC-10: every TVS unreachable: the phone tries each member in priority order, rejects the ITL and keeps its trust', async () => {
    const r = await cluster('11.5', 'sc10');
    const p = await registeredPhone(r);
    const before = p.phone.state.flash.itl;
    await r.servers.close(); // TVS (and everything) goes away …
    const again = await startClusterServersWithout(r, 'tvs');
    await r.cluster.regenerate('CallManager', 'pub');
    await r.cluster.restartService('TFTP');
    await p.act((x) => x.reset());
    const tvs = p.last.effects.filter((e) => e.effect === 'tvs.verify');
    expect(tvs).toHaveLength(1);
    const line = p.phone.state.flash.log.map((l) => l.message).find((m) => /TVS/.test(m) && m.includes(r.ip('sub')))!;
    expect(line.indexOf(r.ip('pub'))).toBeGreaterThanOrEqual(0);
    expect(line.indexOf(r.ip('pub'))).toBeLessThan(line.indexOf(r.ip('sub')));
    expect(p.last.statuses).toContain(M.STATUS.trustListUpdateFailed);
    expect(p.phone.state.flash.itl).toBe(before);
    await again.close();
  });

  it('SC-29: a phone stuck in SC-4 recovers through Reset security settings: erase, trust on first use, signed configs accepted', async () => {
    const r = await cluster('11.5', 'sc29');
    const p = await registeredPhone(r);
    await r.cluster.regenerate('CallManager', 'pub');
    await r.cluster.regenerate('TVS', 'pub');
    await r.cluster.regenerate('TVS', 'sub');
    await r.cluster.restartService('TFTP');
    await p.act((x) => x.reset());
    expect(p.phone.settled.state).toBe('registered-stale-config');
    await p.act((x) => x.securityReset());
    expect(p.last.statuses).toEqual(expect.arrayContaining([M.STATUS.erasing, M.STATUS.itlInstalled]));
    expect(p.last.statuses.indexOf(M.STATUS.erasing)).toBeLessThan(p.last.statuses.indexOf(M.STATUS.itlInstalled));
    expect(p.phone.state.boot.config).not.toBe('rejected');
    expect(p.phone.settled.state).toBe('registered');
  });
});

/** Restarts a cluster's servers with one service left out (SC-10: TVS refuses connections). */
async function startClusterServersWithout(r: RunningCluster, service: 'tvs'): Promise<{ close(): Promise<void> }> {
  const s = new ClusterServers(r.cluster, { clock: rig.clock, netClock: systemClock, ports: { tftp: TEST_TFTP_PORT }, services: { [service]: false } });
  await s.listen();
  return s;
}
