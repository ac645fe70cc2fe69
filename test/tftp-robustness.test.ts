import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePacket, tftpGet, TftpServer, type TftpEvent } from '../tftp-sim/index.js';
import { eventually, MapProvider, rawUdp, seededBytes } from './helpers/tftp.js';
import { mulberry32, UdpRelay } from './helpers/udp-relay.js';

/**
 * The server on real UDP sockets (127.0.0.1, port 0) under abuse: garbage, truncated and
 * overlong requests, unknown opcodes, a flood of requests from one address, a lossy and
 * reordering relay, and a client that stops half way. Throughout, another client keeps
 * fetching byte-exact files, and the server's own counters show that it holds no more
 * transfers than its caps and frees them all afterwards. No timing thresholds: every wait is
 * "until the counter says so", with a generous deadline.
 */
const FILES = new Map([
  ['ITLFile.tlv', seededBytes(10 * 1024, 'itl')],
  ['big.bin', seededBytes(1024 * 1024, 'big')],
  ['mid.bin', seededBytes(200 * 1024, 'mid')],
]);
const PER_CLIENT = 16;
let server: TftpServer;
let port = 0;
const events: TftpEvent[] = [];

beforeAll(async () => {
  server = new TftpServer({ files: new MapProvider(FILES), timeoutMs: 40, maxRetries: 3, maxTransfers: 64, maxTransfersPerClient: PER_CLIENT });
  server.events.onAny((e) => {
    if (e.type !== 'tftp.request' && e.type !== 'tftp.rejected') events.push(e);
  });
  port = (await server.listen({ host: '127.0.0.1', port: 0 })).port;
});

afterAll(async () => {
  await server.destroy();
});

/** A well-behaved fetch from another loopback address, checked byte for byte. */
async function goodFetch(name = 'ITLFile.tlv', localAddress = '127.0.0.2'): Promise<void> {
  const r = await tftpGet(name, { host: '127.0.0.1', port, localAddress, timeoutMs: 200, maxRetries: 10, blockSize: 1428, windowSize: 4 });
  expect(Buffer.from(r.bytes).equals(Buffer.from(FILES.get(name)!))).toBe(true);
}

async function settle(): Promise<void> {
  await eventually(() => server.stats.liveTransfers === 0, 20_000, 'all transfers freed');
  expect(server.stats).toMatchObject({ clientsWithTransfers: 0, bytesInFlight: 0 });
}

describe('TftpServer robustness on real UDP', () => {
  it('answers each malformed datagram with at most one ERROR 4 and keeps serving', async () => {
    const s = await rawUdp();
    const cases: Array<[string, Uint8Array]> = [
      ['empty', new Uint8Array(0)],
      ['one byte', Uint8Array.of(1)],
      ['unknown opcode 0', Uint8Array.of(0, 0, 0, 1)],
      ['unknown opcode 7', Uint8Array.of(0, 7, 0x41, 0)],
      ['unknown opcode 0xffff', Uint8Array.of(0xff, 0xff)],
      ['truncated RRQ (no NUL)', Uint8Array.of(0, 1, 0x41, 0x42)],
      ['RRQ without mode', Uint8Array.of(0, 1, 0x41, 0)],
      ['RRQ with an option and no value', encodePacket({ type: 'RRQ', filename: 'ITLFile.tlv', mode: 'octet', options: [{ name: 'blksize', value: '1' }] }).subarray(0, -2)],
      ['overlong RRQ (600 bytes)', encodePacket({ type: 'RRQ', filename: 'x'.repeat(590), mode: 'octet', options: [] })],
      ['overlong RRQ (60 KB)', encodePacket({ type: 'RRQ', filename: 'ITLFile.tlv', mode: 'octet', options: [{ name: 'x', value: 'y'.repeat(60_000) }] })],
      ['ACK on the request port', Uint8Array.of(0, 4, 0, 1)],
      ['OACK on the request port', Uint8Array.of(0, 6)],
    ];
    for (const [, bytes] of cases) s.socket.send(bytes, port, '127.0.0.1');
    await eventually(() => s.messages.length >= cases.length, 5000, 'an answer to each');
    await goodFetch();
    expect(s.messages).toHaveLength(cases.length);
    for (const m of s.messages) expect([...m.raw.subarray(0, 4)]).toEqual([0, 5, 0, 4]);
    await s.close();
  });

  it('survives 2000 random datagrams without amplification, serving a good client meanwhile', async () => {
    const s = await rawUdp();
    const random = mulberry32(42);
    const before = { ...server.stats };
    let sent = 0;
    const fetching = goodFetch('mid.bin');
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(random() * 700);
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(random() * 256);
      // Mostly plausible opcodes, so the decoder's deeper paths are hit too.
      if (len >= 2 && random() < 0.7) b[0] = 0, (b[1] = Math.floor(random() * 8));
      s.socket.send(b, port, '127.0.0.1');
      sent++;
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    await fetching;
    await eventually(() => server.stats.malformed - before.malformed + server.stats.requests - before.requests >= 1, 5000, 'garbage seen');
    await new Promise((r) => setTimeout(r, 200));
    expect(s.messages.length).toBeLessThanOrEqual(sent);
    expect(server.stats.liveTransfers).toBeLessThanOrEqual(PER_CLIENT + 1);
    await s.close();
    await settle();
  });

  it('caps a flood of 3000 requests from one address, answering ERROR 0, and keeps serving others', async () => {
    const sockets = await Promise.all(Array.from({ length: 100 }, () => rawUdp()));
    const rrq = encodePacket({ type: 'RRQ', filename: 'big.bin', mode: 'octet', options: [] });
    const before = { ...server.stats };
    // Every request is counted once: as a new request (served or busy) or as a duplicate of a
    // running transfer's request. Sending is paced on that count, so the kernel does not drop
    // a burst before the server reads it.
    const accounted = (): number => server.stats.requests - before.requests + server.stats.duplicates - before.duplicates;
    let maxLive = 0;
    const fetching = goodFetch('ITLFile.tlv');
    for (let round = 1; round <= 30; round++) {
      for (const s of sockets) s.socket.send(rrq, port, '127.0.0.1');
      await eventually(() => {
        maxLive = Math.max(maxLive, server.stats.liveTransfers);
        return accounted() >= round * sockets.length * 0.95;
      }, 10_000, `round ${round} read by the server`);
    }
    await fetching;
    expect(maxLive).toBeLessThanOrEqual(PER_CLIENT + 1);
    expect(server.stats.busy - before.busy).toBeGreaterThan(2000);
    await eventually(() => sockets.reduce((n, s) => n + s.messages.filter((m) => m.raw[1] === 5 && m.raw[3] === 0).length, 0) >= server.stats.busy - before.busy - 50, 10_000, 'busy answers received');
    const busyAnswer = sockets.flatMap((s) => s.messages).find((m) => m.raw[1] === 5 && m.raw[3] === 0)!;
    expect(Buffer.from(busyAnswer.raw.subarray(4)).toString('latin1')).toMatch(/server busy/);
    await Promise.all(sockets.map((s) => s.close()));
    await settle();
    expect(events.filter((e) => e.type === 'tftp.timeout').length).toBeGreaterThanOrEqual(PER_CLIENT);
  });

  it.each([
    [1, 1024],
    [8, 1428],
  ])('completes byte-exact through a lossy, reordering, duplicating relay (windowsize %d, blksize %d)', async (windowSize, blockSize) => {
    const relay = await UdpRelay.start({ target: { address: '127.0.0.1', port }, loss: 0.08, duplicate: 0.03, maxDelayMs: 6, seed: windowSize * 7 + blockSize });
    const r = await tftpGet('mid.bin', { host: '127.0.0.1', port: relay.port, timeoutMs: 60, maxRetries: 12, blockSize, windowSize, tsize: true });
    expect(Buffer.from(r.bytes).equals(Buffer.from(FILES.get('mid.bin')!))).toBe(true);
    expect(r.tsize).toBe(200 * 1024);
    expect(relay.stats.dropped).toBeGreaterThan(0);
    await relay.close();
    await settle();
  });

  it('frees the transfer of a client that stops half way, after its retries', async () => {
    const s = await rawUdp('127.0.0.3');
    s.socket.send(encodePacket({ type: 'RRQ', filename: 'big.bin', mode: 'octet', options: [{ name: 'blksize', value: '1024' }] }), port, '127.0.0.1');
    await eventually(() => s.messages.length >= 1, 5000, 'OACK');
    const tid = s.messages[0]!.port;
    s.socket.send(Uint8Array.of(0, 4, 0, 0), tid, '127.0.0.1');
    for (let block = 1; block <= 10; block++) {
      await eventually(() => s.messages.some((m) => m.raw[1] === 3 && ((m.raw[2]! << 8) | m.raw[3]!) === block), 5000, `block ${block}`);
      s.socket.send(Uint8Array.of(0, 4, block >> 8, block & 0xff), tid, '127.0.0.1');
    }
    expect(server.stats.liveTransfers).toBe(1);
    await goodFetch('mid.bin');
    await settle();
    expect(events.filter((e) => e.type === 'tftp.timeout').at(-1)).toMatchObject({ client: { address: '127.0.0.3' }, file: 'big.bin', bytesAcknowledged: 10 * 1024, retransmits: 3 });
    await s.close();
  });

  it('answers ERROR 5 to a packet from the wrong port and finishes the real transfer', async () => {
    const client = await rawUdp();
    const intruder = await rawUdp();
    client.socket.send(encodePacket({ type: 'RRQ', filename: 'ITLFile.tlv', mode: 'octet', options: [] }), port, '127.0.0.1');
    await eventually(() => client.messages.length >= 1, 5000, 'DATA 1');
    const tid = client.messages[0]!.port;
    intruder.socket.send(Uint8Array.of(0, 4, 0, 1), tid, '127.0.0.1');
    await eventually(() => intruder.messages.length >= 1, 5000, 'ERROR 5');
    expect([...intruder.messages[0]!.raw.subarray(0, 4)]).toEqual([0, 5, 0, 5]);
    expect(intruder.messages[0]!.port).toBe(tid);
    const got: Buffer[] = [];
    for (let block = 1; ; block++) {
      await eventually(() => client.messages.some((m) => m.raw[1] === 3 && m.raw[3] === block), 5000, `block ${block}`);
      const m = client.messages.find((x) => x.raw[1] === 3 && x.raw[3] === block)!;
      got.push(m.raw.subarray(4));
      client.socket.send(Uint8Array.of(0, 4, 0, block), tid, '127.0.0.1');
      if (m.raw.length - 4 < 512) break;
    }
    expect(Buffer.concat(got).equals(Buffer.from(FILES.get('ITLFile.tlv')!))).toBe(true);
    await Promise.all([client.close(), intruder.close()]);
    await settle();
  });
});
