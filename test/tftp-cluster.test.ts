import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodes, testLab } from './helpers/lab.js';
import { trustlab } from './helpers/cli.js';
import { tftpGet, TftpServer } from '../tftp-sim/index.js';
import { HttpFileService } from '../src/ucm/index.js';
import { ClusterFileProvider } from '../src/cluster/serve/file-provider.js';
import type { Cluster, Lab } from '../src/cluster/index.js';

/**
 * The cluster's live files over real UDP and HTTP (issue 4 "Must show"): a phone-sized fetch of
 * ITLFile.tlv returns exactly the bytes `trustlab show itl` describes, and after a regeneration
 * the next fetch returns the new file.
 */
let lab: Lab;
let dir: string;
let cluster: Cluster;
let tftp: TftpServer;
let http: HttpFileService;
let tftpPort: number;
let httpPort: number;

beforeAll(async () => {
  ({ lab, dir } = await testLab());
  cluster = await lab.createCluster({ name: 'live', release: '12.5', nodes: nodes('pub', 'sub1') });
  await cluster.upsertDevices([{ mac: '00AABB000001', model: '8861' }]);
  const files = new ClusterFileProvider(lab.live('live'), 'sub1');
  tftp = new TftpServer({ files });
  http = new HttpFileService({ files });
  tftpPort = (await tftp.listen({ host: '127.0.0.1', port: 0 })).port;
  httpPort = (await http.listen({ host: '127.0.0.1', port: 0 })).port;
}, 60_000);

afterAll(async () => {
  await tftp?.close();
  await http?.close();
});

const get = async (name: string): Promise<Uint8Array> => (await tftpGet(name, { host: '127.0.0.1', port: tftpPort, blockSize: 1428 })).bytes;

describe('live cluster files over TFTP and HTTP 6970', () => {
  it('serves the ITL `trustlab show itl` describes, and the next fetch after a regeneration is the new file', async () => {
    const first = await get('ITLFile.tlv');
    const shown = JSON.parse((await trustlab(['show', 'itl', '--node', 'sub1', '--lab', dir, '--json'])).stdout);
    expect(first.length).toBe(shown.size);
    expect(createHash('sha1').update(first).digest('hex')).toBe(shown.sha1);
    expect(Buffer.from(await get('ITLSEP00AABB000001.tlv')).equals(Buffer.from(first))).toBe(true);
    const r = await trustlab(['cert', 'regenerate', 'TVS', '--node', 'pub', '--lab', dir]);
    expect(r.code).toBe(0);
    const second = await get('ITLFile.tlv');
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(false);
    const shown2 = JSON.parse((await trustlab(['show', 'itl', '--node', 'sub1', '--lab', dir, '--json'])).stdout);
    expect(createHash('sha1').update(second).digest('hex')).toBe(shown2.sha1);
  });

  it('serves the signed config over HTTP 6970 and refuses what the TFTP side refuses', async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/SEP00AABB000001.cnf.xml.sgn`);
    expect(res.status).toBe(200);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(Number(res.headers.get('content-length'))).toBe(body.length);
    expect(Buffer.from(body).equals(Buffer.from((await lab.cluster('live')).config('SEP00AABB000001', { signed: true, node: 'sub1' })!))).toBe(true);
    expect((await fetch(`http://127.0.0.1:${httpPort}/CTLFile.tlv`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${httpPort}/..%2Fcluster.json`)).status).toBe(400);
    await expect(get('SEP0000000000FF.cnf.xml')).rejects.toMatchObject({ code: 'TFTP_NOT_FOUND' });
  });
});
