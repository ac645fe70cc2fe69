import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodes, testLab } from '../helpers/lab.js';
import { bulkConsolidate, bulkExport, certOf, identityOf, readConsolidated, type Cluster, type Lab } from '../../src/cluster/index.js';
import { decodeTrustList, Role } from '../../src/trustlist/index.js';
import { toPem } from '../../src/pki/index.js';
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
  it('consolidate skips a directory that holds no export, and refuses an export whose listed file is gone', async () => {
    const sftp = mkdtempSync(join(tmpdir(), 'sftp-'));
    const now = new Date(clock.now());
    await bulkExport(B.state, sftp, now);
    mkdirSync(join(sftp, 'lost+found'));
    expect((await bulkConsolidate(sftp, now)).clusters).toEqual(['B']);
    rmSync(join(sftp, 'B', 'tftp', 'bpub.pem'));
    await expect(bulkConsolidate(sftp, now)).rejects.toMatchObject({ code: 'BULK_MALFORMED', message: expect.stringContaining('bpub.pem') });
    writeFileSync(join(sftp, 'B', 'manifest.json'), '{"format": "trustlab-bulk-1", "cluster": "B", "certificates": [null]}');
    await expect(bulkConsolidate(sftp, now)).rejects.toMatchObject({ code: 'BULK_MALFORMED' });
  });

  it('export from B, consolidate, import into A: B\'s signers land in the migration stores and A\'s TVS vouches for B\'s ITL signer', async () => {
    const sftp = mkdtempSync(join(tmpdir(), 'sftp-'));
    const now = new Date(clock.now());
    const mb = await bulkExport(B.state, sftp, now);
    await bulkExport(A.state, sftp, now);
    expect(mb.certificates.map((c) => `${c.type}:${c.node}`)).toEqual(['TFTP:bpub', 'TFTP:bsub', 'CAPF:bpub', 'ITL_Recovery:bpub']);
    expect(readFileSync(join(sftp, 'B', 'tftp', 'bpub.pem'), 'utf8')).toBe(identityOf(B.state, 'CallManager', 'bpub')!.certPem);
    const bundle = await bulkConsolidate(sftp, now);
    expect(bundle.clusters).toEqual(['A', 'B']);
    const read = await readConsolidated(sftp);
    await expect(A.bulkImport(read.certificates.filter((c) => c.cluster === 'A'), ['TFTP'])).rejects.toMatchObject({ code: 'BULK_NOTHING_TO_IMPORT' });
    const r = await A.bulkImport(read.certificates, ['TFTP', 'ITL_Recovery', 'CAPF']);
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
      expect(A.trustStore(n, 'CAPF-trust').map((p) => certOf(p).sha256)).toContain(certOf(identityOf(B.state, 'CAPF', 'bpub')!.certPem).sha256);
    }
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'service.restart-required', service: 'TVS' }));
    expect(A.tvs('apub', bSigner).status).toBe('invalid');
    await A.restartService('TVS');
    expect(A.tvs('apub', bSigner)).toMatchObject({ status: 'valid', roles: [Role.SAST, Role.TFTP] });
    expect(A.tvs('asub', der(identityOf(B.state, 'CallManager', 'bsub')!.certPem)).roles).toEqual([Role.SAST, Role.TFTP]);
  });
});
