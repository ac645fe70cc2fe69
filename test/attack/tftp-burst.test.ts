import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePacket, StaticDirectoryProvider, TftpServer } from '../../tftp-sim/index.js';
import { seededBytes } from '../helpers/tftp.js';
import { has, runTool } from '../helpers/tools.js';

/**
 * Issue 15 §3, TFTP busy lockout and reflection. Before: 264 RRQs from 33 addresses (about
 * 5 KB) held every slot, so other clients got "server busy" for about 18 s, and the server sent
 * 792,856 bytes to those addresses, 150× what it received. Now a transfer whose client never
 * acknowledges is retransmitted twice (1 s, 2 s) instead of five times, and at the cap the oldest
 * such transfer gives way to a new request, so tftp-hpa (someone else's client) is served during
 * the burst. RFC 1350 answers a plain RRQ with DATA 1 (516 bytes), so the bound on reflection is
 * three datagrams per request, not a multiple of the request's size.
 */
const HAVE_TFTP = has('tftp');
const reason = HAVE_TFTP ? 'tftp-hpa found' : 'skipped: tftp (tftp-hpa) not found on PATH (.ci/run installs it)';
const root = mkdtempSync(join(tmpdir(), 'trustlab-attack-tftp-'));
const NAME = 'SEP001122334455.cnf.xml.sgn';
const FILE = seededBytes(4 * 1024, 'attack-cnf');
let server: TftpServer;
let port = 0;
const attackers: Socket[] = [];

beforeAll(async () => {
  writeFileSync(join(root, NAME), FILE);
  // The caps are scaled down (64 transfers, 8 per address) with the burst: on this VM's loopback,
  // requests beyond about 256 live UDP flows are dropped before they reach any socket.
  server = new TftpServer({ files: new StaticDirectoryProvider(root), maxTransfers: 64, maxTransfersPerClient: 8 });
  port = (await server.listen({ host: '127.0.0.1', port: 0 })).port;
});

afterAll(async () => {
  attackers.forEach((s) => s.close());
  await server.destroy();
});

describe.skipIf(!HAVE_TFTP)(`attack: TFTP request burst (${reason})`, () => {
  it('80 RRQs from 10 addresses that never ACK, over a cap of 64: reflection bounded to 3 datagrams per request, and tftp-hpa is served during the burst', { timeout: 60_000 }, async () => {
    const rrq = encodePacket({ type: 'RRQ', filename: NAME, mode: 'octet', options: [] });
    let sent = 0;
    let received = 0;
    for (let i = 0; i < 80; i++) {
      const s = createSocket('udp4');
      attackers.push(s);
      s.on('message', (m) => (received += m.length));
      await new Promise<void>((r) => s.bind({ address: `127.0.5.${1 + (i % 10)}`, port: 0 }, () => r()));
      s.send(rrq, port, '127.0.0.1');
      sent += rrq.length;
    }
    await waitFor(() => server.stats.requests === 80);
    expect(server.stats).toMatchObject({ requests: 80 });
    await waitFor(() => server.stats.liveTransfers >= 64);
    expect(server.stats).toMatchObject({ liveTransfers: 64, evicted: 16, busy: 0 });

    const out = join(root, 'got.sgn');
    const r = await runTool('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', NAME, out], 10_000);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(Buffer.compare(readFileSync(out), Buffer.from(FILE))).toBe(0);
    expect(server.stats.evicted).toBeGreaterThanOrEqual(1);

    // Every unacknowledged transfer ends within 1 + 2 + 4 s of backoff.
    await waitFor(() => server.stats.liveTransfers === 0);
    expect(server.stats.liveTransfers).toBe(0);
    const amplification = received / sent;
    const perRequest = received / 80;
    expect(perRequest).toBeLessThanOrEqual(3 * (4 + 512));
    // Before: six 516-byte datagrams per request (792,856 bytes for 264 RRQs of about 20 bytes: 150×).
    // After: at most three, and an evicted transfer ends after one datagram and an ERROR.
    expect(amplification).toBeLessThan(3 * 516 / rrq.length);
    console.info(`TFTP burst: ${sent} bytes of RRQs, ${received} bytes sent back (${amplification.toFixed(1)}×, ${perRequest.toFixed(0)} bytes per request); evicted ${server.stats.evicted}`);
  });
});

/** Polls `done` every 20 ms for up to 15 s (the caller asserts what it waited for). */
async function waitFor(done: () => boolean): Promise<void> {
  for (let i = 0; i < 750 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
}
