import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterTvsAuthority } from '../../src/cluster/serve/index.js';
import { fuzzServer, fuzzSetup, serverHarness, type FuzzSetup } from '../../src/fuzz/index.js';
import { ROOT } from '../helpers/cli.js';
import { TEST_KEYPOOL_DIR } from '../helpers/keypool.js';

/**
 * The served target for the protocol servers (issue 8): mutants over real UDP and TLS to a live
 * TftpServer and TvsServer. The product keeps answering a well-formed client and drains; a
 * server with a planted fault (a provider that starts serving the wrong bytes, an authority that
 * starts answering the wrong roles) is reported by the probe oracle.
 */
let setup: FuzzSetup;

beforeAll(async () => {
  setup = await fuzzSetup({ seed: 'served-server', keyPoolDir: TEST_KEYPOOL_DIR, samplesDir: join(ROOT, '..', 'shared', 'samples') });
}, 120_000);

afterAll(() => setup?.dispose());

describe('fuzz tftp --target served', () => {
  it('mutants reach the request port and running transfers; the server keeps serving and drains', async () => {
    const r = await fuzzServer({ kind: 'tftp', seed: 's1', runs: 3000, setup });
    expect(r.findings).toEqual([]);
    expect(r.status.execs).toBe(3000);
    expect(r.status.replies).toEqual(expect.arrayContaining(['OACK', 'DATA', 'ERROR 4']));
  }, 60_000);

  it('a server that starts serving the wrong bytes is reported as server-down', async () => {
    let reads = 0;
    const r = await fuzzServer({
      kind: 'tftp', seed: 's2', runs: 600, setup,
      harness: (s) => serverHarness('tftp', s, { files: (file) => ({ read: async (name) => (name.endsWith('.tlv') ? (++reads > 3 ? file.subarray(0, file.length - 1) : file) : undefined) }) }),
    });
    expect(r.findings.map((f) => f.kind)).toContain('server-down');
    expect(r.findings.find((f) => f.kind === 'server-down')!.message).toMatch(/differ from the \d+-byte file/);
  }, 60_000);
});

describe('fuzz tvs --target served', () => {
  it('mutants over TLS get answers that decode; the server keeps vouching correctly and drains', async () => {
    const r = await fuzzServer({ kind: 'tvs', seed: 's3', runs: 200, setup });
    expect(r.findings).toEqual([]);
    expect(r.status.execs).toBe(200);
    expect(r.status.replies!.length).toBeGreaterThan(0);
  }, 60_000);

  it('a TVS that starts answering the wrong roles is reported as server-down', async () => {
    const real = clusterTvsAuthority(setup.A, 'pub');
    let asked = 0;
    const r = await fuzzServer({
      kind: 'tvs', seed: 's4', runs: 130, setup,
      harness: (s) => serverHarness('tvs', s, { authority: { verify: (c, req) => (++asked > 2 ? { status: 'valid', roles: [7], ttlSeconds: 60 } : real.verify(c, req)), lookupSubject: (n, req) => real.lookupSubject!(n, req) } }),
    });
    expect(r.findings.find((f) => f.kind === 'server-down')?.message).toMatch(/got roles \{7\}/);
  }, 60_000);
});
