import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../src/cluster/index.js';
import { labRevocationSource } from '../src/cluster/lab-ca.js';
import { RevocationServer } from '../src/revocation/index.js';
import { trustlab } from './helpers/cli.js';

/**
 * Issue 16 §2 through the CLI: Certificate Revocation exists from 14SU3; with Enable OCSP the
 * cluster checks a CA-signed certificate on upload and on `cert revocation check`, records each
 * result (shown by `cert revocation show` and `cert list`), follows a revocation at the lab CA,
 * uses the CRL when OCSP is off, and reports a responder that is down as its own result.
 */
describe('Certificate Revocation settings and checks', () => {
  let dir: string;
  let work: string;
  let server: RevocationServer;
  let base: string;
  const t = (...args: string[]) => trustlab([...args, '--lab', dir]);
  const json = async (...args: string[]) => {
    const r = await t(...args, '--json');
    return { code: r.code, body: JSON.parse(r.stdout) as Record<string, unknown>, stderr: r.stderr };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trustlab-revocation-'));
    work = mkdtempSync(join(tmpdir(), 'trustlab-revocation-files-'));
    expect((await t('cluster', 'init', 'A', '--release', '14SU3', '--nodes', 'pub')).code).toBe(0);
    expect((await t('cluster', 'init', 'OLD', '--release', '14', '--nodes', 'pub')).code).toBe(0);
    server = new RevocationServer({ source: labRevocationSource(await Lab.open(dir), 0) });
    const a = await server.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${a.port}`;
    expect((await t('ca', 'url', base)).code).toBe(0);
    expect((await t('cert', 'csr', 'tomcat', '--node', 'pub', '-o', join(work, 'tomcat.csr'), '--cluster', 'A')).code).toBe(0);
    expect((await t('ca', 'sign', join(work, 'tomcat.csr'), '-o', join(work, 'tomcat.pem'))).code).toBe(0);
    expect((await t('ca', 'chain', '-o', join(work, 'chain.pem'))).code).toBe(0);
    expect((await t('cert', 'upload', join(work, 'chain.pem'), '--store', 'tomcat-trust', '--node', 'pub', '--cluster', 'A')).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('is refused before 14SU3, naming the release', async () => {
    const r = await json('cert', 'revocation', 'set', '--ocsp', 'on', '--cluster', 'OLD');
    expect(r.code).toBe(2);
    expect((r.body.error as { code: string }).code).toBe('PARAM_NOT_IN_RELEASE');
    expect((r.body.error as { message: string }).message).toContain('14SU3');
  });

  it('checks the CA-signed certificate on upload, then follows a revocation at the CA', async () => {
    expect((await t('cert', 'revocation', 'set', '--ocsp', 'on', '--cluster', 'A')).code).toBe(0);
    const up = await json('cert', 'upload', join(work, 'tomcat.pem'), '--purpose', 'tomcat', '--node', 'pub', '--cluster', 'A');
    expect(up.code, up.stderr).toBe(0);
    expect(up.body.revocation).toEqual([expect.objectContaining({ where: 'identity/tomcat', status: 'good', by: 'OCSP DTM', trigger: 'upload' })]);
    expect((await t('ca', 'revoke', join(work, 'tomcat.pem'), '--reason', 'keyCompromise')).code).toBe(0);
    const check = await json('cert', 'revocation', 'check', '--cluster', 'A');
    expect(check.code).toBe(1);
    expect(check.body.checks).toEqual([expect.objectContaining({ where: 'identity/tomcat', status: 'revoked', by: 'OCSP DTM', trigger: 'manual' })]);
    const show = await json('cert', 'revocation', 'show', '--cluster', 'A');
    expect(show.body.checks).toEqual([expect.objectContaining({ status: 'revoked' })]);
    const list = await trustlab(['cert', 'list', '--usage', 'identity', '--find', 'type=tomcat', '--json', '--lab', dir, '--cluster', 'A']);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ type: 'tomcat', revocation: 'revoked' })]);
    const own = await json('show', 'cert', 'own', 'tomcat', '--cluster', 'A');
    expect(own.body).toMatchObject({ name: 'tomcat', revocation: 'revoked by OCSP DTM', ocsp: [`${base}/ocsp`] });
  });

  it('uses the CRL from the configured distribution point when OCSP is off', async () => {
    const set = await t('cert', 'revocation', 'set', '--ocsp', 'off', '--crl', 'on', '--crl-uri', `${base}/crl/trustlab_Enterprise_Issuing_CA.crl`, '--cluster', 'A');
    expect(set.code, set.stderr).toBe(0);
    const check = await json('cert', 'revocation', 'check', '--cluster', 'A');
    expect(check.body.checks).toEqual([expect.objectContaining({ where: 'identity/tomcat', status: 'revoked', by: 'CRL' })]);
  });

  it('a responder that is down is an error result with its code, never good', async () => {
    expect((await t('cert', 'revocation', 'set', '--ocsp', 'on', '--ocsp-uri', 'http://127.0.0.1:9/ocsp', '--cluster', 'A')).code).toBe(0);
    const check = await json('cert', 'revocation', 'check', '--cluster', 'A');
    expect(check.code).toBe(1);
    const statuses = (check.body.checks as Array<{ status: string; code?: string }>);
    expect(statuses.length).toBeGreaterThan(0);
    for (const c of statuses) expect(c).toMatchObject({ status: 'error', code: 'OCSP_UNREACHABLE' });
  });
});
