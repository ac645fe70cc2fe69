import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodes, testLab } from '../helpers/lab.js';
import { trustlab } from '../helpers/cli.js';
import { certOf, identityOf, buildItl, type Cluster, type Lab } from '../../src/cluster/index.js';
import { decodeTrustList, roleName, verifyTrustList, verifySignedFile, decodeSignedFile, anchorOfCertificate, anchorOfRecord, Role } from '../../src/trustlist/index.js';
import { decodeDeviceConfig } from '../../src/config/index.js';
import { signCertificate, toPem } from '../../src/pki/index.js';

/**
 * The files the modelled TFTP service serves, by release and mode (formats.md §1.5;
 * phone-behaviour.md CONT-1..CONT-5, CTL-2, REC-1, ITL-8, CFG-1).
 */
let lab: Lab;
let dir: string;
let c115: Cluster;
let c125: Cluster;

beforeAll(async () => {
  ({ lab, dir } = await testLab());
  c115 = await lab.createCluster({ name: 'A115', release: '11.5', nodes: nodes('pub', 'sub1') });
  c125 = await lab.createCluster({ name: 'B125', release: '12.5', nodes: nodes('pub', 'sub1') });
}, 120_000);

const subjects = (c: Cluster, purpose: Parameters<typeof identityOf>[1], node: string): string => certOf(identityOf(c.state, purpose, node)!.certPem).subjectCucm;
const roles = (bytes: Uint8Array): string[] => decodeTrustList(bytes).records.map((r) => `${roleName(r.role)}:${r.subject ?? '(placeholder)'}`);

describe('ITL by release', () => {
  it('11.5: signed by the TFTP node\'s CallManager, ITLRecovery as second SAST; verified by `trustlab itl verify`', async () => {
    const itl = c115.itl('sub1');
    const list = decodeTrustList(itl);
    expect(list.header.signerName).toBe(subjects(c115, 'CallManager', 'sub1'));
    expect(roles(itl)).toEqual([
      `SAST:${subjects(c115, 'CallManager', 'sub1')}`,
      `TFTP:${subjects(c115, 'CallManager', 'sub1')}`,
      `TFTP:${subjects(c115, 'CallManager-ECDSA', 'sub1')}`,
      `SAST:${subjects(c115, 'ITLRecovery', 'sub1')}`,
      `CAPF:${subjects(c115, 'CAPF', 'pub')}`,
      `TVS:${subjects(c115, 'TVS', 'pub')}`,
      `TVS:${subjects(c115, 'TVS', 'sub1')}`,
    ]);
    const r = await trustlab(['itl', 'verify', join(dir, 'clusters', 'A115', 'tftp', 'sub1', 'ITLFile.tlv'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).signerSubject).toBe(subjects(c115, 'CallManager', 'sub1'));
  });

  it('12.5: signed by the cluster-wide ITLRecovery, CallManager as second SAST; verified by `trustlab itl verify`', async () => {
    const itl = c125.itl('sub1');
    expect(decodeTrustList(itl).header.signerName).toBe(subjects(c125, 'ITLRecovery', 'pub'));
    expect(identityOf(c125.state, 'ITLRecovery', 'sub1')!.certPem).toBe(identityOf(c125.state, 'ITLRecovery', 'pub')!.certPem);
    expect(roles(itl).slice(0, 3)).toEqual([
      `SAST:${subjects(c125, 'ITLRecovery', 'pub')}`,
      `SAST:${subjects(c125, 'CallManager', 'sub1')}`,
      `TFTP:${subjects(c125, 'CallManager', 'sub1')}`,
    ]);
    expect(verifyTrustList(itl).reason).toBe('VALID');
    const r = await trustlab(['itl', 'verify', join(dir, 'clusters', 'B125', 'tftp', 'sub1', 'ITLFile.tlv')]);
    expect(r.code).toBe(0);
  });

  it('is byte-identical on every read until a certificate changes', async () => {
    const a = buildItl(c125.state, c125.node('pub')).bytes;
    expect(Buffer.from(buildItl(structuredClone(c125.state), c125.node('pub')).bytes).equals(Buffer.from(a))).toBe(true);
    await c125.regenerate('TVS', 'sub1');
    const b = c125.itl('pub');
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(false);
    expect(decodeTrustList(b).records.filter((r) => r.role === Role.TVS).map((r) => certOf(toPem(r.certificate!)).sha256)).toContain(certOf(identityOf(c125.state, 'TVS', 'sub1')!.certPem).sha256);
  });

  it('rollback to pre-8.0 empties the TFTP and TVS sections (placeholders) and resets phones', async () => {
    const r = await c115.setParam('rollbackToPre80', true);
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'phones.reset', by: 'cluster' }));
    const list = decodeTrustList(c115.itl('pub'));
    const tftpTvs = list.records.filter((x) => x.role === Role.TFTP || x.role === Role.TVS);
    expect(tftpTvs.length).toBe(3);
    expect(tftpTvs.every((x) => x.certificate === undefined)).toBe(true);
    expect(verifyTrustList(c115.itl('pub')).valid).toBe(true);
    await c115.setParam('rollbackToPre80', false);
    expect(decodeTrustList(c115.itl('pub')).records.filter((x) => x.role === Role.TVS).every((x) => x.certificate)).toBe(true);
  });
});

describe('utils itl reset (REC-1, §14 C4)', () => {
  it('12.5 localkey: the same records signed by CallManager, served until TFTP restarts', async () => {
    const normal = decodeTrustList(c125.itl('pub'));
    await c125.itlReset({ which: 'localkey' });
    for (const n of ['pub', 'sub1']) {
      const reset = decodeTrustList(c125.itl(n));
      expect(reset.header.signerName).toBe(subjects(c125, 'CallManager', 'pub'));
      expect(reset.records.map((r) => r.subject)).toEqual(normal.records.map((r) => r.subject));
      expect(verifyTrustList(c125.itl(n)).reason).toBe('VALID');
    }
    await c125.restartService('TFTP', ['sub1']);
    expect(decodeTrustList(c125.itl('sub1')).header.signerName).toBe(subjects(c125, 'ITLRecovery', 'pub'));
    expect(decodeTrustList(c125.itl('pub')).header.signerName).toBe(subjects(c125, 'CallManager', 'pub'));
    await c125.restartService('TFTP');
  });

  it('11.5 localkey: signed by ITLRecovery (the SAST that is not the normal signer)', async () => {
    await c115.itlReset({ which: 'localkey' });
    expect(decodeTrustList(c115.itl('pub')).header.signerName).toBe(subjects(c115, 'ITLRecovery', 'pub'));
    await c115.restartService('TFTP');
  });

  it('remotekey: signed with the recovery key brought from SFTP', async () => {
    const id = identityOf(c125.state, 'ITLRecovery', 'pub')!;
    await c125.itlReset({ which: 'remotekey', remoteKeyPem: id.certPem + id.keyPem });
    expect(decodeTrustList(c125.itl('pub')).header.signerName).toBe(subjects(c125, 'ITLRecovery', 'pub'));
    await expect(c125.itlReset({ which: 'remotekey', remoteKeyPem: 'garbage' })).rejects.toMatchObject({ code: 'PKI_BAD_CERTIFICATE' });
    await c125.restartService('TFTP');
  });
});

describe('Mixed mode and the tokenless CTL (CTL-1, CTL-2, CONT-4)', () => {
  it('set-cluster mixed-mode writes a CTL: ITLRecovery and publisher CallManager as SAST, CCM+TFTP per node, CAPF, no TVS', async () => {
    const r = await c125.ctlSetCluster('mixed');
    expect(r.events).toContainEqual({ type: 'cluster.mode', securityMode: 'mixed' });
    const ctl = c125.ctl()!;
    const list = decodeTrustList(ctl);
    expect(list.header.filename).toBe('CTLFile.tlv');
    expect(list.header.signerName).toBe(subjects(c125, 'ITLRecovery', 'pub'));
    expect(roles(ctl)).toEqual([
      `SAST:${subjects(c125, 'ITLRecovery', 'pub')}`,
      `SAST:${subjects(c125, 'CallManager', 'pub')}`,
      `CCM+TFTP:${subjects(c125, 'CallManager', 'pub')}`,
      `CCM+TFTP:${subjects(c125, 'CallManager', 'sub1')}`,
      `CAPF:${subjects(c125, 'CAPF', 'pub')}`,
    ]);
    expect(verifyTrustList(ctl).reason).toBe('VALID');
    expect(decodeTrustList(c125.itl('pub')).records.filter((x) => x.role === Role.CCM_TFTP)).toHaveLength(2);
  });

  it('the CTL is a written file: a regenerated CAPF is missing until utils ctl update (SC-18)', async () => {
    const before = decodeTrustList(c125.ctl()!).records.find((x) => x.role === Role.CAPF)!.serial!;
    const r = await c125.regenerate('CAPF', 'pub');
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'ctl.update.required' }));
    expect(Buffer.from(decodeTrustList(c125.ctl()!).records.find((x) => x.role === Role.CAPF)!.serial!).equals(Buffer.from(before))).toBe(true);
    await c125.ctlUpdate();
    expect(decodeTrustList(c125.ctl()!).records.find((x) => x.role === Role.CAPF)!.subject).toBe(subjects(c125, 'CAPF', 'pub'));
    expect(Buffer.from(decodeTrustList(c125.ctl()!).records.find((x) => x.role === Role.CAPF)!.serial!).equals(Buffer.from(before))).toBe(false);
  });

  it('reset localkey signs with CallManager; non-secure-mode leaves a CTL with placeholder CCM+TFTP records', async () => {
    await c125.ctlResetLocalkey();
    expect(decodeTrustList(c125.ctl()!).header.signerName).toBe(subjects(c125, 'CallManager', 'pub'));
    await c125.ctlSetCluster('non-secure');
    const list = decodeTrustList(c125.ctl()!);
    const ccm = list.records.filter((x) => x.role === Role.CCM_TFTP);
    expect(ccm.every((x) => x.certificate === undefined && x.dnsName === x.ipAddress?.join('.'))).toBe(true);
    await expect(c125.ctlUpdate()).rejects.toMatchObject({ code: 'CTL_NOT_MIXED' });
  });

  it('11.5 CTL is signed by the publisher CallManager, listed first', async () => {
    await c115.ctlSetCluster('mixed');
    const list = decodeTrustList(c115.ctl()!);
    expect(list.header.signerName).toBe(subjects(c115, 'CallManager', 'pub'));
    expect(list.records[0]!.subject).toBe(subjects(c115, 'CallManager', 'pub'));
    expect(list.records[1]!.subject).toBe(subjects(c115, 'ITLRecovery', 'pub'));
    await c115.ctlSetCluster('non-secure');
  });
});

describe('Signed device configs (CFG-1, TVS-2, CAPF-2)', () => {
  it('are signed by the TFTP node\'s CallManager key, even when ITLRecovery signs the ITL', async () => {
    await c125.upsertDevices([{ mac: '00aabbcc0001', model: '8861', profile: 'authenticated', capf: { authMode: 'null-string', operation: 'install' } }]);
    const sgn = c125.config('SEP00AABBCC0001', { signed: true, node: 'sub1' })!;
    const cm = certOf(identityOf(c125.state, 'CallManager', 'sub1')!.certPem);
    expect(verifySignedFile(sgn, [anchorOfCertificate(cm)]).reason).toBe('VALID');
    const tftpRecords = decodeTrustList(c125.itl('sub1')).records.filter((r) => r.role === Role.TFTP || r.role === Role.CCM_TFTP).map((r) => anchorOfRecord(r)!);
    expect(verifySignedFile(sgn, tftpRecords).reason).toBe('VALID');
    expect(decodeSignedFile(sgn).header.filename).toBe('SEP00AABBCC0001.cnf.xml.sgn');
    const cfg = decodeDeviceConfig(decodeSignedFile(sgn).payload);
    expect(cfg.deviceSecurityMode).toBe(2);
    expect(cfg.capfAuthMode).toBe(2);
    expect(cfg.tvs.map((t) => t.address)).toEqual(c125.state.nodes.map((n) => n.ipv4));
    expect(cfg.callManagers.map((m) => m.address)).toEqual(c125.state.nodes.map((n) => n.ipv4));
    expect(cfg.capf).toEqual([{ address: c125.publisher.ipv4, port: 3804 }]);
  });
});

describe('ITL size warning (FMT-6)', () => {
  it('warns when an ITL passes 64 KB', async () => {
    const { lab: lab2 } = await testLab();
    const big = await lab2.createCluster({ name: 'big', release: '14', nodes: nodes('p') });
    const tvs = identityOf(big.state, 'TVS', 'p')!;
    const keys = await lab2.pool.take({ type: 'rsa', bits: 4096 });
    const r = await big.apply('add TVS nodes', async (s) => {
      for (let i = 0; i < 26; i++) {
        const host = `tvs${i}`;
        s.nodes.push({ hostname: host, domain: 'lab.example', ipv4: `127.9.0.${i + 1}`, role: 'subscriber', services: ['TVS'] });
        const cert = await signCertificate({ subject: [['CN', `${host}.lab.example`]], publicKey: keys.publicKey, signer: { privateKey: keys.privateKey }, notBefore: new Date(0), notAfter: new Date(Date.UTC(2040, 0)) });
        s.identities.push({ ...tvs, nodes: [host], certPem: toPem(cert.der), keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string });
      }
      return [];
    });
    expect(big.itl('p').length).toBeGreaterThan(64 * 1024);
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'warning', code: 'ITL_TOO_LARGE' }));
  });
});
