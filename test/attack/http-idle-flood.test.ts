import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticDirectoryProvider } from '../../tftp-sim/index.js';
import { HttpFileService } from '../../src/ucm/index.js';
import { seededBytes } from '../helpers/tftp.js';
import { has, runTool } from '../helpers/tools.js';
import { until } from '../sip-helpers.js';

/**
 * Issue 15 §4: 256 idle TCP connections to 6970 blocked legitimate downloads for 22–32 s
 * (Node refuses connections over `maxConnections` and checks `headersTimeout` only every 30 s).
 * Now one address holds at most half the connections, and a newcomer at the cap evicts the
 * oldest connection that has not sent a request, so curl — someone else's client — downloads
 * the ITL during the flood.
 */
const HAVE_CURL = has('curl');
const reason = HAVE_CURL ? 'curl found' : 'skipped: curl not found on PATH (.ci/run installs it)';
const root = mkdtempSync(join(tmpdir(), 'trustlab-attack-http-'));
const ITL = seededBytes(8 * 1024, 'attack-itl');
let service: HttpFileService;
let port = 0;
const sockets: Socket[] = [];

beforeAll(async () => {
  writeFileSync(join(root, 'ITLFile.tlv'), ITL);
  service = new HttpFileService({ files: new StaticDirectoryProvider(root) });
  port = (await service.listen({ host: '127.0.0.1', port: 0 })).port;
});

afterAll(async () => {
  sockets.forEach((s) => s.destroy());
  await service.destroy();
});

async function flood(n: number, localAddress: string): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port, localAddress }, () => resolve());
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    sockets.push(s);
  })));
}

describe.skipIf(!HAVE_CURL)(`attack: idle connections on HTTP 6970 (${reason})`, () => {
  it('256 idle connections from one address, then 256 from two more: curl still downloads the ITL, at once', { timeout: 60_000 }, async () => {
    await flood(256, '127.0.3.1');
    await flood(128, '127.0.3.2');
    await flood(128, '127.0.3.3');
    await until(() => service.stats.accepted + service.stats.rejected === 512, 'the server to take in the flood');
    expect(service.stats.rejected).toBe(128); // one address holds at most half of the 256
    expect(service.stats.evicted).toBe(128); // the last 128 evicted the oldest idle ones
    expect(service.connections).toBe(256);
    const out = join(root, 'got.tlv');
    // --max-time 5: before, the download waited 22–32 s for Node's header check to free a slot.
    const r = await runTool('curl', ['-sS', '--max-time', '5', '-o', out, '-w', '%{http_code}', `http://127.0.0.1:${port}/ITLFile.tlv`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('200');
    expect(Buffer.compare(readFileSync(out), Buffer.from(ITL))).toBe(0);
    expect(service.stats.evicted).toBe(129);
  });
});
