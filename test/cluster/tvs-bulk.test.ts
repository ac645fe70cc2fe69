import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodes, testLab } from '../helpers/lab.js';
import { bulkConsolidate, bulkExport, bulkList, certOf, CONSOLIDATED_FILE, DEFAULT_BULK_PASSWORD, identityOf, readConsolidated, type Cluster, type Lab } from '../../src/cluster/index.js';
import { decodeTrustList, Role } from '../../src/trustlist/index.js';
import { decodePkcs12, toPem } from '../../src/pki/index.js';
import type { ManualClock } from '../../src/shared/clock.js';

/**
 * What TVS vouches for (phone-behaviour.md TVS-6) and bulk certificate migration (MIG-2, MIG-3,
 * SC-11): after B's export is consolidated and imported into A, and TVS restarted on A, A's TVS
 * vouches for B's ITL signer with roles {SAST, TFTP}.
 */
let lab: Lab;
let clock: ManualClock;
let A: Cluster;
let B: Cluster;

beforeAll(async () => {
  ({ lab, clock } = await testLab());
  A = await lab.createCluster({ name: 'A', release: '11.5', nodes: nodes('apub', 'asub') });
  B = await lab.createCluster({ name: 'B', release: '12.5', nodes: nodes('bpub', 'bsub') });
}, 120_000);

const der = (pem: string): Uint8Array => certOf(pem).der;

describe('TVS lookup (TVS-6)', () => {
  it('vouches for its own CallManager {SAST, CCM+TFTP}, TVS {TVS}, CAPF {CAPF}, ITLRecovery {SAST}', () => {
    expect(A.tvs('asub', der(identityOf(A.state, 'CallManager', 'apub')!.certPem))).toMatchObject({ status: 'valid', roles: [Role.SAST, Role.CCM_TFTP], ttlSeconds: 86400 });
    expect(A.tvs('asub', der(identityOf(A.state, 'TVS', 'apub')!.certPem)).roles).toEqual([Role.TVS]);
    expect(A.tvs('apub', der(identityOf(A.state, 'CAPF', 'apub')!.certPem)).roles).toEqual([Role.CAPF]);
    expect(A.tvs('apub', der(identityOf(A.state, 'ITLRecovery', 'apub')!.certPem)).roles).toEqual([Role.SAST]);
    expect(A.tvs('apub', der(identityOf(A.state, 'tomcat', 'apub')!.certPem)).roles).toEqual([Role.APP_SERVER]);
  });

  it('answers invalid for a certificate found only in CallManager-trust, and {SAST, TFTP} for Phone-SAST-trust after TVS restarts', async () => {
    const foreign = identityOf(B.state, 'CallManager', 'bpub')!.certPem;
    await A.uploadTrust({ store: 'CallManager-trust', node: 'apub', data: new Uint8Array(Buffer.from(foreign)) });
    expect(A.tvs('apub', der(foreign))).toMatchObject({ status: 'invalid', roles: [] });
    const r = await A.uploadTrust({ store: 'Phone-SAST-trust', node: 'apub', data: new Uint8Array(Buffer.from(foreign)) });
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'service.restart-required', service: 'TVS' }));
    expect(A.tvs('asub', der(foreign)).status).toBe('invalid');
    await A.restartService('TVS');
    expect(A.tvs('asub', der(foreign))).toMatchObject({ status: 'valid', roles: [Role.SAST, Role.TFTP] });
    await A.deleteTrust({ store: 'Phone-SAST-trust', node: 'apub', name: certOf(foreign).subject.find(([k]) => k === 'CN')![1] });
    await A.deleteTrust({ store: 'CallManager-trust', node: 'apub', name: certOf(foreign).subject.find(([k]) => k === 'CN')![1] });
    expect(A.tvs('asub', der(foreign)).status).toBe('invalid');
  });
});

describe('Bulk certificate management (MIG-2, SC-11)', () => {
  it('export writes one PKCS#12 file per node and type; bad, foreign-password and old-format directories get typed errors', async () => {
    const sftp = mkdtempSync(join(tmpdir(), 'sftp-'));
    const mb = await bulkExport(B.state, sftp);
    expect(mb.files.map((f) => f.file)).toEqual(['bpub_tftp.p12', 'bsub_tftp.p12', 'bpub_capf.p12', 'bpub_itlrecovery.p12', 'bpub_tomcat.p12', 'bsub_tomcat.p12']);
    expect(readdirSync(sftp).sort()).toEqual([...mb.files.map((f) => f.file)].sort());
    const [tftp] = decodePkcs12(readFileSync(join(sftp, 'bpub_tftp.p12')), DEFAULT_BULK_PASSWORD);
    expect(tftp).toEqual({ friendlyName: 'bpub_tftp', der: certOf(identityOf(B.state, 'CallManager', 'bpub')!.certPem).der });
    await expect(bulkList(sftp, { password: 'not-it' })).rejects.toMatchObject({ code: 'PKCS12_BAD_PASSWORD', message: expect.stringContaining('--password') });
    expect((await bulkList(sftp)).flatMap((f) => f.units.map((u) => `${u.unit}:${u.type}:${u.node}`))).toEqual([
      'bpub_capf:CAPF:bpub', 'bpub_itlrecovery:ITL_Recovery:bpub', 'bpub_tftp:TFTP:bpub', 'bpub_tomcat:Tomcat:bpub', 'bsub_tftp:TFTP:bsub', 'bsub_tomcat:Tomcat:bsub',
    ]);

    writeFileSync(join(sftp, 'junk.p12'), 'not a pkcs12 file');
    await expect(bulkConsolidate(sftp)).rejects.toMatchObject({ code: 'PKCS12_MALFORMED', message: expect.stringContaining('junk.p12') });
    expect(readdirSync(sftp)).not.toContain(CONSOLIDATED_FILE);

    const empty = mkdtempSync(join(tmpdir(), 'sftp-'));
    await expect(bulkConsolidate(empty)).rejects.toMatchObject({ code: 'BULK_NOTHING_TO_IMPORT' });
    await expect(readConsolidated(empty)).rejects.toMatchObject({ code: 'IO_NOT_FOUND', message: expect.stringContaining('bulk consolidate') });
    mkdirSync(join(empty, 'B', 'tftp'), { recursive: true });
    writeFileSync(join(empty, 'B', 'manifest.json'), '{"format": "trustlab-bulk-1", "cluster": "B", "certificates": []}');
    writeFileSync(join(empty, 'consolidated.json'), '{"format": "trustlab-bulk-consolidated-1"}');
    await expect(bulkConsolidate(empty)).rejects.toMatchObject({ code: 'BULK_OLD_FORMAT', message: expect.stringContaining('openssl pkcs12 -export -nokeys') });
    await expect(readConsolidated(empty)).rejects.toMatchObject({ code: 'BULK_OLD_FORMAT' });
  });

  it('export from B, consolidate, import into A: B\'s signers land in the guide\'s stores and A\'s TVS vouches for B\'s ITL signer', async () => {
    const sftp = mkdtempSync(join(tmpdir(), 'sftp-'));
    await bulkExport(B.state, sftp);
    await bulkExport(A.state, sftp);
    const bundle = await bulkConsolidate(sftp);
    expect(bundle.units.map((u) => u.unit).sort()).toEqual([
      'apub_capf', 'apub_itlrecovery', 'apub_tftp', 'apub_tomcat', 'asub_itlrecovery', 'asub_tftp', 'asub_tomcat', 'bpub_capf', 'bpub_itlrecovery', 'bpub_tftp', 'bpub_tomcat', 'bsub_tftp', 'bsub_tomcat',
    ]);
    // Consolidating again (the consolidated file now among the inputs) changes nothing.
    expect((await bulkConsolidate(sftp)).units.map((u) => u.unit)).toEqual(bundle.units.map((u) => u.unit));
    const read = await readConsolidated(sftp);
    await expect(A.bulkImport(read.filter((c) => c.node.startsWith('a')), { types: ['TFTP'] })).rejects.toMatchObject({ code: 'BULK_NOTHING_TO_IMPORT' });
    await expect(A.bulkImport(read, { types: ['TFTP'], units: ['cpub_tftp'] })).rejects.toMatchObject({ code: 'BULK_UNIT_NOT_FOUND', message: expect.stringContaining('bpub_tftp') });
    const r = await A.bulkImport(read, { types: ['TFTP', 'ITL_Recovery', 'CAPF'] });
    const bSigner = decodeTrustList(B.itl('bsub')).records[0]!.certificate!;
    expect(certOf(toPem(bSigner)).sha256).toBe(certOf(identityOf(B.state, 'ITLRecovery', 'bpub')!.certPem).sha256);
    for (const n of ['apub', 'asub']) {
      const sast = A.trustStore(n, 'Phone-SAST-trust').map((p) => certOf(p).sha256);
      const cmTrust = A.trustStore(n, 'CallManager-trust').map((p) => certOf(p).sha256);
      for (const h of ['bpub', 'bsub']) {
        const cm = certOf(identityOf(B.state, 'CallManager', h)!.certPem).sha256;
        expect(sast).toContain(cm);
        expect(cmTrust).toContain(cm);
      }
      expect(sast).toContain(certOf(identityOf(B.state, 'ITLRecovery', 'bpub')!.certPem).sha256);
      // CAPF lands in CallManager-trust (Administration Guide 14SU2, TAC 215539), not CAPF-trust.
      expect(cmTrust).toContain(certOf(identityOf(B.state, 'CAPF', 'bpub')!.certPem).sha256);
      expect(A.trustStore(n, 'CAPF-trust').map((p) => certOf(p).sha256)).not.toContain(certOf(identityOf(B.state, 'CAPF', 'bpub')!.certPem).sha256);
      expect(A.trustStore(n, 'tomcat-trust').map((p) => certOf(p).sha256)).not.toContain(certOf(identityOf(B.state, 'tomcat', 'bpub')!.certPem).sha256);
    }
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'service.restart-required', service: 'TVS' }));
    expect(A.tvs('apub', bSigner).status).toBe('invalid');
    await A.restartService('TVS');
    expect(A.tvs('apub', bSigner)).toMatchObject({ status: 'valid', roles: [Role.SAST, Role.TFTP] });
    expect(A.tvs('asub', der(identityOf(B.state, 'CallManager', 'bsub')!.certPem)).roles).toEqual([Role.SAST, Role.TFTP]);
  });

  it('imports only the named units, and into one store when told (a hand-made import)', async () => {
    const C = await lab.createCluster({ name: 'C', release: '12.5', nodes: nodes('cpub') });
    const sftp = mkdtempSync(join(tmpdir(), 'sftp-'));
    await bulkExport(B.state, sftp);
    await bulkConsolidate(sftp);
    const r = await C.bulkImport(await readConsolidated(sftp), { types: ['TFTP', 'ITL_Recovery'], units: ['bpub_itlrecovery'], store: 'CallManager-trust' });
    expect(r.events.filter((e) => e.type === 'trust.added').map((e) => (e as { store: string }).store)).toEqual(['CallManager-trust']);
    const has = (store: 'CallManager-trust' | 'Phone-SAST-trust', purpose: 'ITLRecovery' | 'CallManager', node: string): boolean =>
      C.trustStore('cpub', store).map((p) => certOf(p).sha256).includes(certOf(identityOf(B.state, purpose, node)!.certPem).sha256);
    expect(has('CallManager-trust', 'ITLRecovery', 'bpub')).toBe(true);
    expect(has('Phone-SAST-trust', 'ITLRecovery', 'bpub')).toBe(false);
    expect(has('CallManager-trust', 'CallManager', 'bsub')).toBe(false);
  });
});
