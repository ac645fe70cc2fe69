import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../src/cluster/index.js';
import { crlUrlOf, enterpriseOf, labRevocationSource, noteIssued, noteRevoked, ocspUrlOf, readLabCa, updateLabCa } from '../src/cluster/lab-ca.js';
import { AlarmLog, HOUR_MS, RevocationSchedule } from '../src/monitor/index.js';
import { parseCsr, signCsr, toPem, type CertificateAuthority, type CertificateInfo } from '../src/pki/index.js';
import { RevocationServer } from '../src/revocation/index.js';
import type { ManualClock } from '../src/shared/clock.js';
import { nodes, testLab } from './helpers/lab.js';
import { until } from './sip-helpers.js';
import { createSocket } from 'node:dgram';

/**
 * Issue 16 §2: "Enable Revocation Check" re-checks the cluster's CA-issued certificates on its
 * frequency (on the cluster's clock), records each result with trigger `schedule`, raises
 * CertificateRevoked for a revoked one, and CRLChanged when the CRL differs from the last one.
 */
describe('scheduled revocation checks', () => {
  let cluster: Cluster;
  let clock: ManualClock;
  let dir: string;
  let ca: RevocationServer;
  let issuing: CertificateAuthority;
  let tomcat: CertificateInfo;
  let log: AlarmLog;
  let schedule: RevocationSchedule;
  let base: string;

  beforeAll(async () => {
    const t = await testLab({ start: new Date() });
    clock = t.clock;
    dir = t.dir;
    ca = new RevocationServer({ source: labRevocationSource(t.lab, 0), clock });
    const { port } = await ca.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${port}`;
    await updateLabCa(dir, 'test', (j) => {
      j.url = base;
    });
    cluster = await t.lab.createCluster({ name: 'A', release: '15', nodes: nodes('pub') });
    issuing = enterpriseOf(t.lab).issuing;
    await cluster.uploadTrust({ store: 'tomcat-trust', node: 'pub', data: new TextEncoder().encode(toPem(enterpriseOf(t.lab).root.certificate.der) + toPem(issuing.certificate.der)) });
    await cluster.csr({ purpose: 'tomcat', node: 'pub' });
    const csr = parseCsr(cluster.state.csrs.find((c) => c.purpose === 'tomcat')!.csrPem);
    const j = await readLabCa(dir);
    tomcat = await signCsr(issuing, csr, { now: new Date(clock.now()), ocspUrls: [ocspUrlOf(j)], crlUrls: [crlUrlOf(j, issuing)] });
    await updateLabCa(dir, 'test', (x) => noteIssued(x, issuing, tomcat, new Date(clock.now())));
    await cluster.uploadIdentity({ purpose: 'tomcat', node: 'pub', data: new TextEncoder().encode(toPem(tomcat.der)) });
    log = new AlarmLog(`${dir}/clusters/A/alarms.ndjson`);
    schedule = new RevocationSchedule({ clock, cluster: () => cluster, alarms: log });
  }, 120_000);

  afterAll(async () => {
    await schedule?.stop();
    await ca?.close();
  });

  const tick = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await schedule.idle();
  };

  it('runs on the check frequency, not before, and records the results as scheduled', async () => {
    await cluster.setRevocation({ ocspEnabled: true, revocationCheckEnabled: true, checkEvery: 12, checkUnit: 'hours' });
    schedule.refresh();
    await tick(12 * HOUR_MS - 1);
    expect(cluster.state.revocationChecks ?? []).toEqual([]);
    await tick(1);
    expect(cluster.state.revocationChecks).toEqual([expect.objectContaining({ where: 'identity/tomcat', status: 'good', trigger: 'schedule' })]);
  });

  it('a revocation at the CA is found on the next scheduled check and raises CertificateRevoked', async () => {
    await updateLabCa(dir, 'test', (j) => noteRevoked(j, issuing, tomcat.serialHex, new Date(clock.now()), 'keyCompromise'));
    await tick(12 * HOUR_MS);
    expect(cluster.state.revocationChecks).toEqual([expect.objectContaining({ where: 'identity/tomcat', status: 'revoked', by: 'OCSP DTM' })]);
    expect((await log.read()).filter((a) => a.name === 'CertificateRevoked')).toEqual([expect.objectContaining({ severity: 'Emergency', node: 'pub' })]);
  });

  it('with Enable CRL, a CRL that changed since the last download raises CRLChanged, in the log and to syslog', async () => {
    const syslog = createSocket('udp4');
    const datagrams: string[] = [];
    syslog.on('message', (m) => datagrams.push(m.toString('utf8')));
    await new Promise<void>((r) => syslog.bind(0, '127.0.0.1', () => r()));
    await cluster.setCertMonitor({ syslog: { host: '127.0.0.1', port: syslog.address().port } });
    await cluster.setRevocation({ ocspEnabled: false, crlEnabled: true, crlUri: `${base}/crl/${issuing.name}.crl` });
    schedule.refresh();
    await tick(12 * HOUR_MS);
    expect((await log.read()).filter((a) => a.name === 'CRLChanged')).toEqual([]);
    // Another certificate the CA issues and then revokes changes its CRL.
    await cluster.csr({ purpose: 'CallManager', node: 'pub' });
    const other = await signCsr(issuing, parseCsr(cluster.state.csrs.find((c) => c.purpose === 'CallManager')!.csrPem), { now: new Date(clock.now()) });
    await updateLabCa(dir, 'test', (j) => {
      noteIssued(j, issuing, other, new Date(clock.now()));
      noteRevoked(j, issuing, other.serialHex, new Date(clock.now()), 'superseded');
    });
    await tick(12 * HOUR_MS);
    const changed = (await log.read()).filter((a) => a.name === 'CRLChanged');
    expect(changed).toHaveLength(1);
    expect(changed[0]!.message).toContain('2 entries');
    await until(() => datagrams.some((d) => d.includes(' CRLChanged ')), 'the CRLChanged syslog message');
    syslog.close();
  });

  it('without Enable Revocation Check, the Validity Check Frequency parameter sets the schedule; with it, its own interval wins', async () => {
    await cluster.setRevocation({ crlEnabled: false, ocspEnabled: true, revocationCheckEnabled: false });
    schedule.refresh();
    const before = (cluster.state.revocationChecks ?? []).find((k) => k.where === 'identity/tomcat')!.checkedAt;
    await tick(3 * 24 * HOUR_MS);
    expect(cluster.state.revocationChecks!.find((k) => k.where === 'identity/tomcat')!.checkedAt).toBe(before);
    await cluster.setParam('certificateValidityCheck', true);
    await cluster.setParam('validityCheckFrequencyDays', 2);
    schedule.refresh();
    await tick(2 * 24 * HOUR_MS - 1);
    expect(cluster.state.revocationChecks!.find((k) => k.where === 'identity/tomcat')!.checkedAt).toBe(before);
    await tick(1);
    const byValidity = cluster.state.revocationChecks!.find((k) => k.where === 'identity/tomcat')!.checkedAt;
    expect(byValidity).not.toBe(before);
    // Enable Revocation Check every 6 hours takes precedence over the 2-day parameter.
    await cluster.setRevocation({ revocationCheckEnabled: true, checkEvery: 6, checkUnit: 'hours' });
    schedule.refresh();
    await tick(6 * HOUR_MS);
    expect(cluster.state.revocationChecks!.find((k) => k.where === 'identity/tomcat')!.checkedAt).not.toBe(byValidity);
  });
});
