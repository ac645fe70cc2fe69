import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePhone, scenarioLab, type RunningCluster, type TestPhone } from '../helpers/phone-rig.js';
import { bulkConsolidate, bulkExport, certOf, identityOf, readConsolidated } from '../../src/cluster/index.js';
import { decodeTrustList, Role } from '../../src/trustlist/index.js';
import { parseCertificate, stripLeadingZeros } from '../../src/pki/index.js';
import * as M from '../../phones/machine/messages.js';

/**
 * phone-behaviour.md §15: migration, CTL, signed-config, CAPF and TLS scenarios, on real sockets
 * (HTTP 6970 / TFTP, TVS 2445, CAPF 3804, SIP 5060/5061 served from the cluster model).
 */
const rig = scenarioLab();
const cluster = rig.cluster;

type Profile = 'non-secure' | 'authenticated' | 'encrypted';

async function phoneOn(r: RunningCluster, o: { model?: string; profile?: Profile; capf?: { operation: 'install' | 'none'; authMode?: 'null-string' | 'auth-string' | 'existing-lsc' | 'existing-mic'; authString?: string } } = {}): Promise<TestPhone> {
  const model = o.model ?? '8861';
  const p = await makePhone(rig.lab, rig.clock, { tftp: [r.ip(r.cluster.publisher.hostname)], model });
  await r.cluster.upsertDevices([{ mac: p.phone.record.mac, model, profile: o.profile ?? 'non-secure', ...(o.capf ? { capf: o.capf } : {}) }]);
  return p;
}

const serialOf = (b64: string | undefined): string => Buffer.from(decodeTrustList(Buffer.from(b64!, 'base64')).header.signerSerial).toString('hex');
const serialOfCert = (pem: string): string => Buffer.from(stripLeadingZeros(certOf(pem).serial)).toString('hex');
const log = (p: TestPhone): string[] => p.phone.state.flash.log.map((l) => l.message);

describe('Migration (SC-11, MIG-2, MIG-4)', () => {
  it('SC-11: after bulk import into A and a TVS restart, phones moved to B ask A\'s TVS, get {SAST, TFTP}, install B\'s ITL and register to B', async () => {
    const A = await cluster('11.5', 'mA', { nodes: ['apub', 'asub'] });
    const B = await cluster('12.5', 'mB', { nodes: ['bpub'] });
    const p = await makePhone(rig.lab, rig.clock, { tftp: [A.ip('apub')] });
    for (const c of [A, B]) await c.cluster.upsertDevices([{ mac: p.phone.record.mac, model: '8861' }]);
    await p.act((x) => x.powerOn());
    expect(p.phone.settled.state).toBe('registered');

    const sftp = mkdtempSync(join(tmpdir(), 'sftp-'));
    await bulkExport(B.cluster.state, sftp);
    await bulkExport(A.cluster.state, sftp);
    await bulkConsolidate(sftp);
    await A.cluster.bulkImport(await readConsolidated(sftp), { types: ['TFTP', 'ITL_Recovery', 'CAPF'] });
    await A.cluster.restartService('TVS');

    A.mark();
    B.mark();
    await p.act((x) => x.setTftpServers([B.ip('bpub')]));
    const asked = A.since('tvs.verify.result');
    expect(asked).toEqual([expect.objectContaining({ status: 'valid', roles: [Role.SAST, Role.TFTP] })]);
    expect(asked[0]!.node).toMatch(/^a/);
    expect(B.since('tvs.connection')).toHaveLength(0);
    expect(p.last.statuses).toContain(M.STATUS.trustListUpdated);
    expect(serialOf(p.phone.state.flash.itl)).toBe(serialOfCert(identityOf(B.cluster.state, 'ITLRecovery', 'bpub')!.certPem));
    expect(p.phone.state.boot.config).toBe('applied');
    expect(B.since('sip.register')).toContainEqual(expect.objectContaining({ deviceName: p.phone.device }));
    expect(p.phone.settled.state).toBe('registered');
  });

  it('SC-11 without the import: A\'s TVS answers invalid and the phone refuses B\'s ITL', async () => {
    const A = await cluster('11.5', 'nA', { nodes: ['apub'] });
    const B = await cluster('12.5', 'nB', { nodes: ['bpub'] });
    const p = await makePhone(rig.lab, rig.clock, { tftp: [A.ip('apub')] });
    for (const c of [A, B]) await c.cluster.upsertDevices([{ mac: p.phone.record.mac, model: '8861' }]);
    await p.act((x) => x.powerOn());
    const before = p.phone.state.flash.itl;
    A.mark();
    await p.act((x) => x.setTftpServers([B.ip('bpub')]));
    const asked = A.since('tvs.verify.result') as Array<{ status: string; certificateSha256?: string }>;
    expect(asked.filter((e) => e.certificateSha256)).toHaveLength(1);
    expect(asked.every((e) => e.status === 'invalid')).toBe(true);
    expect(p.last.statuses).toContain(M.STATUS.trustListUpdateFailed);
    expect(p.phone.state.flash.itl).toBe(before);
    expect(p.phone.settled.state).not.toBe('registered');
  });
});

describe('CAPF and secure registration (SC-28, SC-16, issue 5)', () => {
  it('SC-28: with Encrypted + Install/Upgrade by null string, the phone enrols on 3804 first, then registers over TLS presenting the LSC', async () => {
    const r = await cluster('12.5', 'c28', { mixed: true });
    const p = await phoneOn(r, { profile: 'encrypted', capf: { operation: 'install', authMode: 'null-string' } });
    r.mark();
    await p.act((x) => x.powerOn());
    const order = p.last.effects.map((e) => e.effect).filter((e) => e === 'capf.enroll' || e === 'sip.register');
    expect(order).toEqual(['capf.enroll', 'sip.register']);
    expect(p.phone.state.flash.lsc).toBeDefined();
    const lsc = certOf(p.phone.state.flash.lsc!.certPem);
    expect(lsc.issuerCucm).toBe(certOf(identityOf(r.cluster.state, 'CAPF', 'pub')!.certPem).subjectCucm);
    const reg = r.since('sip.register');
    expect(reg).toEqual([expect.objectContaining({ deviceName: p.phone.device, transport: 'tls', profile: 'encrypted' })]);
    const accepted = r.since('sip.tls.accepted') as Array<{ certificate: { sha256?: string; subject?: string } }>;
    expect(JSON.stringify(accepted.at(-1)!.certificate)).toContain(p.phone.device);
    await r.servers.capf.flush();
    expect(certOf(r.cluster.device(p.phone.device)!.lscPem!).sha256).toBe(lsc.sha256);
    expect(r.cluster.device(p.phone.device)!.capf).toMatchObject({ operation: 'none', status: 'Upgrade Success' });
    expect(p.phone.settled.state).toBe('registered');
  });

  it('SC-28: by authentication string, the phone does not contact CAPF or register until the string is typed', async () => {
    const r = await cluster('12.5', 'c28s', { mixed: true });
    const p = await phoneOn(r, { profile: 'encrypted', capf: { operation: 'install', authMode: 'auth-string', authString: '246810' } });
    r.mark();
    await p.act((x) => x.powerOn());
    expect(p.phone.settled.state).toBe('enrolling');
    expect(r.since('capf.session')).toHaveLength(0);
    expect(r.since('sip.register')).toHaveLength(0);
    await p.act((x) => x.enterAuthString('246810'));
    expect(p.phone.state.flash.lsc).toBeDefined();
    expect(p.phone.settled.state).toBe('registered');
  });

  it('SC-16: an LSC from cluster A is refused by B (unknown CA); re-enrolling with B\'s CAPF fixes it', async () => {
    const A = await cluster('12.5', 'lA', { nodes: ['apub'], mixed: true });
    const B = await cluster('12.5', 'lB', { nodes: ['bpub'], mixed: true });
    const p = await phoneOn(A, { profile: 'encrypted', capf: { operation: 'install', authMode: 'null-string' } });
    await p.act((x) => x.powerOn());
    expect(p.phone.state.flash.lsc).toBeDefined();
    await B.cluster.upsertDevices([{ mac: p.phone.record.mac, model: '8861', profile: 'encrypted' }]);
    B.mark();
    // Move through option 150 after "Reset security settings" (the ITL goes, the LSC stays).
    await p.act((x) => {
      x.setTftpServers([B.ip('bpub')]);
      x.securityReset();
    });
    expect(B.since('sip.refused')).toContainEqual(expect.objectContaining({ stage: 'tls', reason: 'unknown CA' }));
    expect(log(p)).toContain(M.unknownCaAlert);
    expect(p.phone.settled.state).toBe('unregistered');

    await B.cluster.upsertDevices([{ mac: p.phone.record.mac, model: '8861', profile: 'encrypted', capf: { operation: 'install', authMode: 'null-string' } }]);
    await p.act((x) => x.reset());
    expect(certOf(p.phone.state.flash.lsc!.certPem).issuerCucm).toBe(certOf(identityOf(B.cluster.state, 'CAPF', 'bpub')!.certPem).subjectCucm);
    expect(p.phone.settled.state).toBe('registered');
  });

  it('issue 5: TVS on a socket vouches for Phone-SAST-trust with {SAST, TFTP}, answers invalid for CallManager-trust only, and a client pinned to the old TVS certificate fails after regeneration', async () => {
    const { tvsVerify } = await import('../../tvs-sim/index.js');
    const r = await cluster('12.5', 't5', { nodes: ['pub'] });
    const other = await cluster('12.5', 't5o', { nodes: ['opub'] });
    const foreign = identityOf(other.cluster.state, 'CallManager', 'opub')!.certPem;
    const tvsCert = (): Uint8Array => certOf(identityOf(r.cluster.state, 'TVS', 'pub')!.certPem).der;
    const ask = (trusted: Uint8Array) => tvsVerify({ members: [{ host: r.ip('pub'), port: 2445, priority: 0 }], trustedTvs: [trusted], certificate: certOf(foreign).der, deviceName: 'CP-8861-SEP001122334455', timeoutMs: 3000 });
    await r.cluster.uploadTrust({ store: 'CallManager-trust', node: 'pub', data: new Uint8Array(Buffer.from(foreign)) });
    expect(await ask(tvsCert())).toMatchObject({ kind: 'refused' });
    await r.cluster.uploadTrust({ store: 'Phone-SAST-trust', node: 'pub', data: new Uint8Array(Buffer.from(foreign)) });
    await r.cluster.restartService('TVS');
    expect(await ask(tvsCert())).toMatchObject({ kind: 'vouched', roles: [Role.SAST, Role.TFTP], ttlSeconds: 86400 });
    const old = tvsCert();
    await r.cluster.regenerate('TVS', 'pub');
    expect(await ask(old)).toMatchObject({ kind: 'server-certificate-not-trusted' });
    expect(await ask(tvsCert())).toMatchObject({ kind: 'vouched' });
  });
});

describe('CTL and mixed mode (SC-19, SC-20)', () => {
  it('SC-19: CallManager regenerated and the CTL updated (11.5): an SBD phone asks TVS and installs the CTL; a 7960 rejects it', async () => {
    const r = await cluster('11.5', 'c19', { mixed: true });
    const sbd = await phoneOn(r, { profile: 'authenticated' });
    const old = await phoneOn(r, { model: '7960', profile: 'authenticated' });
    await sbd.act((x) => x.powerOn());
    await old.act((x) => x.powerOn());
    expect(sbd.phone.settled.state).toBe('registered');
    const ctlBefore = old.phone.state.flash.ctl;
    expect(ctlBefore).toBeDefined();
    await r.cluster.regenerate('CallManager', 'pub');
    await r.cluster.ctlUpdate();
    await r.cluster.restartService('TFTP');
    await r.cluster.restartService('CallManager');
    r.mark();
    await sbd.act((x) => x.reset());
    expect(r.since('tvs.verify.result')[0]).toMatchObject({ status: 'valid', roles: expect.arrayContaining([Role.SAST]) });
    expect(log(sbd)).toEqual(expect.arrayContaining([M.tlVerified, M.tlUpdated]));
    expect(serialOf(sbd.phone.state.flash.ctl)).toBe(serialOfCert(identityOf(r.cluster.state, 'CallManager', 'pub')!.certPem));
    expect(sbd.phone.settled.state).toBe('registered');
    await old.act((x) => x.reset());
    expect(old.phone.state.flash.ctl).toBe(ctlBefore);
    expect(old.last.statuses).toContain(M.STATUS.ctlUpdateFailed);
  });

  it('SC-20: on 12.5 the updated CTL (still signed by ITLRecovery) is accepted locally and TLS validates; without the CTL update TLS fails', async () => {
    const r = await cluster('12.5', 'c20', { mixed: true });
    const p = await phoneOn(r, { profile: 'authenticated' });
    await p.act((x) => x.powerOn());
    expect(p.phone.settled.state).toBe('registered');
    const signer = serialOf(p.phone.state.flash.ctl);
    // Both nodes, or the phone would fail over to the subscriber whose certificate is unchanged.
    await r.cluster.regenerate('CallManager', 'pub');
    await r.cluster.regenerate('CallManager', 'sub');
    await r.cluster.restartService('CallManager');
    await r.cluster.restartService('TFTP');
    await p.act((x) => x.reset());
    expect(p.phone.settled.state).not.toBe('registered');
    expect(p.phone.settled.reason).toMatch(/certificate|trust/i);

    r.mark();
    await r.cluster.ctlUpdate();
    await p.act((x) => x.reset());
    expect(r.since('tvs.connection')).toHaveLength(0);
    expect(serialOf(p.phone.state.flash.ctl)).toBe(signer);
    expect(p.last.statuses).toContain(M.STATUS.trustListUpdated);
    expect(p.phone.settled.state).toBe('registered');
  });
});

describe('Signed configs and ECDSA (SC-21, SC-25)', () => {
  it('SC-21: a config signed by a key neither in the ITL nor in TVS is thrown away (errcode 19, Reason:14); the phone keeps its settings', async () => {
    const A = await cluster('12.5', 'c21', { nodes: ['pub'] });
    const X = await cluster('12.5', 'c21x', { nodes: ['xpub'] });
    const p = await phoneOn(A);
    await X.cluster.upsertDevices([{ mac: p.phone.record.mac, model: '8861' }]);
    await p.act((x) => x.powerOn());
    const config = p.phone.state.flash.config;
    A.mark();
    await p.act((x) => x.setTftpServers([X.ip('xpub')]));
    expect(log(p)).toContain(M.sgnSignerNotInCtl(p.phone.device));
    expect(p.last.statuses).toContain(M.authenticatedFail(p.phone.device));
    expect(p.phone.state.flash.config).toBe(config);
    expect(p.phone.state.config!.callManagers[0]!.address).toBe(A.ip('pub'));
    expect(A.since('tvs.verify.result').every((e) => (e as { status: string }).status === 'invalid')).toBe(true);
    expect(p.phone.settled.state).toBe('registered-stale-config');
  });

  it('SC-25: with "ECDSA Only", a phone whose ITL lacks CallManager-ECDSA cannot validate CUCM; with the record, or an RSA suite, it registers', async () => {
    const r = await cluster('14', 'c25', { nodes: ['pub'], mixed: true, ecdsa: false });
    const p = await phoneOn(r, { profile: 'encrypted' });
    await p.act((x) => x.powerOn());
    expect(p.phone.settled.state).toBe('registered');
    const itl = decodeTrustList(Buffer.from(p.phone.state.flash.itl!, 'base64'));
    expect(itl.records.every((x) => !x.certificate || parseCertificate(x.certificate).keyType !== 'ec')).toBe(true);
    await r.cluster.generate({ purpose: 'CallManager-ECDSA', node: 'pub' });
    await r.cluster.restartService('CallManager');
    await r.cluster.setParam('tlsCiphers', 'ECDSA Only');
    // The re-REGISTER (no reset, so the ITL is the old one) negotiates ECDHE-ECDSA.
    r.mark();
    await p.act(() => rig.clock.advance(3_600_000));
    expect(p.phone.settled.state).not.toBe('registered');
    expect(p.phone.settled.reason).toMatch(/not in the phone's CTL\/ITL/);
    expect(r.since('sip.register')).toHaveLength(0);
    await p.act((x) => x.reset());
    expect(p.phone.settled.state).toBe('registered');
    await r.cluster.setParam('tlsCiphers', 'All Ciphers RSA Preferred');
    await p.act((x) => x.reset());
    expect(p.phone.settled.state).toBe('registered');
  });
});
