import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodes, testLab } from '../helpers/lab.js';
import { run, ROOT } from '../helpers/cli.js';
import { TEST_KEYPOOL_DIR } from '../helpers/keypool.js';
import { Lab } from '../../src/cluster/index.js';
import { verifyTrustList } from '../../src/trustlist/index.js';

/** The lab directory (architecture.md "State on disk"): readable, atomic, reopened identical. */
describe('lab persistence', () => {
  it('reopening a lab gives an identical model and identical served files', async () => {
    const { lab, dir, clock } = await testLab();
    const c = await lab.createCluster({ name: 'P', release: '14', nodes: nodes('pub', 'sub1') });
    await c.regenerate('TVS', 'sub1');
    await c.csr({ purpose: 'tomcat', node: 'pub' });
    await c.ctlSetCluster('mixed');
    await c.upsertDevices([{ mac: '001122334455', model: '8845' }]);
    const again = await (await Lab.open(dir, { clock, keyPoolDir: TEST_KEYPOOL_DIR })).cluster('P');
    expect(again.state).toEqual(c.state);
    expect(Buffer.from(again.itl('sub1')).equals(Buffer.from(c.itl('sub1')))).toBe(true);
    expect(Buffer.from(again.ctl()!).equals(Buffer.from(c.ctl()!))).toBe(true);
    expect(Buffer.from(again.config('SEP001122334455', { signed: true, node: 'pub' })!).equals(Buffer.from(c.config('SEP001122334455', { signed: true, node: 'pub' })!))).toBe(true);
  });

  it('is readable with ordinary tools: openssl reads identity and trust PEMs; served ITL verifies', async () => {
    const { lab, dir } = await testLab();
    await lab.createCluster({ name: 'R', release: '12.5', nodes: nodes('pub') });
    const o = await run('openssl', ['x509', '-in', join(dir, 'clusters/R/pub/identity/CallManager.pem'), '-noout', '-subject']);
    expect(o.code).toBe(0);
    expect(o.stdout).toContain('CN = pub.r.lab.example');
    const t = await run('openssl', ['x509', '-in', join(dir, 'clusters/R/pub/trust/CallManager-trust/Cisco_Root_CA_2048.pem'), '-noout', '-subject']);
    expect(t.stdout).toContain('Cisco Root CA 2048');
    expect(verifyTrustList(new Uint8Array(readFileSync(join(dir, 'clusters/R/tftp/pub/ITLFile.tlv')))).valid).toBe(true);
  });

  it('refuses a lab written by a newer format, and a damaged cluster.json, with clear codes', async () => {
    const { lab, dir } = await testLab();
    await lab.createCluster({ name: 'V', release: '12.5', nodes: nodes('pub') });
    const labJson = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8'));
    writeFileSync(join(dir, 'lab.json'), JSON.stringify({ ...labJson, formatVersion: 99 }));
    await expect(Lab.open(dir)).rejects.toMatchObject({ code: 'LAB_FORMAT_TOO_NEW' });
    writeFileSync(join(dir, 'lab.json'), JSON.stringify(labJson));
    writeFileSync(join(dir, 'clusters/V/cluster.json'), '{"formatVersion":1,"name":"V"');
    await expect((await Lab.open(dir, { keyPoolDir: TEST_KEYPOOL_DIR })).cluster('V')).rejects.toMatchObject({ code: 'LAB_CORRUPT' });
    await expect(Lab.open(join(dir, 'nowhere'))).rejects.toMatchObject({ code: 'LAB_NOT_FOUND' });
  });

  it('killing the process during writes leaves the lab readable, at a committed state', async () => {
    const { lab, dir } = await testLab();
    await lab.createCluster({ name: 'K', release: '12.5', nodes: nodes('pub', 'sub1') });
    const script = `
      import { Lab } from ${JSON.stringify(join(ROOT, 'dist/src/cluster/index.js'))};
      const lab = await Lab.open(${JSON.stringify(dir)}, { keyPoolDir: ${JSON.stringify(TEST_KEYPOOL_DIR)} });
      const c = await lab.cluster('K');
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) {
        await c.regenerate(i % 2 ? 'TVS' : 'CallManager', i % 3 ? 'pub' : 'sub1');
        process.stdout.write('rev ' + c.state.rev + '\\n');
      }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if ((out.match(/^rev /gm) ?? []).length >= 3) resolve();
      });
      child.on('exit', () => resolve());
    });
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    expect(out).toContain('rev');
    const reopened = await (await Lab.open(dir, { keyPoolDir: TEST_KEYPOOL_DIR })).cluster('K');
    const lastSeen = Math.max(...[...out.matchAll(/^rev (\d+)$/gm)].map((m) => Number(m[1])));
    expect(reopened.state.rev).toBeGreaterThanOrEqual(lastSeen);
    for (const n of ['pub', 'sub1']) expect(verifyTrustList(reopened.itl(n)).valid).toBe(true);
    expect(verifyTrustList(new Uint8Array(readFileSync(join(dir, 'clusters/K/tftp/pub/ITLFile.tlv')))).valid).toBe(true);
    await reopened.regenerate('TVS', 'pub');
  });
});
