import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/shared/clock.js';
import { flush, MapProvider, RawPeer, seededBytes } from '../test/helpers/tftp.js';
import { tftpGet } from './client.js';
import type { TftpEvent } from './events.js';
import { MemoryNetwork } from './memory-transport.js';
import { encodePacket, type DataPacket } from './packet.js';
import { TftpServer, type TftpServerOptions } from './server.js';
import type { Peer } from './transport.js';

/**
 * The server on the in-memory network with a ManualClock: retransmission, timeouts, caps and
 * error codes are checked exactly, without sleeping. Real-socket tests are in test/tftp-*.
 */
const SERVER: Peer = { address: '10.0.0.1', port: 69 };
let net: MemoryNetwork;
let clock: ManualClock;
let files: MapProvider;
let server: TftpServer;
let events: TftpEvent[];

async function start(options: Partial<TftpServerOptions> = {}): Promise<void> {
  server = new TftpServer({ files, transport: net, clock, timeoutMs: 1000, maxRetries: 3, maxTransfers: 4, maxTransfersPerClient: 2, ...options });
  server.events.onAny((e) => events.push(e));
  await server.listen({ host: SERVER.address, port: SERVER.port });
}

beforeEach(async () => {
  net = new MemoryNetwork();
  clock = new ManualClock();
  files = new MapProvider(new Map([
    ['ITLFile.tlv', seededBytes(10 * 1024, 'itl')],
    ['small', seededBytes(1025, 'small')],
    ['text.txt', Uint8Array.from(Buffer.from('line 1\nline 2\r\n'))],
  ]), new Set(['secret']));
  events = [];
  await start();
});

afterEach(async () => {
  await server.destroy();
});

const rrq = (filename: string, options: Array<[string, string]> = [], mode = 'octet') => ({ type: 'RRQ' as const, filename, mode, options: options.map(([name, value]) => ({ name, value })) });
const dataFrom = (peer: RawPeer, port: number) => peer.ofType('DATA').filter((r) => r.from.port === port);

describe('TftpServer on the in-memory network', () => {
  it('serves a file to the client with options, from a fresh port per transfer', async () => {
    const p = tftpGet('ITLFile.tlv', { host: SERVER.address, port: 69, transport: net, clock, localAddress: '10.0.0.2', blockSize: 1428, windowSize: 8, tsize: true });
    const r = await p;
    expect(Buffer.from(r.bytes).equals(Buffer.from(files.files.get('ITLFile.tlv')!))).toBe(true);
    expect(r).toMatchObject({ negotiated: true, blockSize: 1428, windowSize: 8, tsize: 10240 });
    expect(r.server.port).not.toBe(69);
    const second = await tftpGet('ITLFile.tlv', { host: SERVER.address, port: 69, transport: net, clock, localAddress: '10.0.0.2' });
    expect(second.server.port).not.toBe(r.server.port);
    expect(events.filter((e) => e.type === 'tftp.complete')).toHaveLength(2);
    expect(events.find((e) => e.type === 'tftp.complete')).toMatchObject({ bytes: 10240, blocks: 8, blockSize: 1428, windowSize: 8, retransmits: 0 });
    await flush();
    expect(server.stats).toMatchObject({ liveTransfers: 0, completed: 2, requests: 2 });
  });

  it('retransmits on timeout with backoff, and never answers a duplicate ACK (Sorcerer\'s Apprentice)', async () => {
    const peer = await RawPeer.bind(net, '10.0.0.2');
    peer.send(rrq('small'), SERVER);
    await flush();
    const first = peer.ofType('DATA')[0]!;
    expect(first.packet.block).toBe(1);
    const tid = first.from;
    clock.advance(999);
    await flush();
    expect(dataFrom(peer, tid.port)).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(dataFrom(peer, tid.port)).toHaveLength(2);
    clock.advance(1999);
    await flush();
    expect(dataFrom(peer, tid.port)).toHaveLength(2);
    clock.advance(1);
    await flush();
    expect(dataFrom(peer, tid.port)).toHaveLength(3);
    // The client ACKs each copy of block 1: only the first ACK may produce block 2.
    peer.send({ type: 'ACK', block: 1 }, tid);
    peer.send({ type: 'ACK', block: 1 }, tid);
    peer.send({ type: 'ACK', block: 1 }, tid);
    await flush();
    const afterAcks = dataFrom(peer, tid.port).map((r) => r.packet.block);
    expect(afterAcks).toEqual([1, 1, 1, 2]);
    peer.send({ type: 'ACK', block: 2 }, tid);
    await flush();
    expect((dataFrom(peer, tid.port).at(-1)!.packet as DataPacket).data).toHaveLength(1);
    peer.send({ type: 'ACK', block: 3 }, tid);
    await flush();
    expect(events.at(-1)).toMatchObject({ type: 'tftp.complete', retransmits: 2 });
  });

  it('drops a client that vanishes after its retries and frees the transfer and its socket', async () => {
    const peer = await RawPeer.bind(net, '10.0.0.2');
    peer.send(rrq('ITLFile.tlv', [['blksize', '512']]), SERVER);
    await flush();
    const tid = peer.ofType('OACK')[0]!.from;
    peer.send({ type: 'ACK', block: 0 }, tid);
    await flush();
    peer.send({ type: 'ACK', block: 1 }, tid);
    await flush();
    expect(server.stats.liveTransfers).toBe(1);
    expect(net.bound).toBe(3);
    // Retransmissions of block 2 after 1 s, 2 s, 4 s, then 4 s more without an ACK: dropped.
    for (const step of [1000, 2000, 4000]) {
      clock.advance(step);
      await flush();
    }
    expect(dataFrom(peer, tid.port).filter((r) => r.packet.block === 2)).toHaveLength(4);
    expect(server.stats.liveTransfers).toBe(1);
    clock.advance(4000);
    await flush();
    expect(events.at(-1)).toMatchObject({ type: 'tftp.timeout', retransmits: 3, bytesAcknowledged: 512 });
    expect(server.stats).toMatchObject({ liveTransfers: 0, clientsWithTransfers: 0, bytesInFlight: 0, timedOut: 1 });
    expect(net.bound).toBe(2);
    expect(clock.pending).toBe(0);
  });

  it('answers a packet from the wrong port with ERROR 5 and goes on with the transfer (RFC 1350 §4)', async () => {
    const peer = await RawPeer.bind(net, '10.0.0.2');
    const intruder = await RawPeer.bind(net, '10.0.0.3');
    peer.send(rrq('small'), SERVER);
    await flush();
    const tid = peer.ofType('DATA')[0]!.from;
    intruder.send({ type: 'ACK', block: 1 }, tid);
    await flush();
    expect(intruder.received.map((r) => r.packet)).toEqual([expect.objectContaining({ type: 'ERROR', code: 5 })]);
    expect(dataFrom(peer, tid.port)).toHaveLength(1);
    peer.send({ type: 'ACK', block: 1 }, tid);
    await flush();
    expect(dataFrom(peer, tid.port).map((r) => r.packet.block)).toEqual([1, 2]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'tftp.rejected', reason: 'unknown-tid', tftpCode: 5 }));
  });

  const refusals: Array<{ name: string; send: Uint8Array; code: number | undefined; reason?: string }> = [
    { name: 'WRQ (writes refused)', send: encodePacket({ type: 'WRQ', filename: 'x', mode: 'octet', options: [] }), code: 2, reason: 'write-refused' },
    { name: 'a missing file', send: encodePacket(rrq('nope')), code: 1, reason: 'not-found' },
    { name: '.. in the name', send: encodePacket(rrq('../etc/passwd')), code: 2, reason: 'access-violation' },
    { name: 'an absolute path', send: encodePacket(rrq('/etc/passwd')), code: 2, reason: 'access-violation' },
    { name: 'a file the provider refuses', send: encodePacket(rrq('secret')), code: 2, reason: 'access-violation' },
    { name: 'mode mail', send: encodePacket(rrq('small', [], 'mail')), code: 4, reason: 'bad-mode' },
    { name: 'a known option twice', send: encodePacket(rrq('small', [['blksize', '512'], ['blksize', '1024']])), code: 8, reason: 'option-refused' },
    { name: 'garbage', send: Uint8Array.of(0xde, 0xad, 0xbe, 0xef), code: 4 },
    { name: 'an unknown opcode', send: Uint8Array.of(0, 9, 1, 2), code: 4 },
    { name: 'a truncated request', send: Uint8Array.of(0, 1, 0x61, 0x62), code: 4 },
    { name: 'a request over 512 bytes', send: encodePacket(rrq('f'.repeat(600))), code: 4 },
    { name: 'a DATA packet on the request port', send: encodePacket({ type: 'DATA', block: 1, data: new Uint8Array(3) }), code: 4 },
    { name: 'an ERROR packet (never answered)', send: encodePacket({ type: 'ERROR', code: 0, message: 'x' }), code: undefined },
    { name: 'a short ERROR packet (never answered)', send: Uint8Array.of(0, 5, 0), code: undefined },
  ];
  it.each(refusals)('answers $name with ERROR $code', async ({ send, code, reason }) => {
    const peer = await RawPeer.bind(net, '10.0.0.2');
    peer.send(send, SERVER);
    await flush();
    if (code === undefined) expect(peer.received).toEqual([]);
    else {
      expect(peer.received.map((r) => r.packet)).toEqual([expect.objectContaining({ type: 'ERROR', code })]);
      expect(peer.received[0]!.from).toEqual(SERVER);
    }
    if (reason) expect(events.at(-1)).toMatchObject({ type: 'tftp.error', tftpCode: code, direction: 'sent', reason });
    expect(server.stats.liveTransfers).toBe(0);
    expect(net.bound).toBe(2);
  });

  it('ends a transfer when the client refuses the OACK with ERROR 8, or sends garbage on the transfer port', async () => {
    const peer = await RawPeer.bind(net, '10.0.0.2');
    peer.send(rrq('small', [['tsize', '0']]), SERVER);
    await flush();
    const tid = peer.ofType('OACK')[0]!.from;
    peer.send({ type: 'ERROR', code: 8, message: 'no thanks' }, tid);
    await flush();
    expect(events.at(-1)).toMatchObject({ type: 'tftp.error', tftpCode: 8, direction: 'received' });
    const peer2 = await RawPeer.bind(net, '10.0.0.2');
    peer2.send(rrq('small'), SERVER);
    await flush();
    const tid2 = peer2.ofType('DATA')[0]!.from;
    peer2.send(Uint8Array.of(0, 4, 0), tid2);
    await flush();
    expect(peer2.ofType('ERROR').map((r) => r.packet.code)).toEqual([4]);
    expect(events.at(-1)).toMatchObject({ type: 'tftp.error', tftpCode: 4, reason: 'malformed' });
    expect(server.stats).toMatchObject({ liveTransfers: 0, failed: 2 });
  });

  it('caps transfers per client address (ERROR 0) and in all, where the oldest never-acknowledged transfer gives way', async () => {
    const peers = await Promise.all(['10.0.0.2', '10.0.0.2', '10.0.0.2', '10.0.0.3', '10.0.0.3', '10.0.0.4'].map((a) => RawPeer.bind(net, a)));
    for (const p of peers) {
      p.send(rrq('small'), SERVER);
      await flush();
    }
    const answers = peers.map((p) => (p.received[0]!.packet!.type === 'DATA' ? 'DATA' : `ERROR ${(p.received[0]!.packet as { code: number }).code}`));
    // 10.0.0.2's third is over its share; 10.0.0.4 comes at the cap of 4 and the oldest transfer,
    // never acknowledged (peers[0]), gives way with ERROR 0 (issue 15 §3).
    expect(answers).toEqual(['DATA', 'DATA', 'ERROR 0', 'DATA', 'DATA', 'DATA']);
    expect(peers[0]!.received.map((r) => r.packet!.type)).toEqual(['DATA', 'ERROR']);
    expect(server.stats).toMatchObject({ liveTransfers: 4, busy: 1, evicted: 1, clientsWithTransfers: 3 });
    expect(events.filter((e) => e.type === 'tftp.error' && e.reason === 'busy')).toHaveLength(1);
    // A repeated RRQ from a client port with a running transfer is a retransmission: ignored.
    peers[1]!.send(rrq('small'), SERVER);
    await flush();
    expect(server.stats).toMatchObject({ liveTransfers: 4, duplicates: 1 });
    clock.advance(1000 + 2000 + 4000 + 4000);
    await flush();
    expect(server.stats).toMatchObject({ liveTransfers: 0, timedOut: 4, clientsWithTransfers: 0 });
    peers[2]!.send(rrq('small'), SERVER);
    await flush();
    expect(peers[2]!.ofType('DATA')).toHaveLength(1);
  });

  it('caps the file bytes held by running transfers (maxBytesInFlight)', async () => {
    await server.destroy();
    events = [];
    await start({ maxBytesInFlight: 1500, maxTransfersPerClient: 4 });
    const [a, b] = await Promise.all([RawPeer.bind(net, '10.0.0.2'), RawPeer.bind(net, '10.0.0.2')]);
    a.send(rrq('small'), SERVER);
    await flush();
    b.send(rrq('small'), SERVER);
    await flush();
    expect(a.ofType('DATA')).toHaveLength(1);
    expect(b.ofType('ERROR').map((r) => r.packet.message)).toEqual([expect.stringMatching(/server busy: 1025 bytes in flight/)]);
    expect(server.stats).toMatchObject({ liveTransfers: 1, bytesInFlight: 1025, busy: 1 });
    clock.advance(11_000);
    await flush();
    expect(server.stats).toMatchObject({ liveTransfers: 0, bytesInFlight: 0 });
  });

  it('rolls block numbers over 65535 → 0 on a 512 KiB file at blksize 8', async () => {
    const big = seededBytes(8 * 65540 + 3, 'rollover');
    files.files.set('big', big);
    const wire: number[] = [];
    net.filter = (d) => {
      if (d.message[1] === 3 && d.from.port !== 69) wire.push((d.message[2]! << 8) | d.message[3]!);
      return true;
    };
    const r = await tftpGet('big', { host: SERVER.address, port: 69, transport: net, clock, localAddress: '10.0.0.2', blockSize: 8, windowSize: 64 });
    expect(Buffer.from(r.bytes).equals(Buffer.from(big))).toBe(true);
    expect(wire.slice(65534, 65538)).toEqual([65535, 0, 1, 2]);
    expect(events.at(-1)).toMatchObject({ type: 'tftp.complete', blocks: 65541, windowSize: 64 });
  });

  it('serves netascii with CR LF line ends and a tsize counting them', async () => {
    const peer = await RawPeer.bind(net, '10.0.0.2');
    peer.send(rrq('text.txt', [['tsize', '0']], 'NETASCII'), SERVER);
    await flush();
    expect(peer.ofType('OACK')[0]!.packet.options).toEqual([{ name: 'tsize', value: '18' }]);
    peer.send({ type: 'ACK', block: 0 }, peer.ofType('OACK')[0]!.from);
    await flush();
    expect(Buffer.from(peer.ofType('DATA')[0]!.packet.data).toString('latin1')).toBe('line 1\r\nline 2\r\0\r\n');
    const r = await tftpGet('text.txt', { host: SERVER.address, port: 69, transport: net, clock, localAddress: '10.0.0.2', mode: 'netascii' });
    expect(Buffer.from(r.bytes).toString()).toBe('line 1\nline 2\r\n');
  });

  it('reads a millisecond timeout as milliseconds without acknowledging it', async () => {
    const peer = await RawPeer.bind(net, '10.0.0.2');
    peer.send(rrq('small', [['timeout', '3000'], ['blksize', '1024']]), SERVER);
    await flush();
    expect(peer.ofType('OACK')[0]!.packet.options).toEqual([{ name: 'blksize', value: '1024' }]);
    const tid = peer.ofType('OACK')[0]!.from;
    clock.advance(2999);
    await flush();
    expect(peer.ofType('OACK')).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(peer.ofType('OACK')).toHaveLength(2);
    expect(peer.ofType('OACK')[1]!.from).toEqual(tid);
  });
});

describe('TftpServer lifecycle', () => {
  it('refuses a second listen, closes idempotently, and close() waits for a running transfer', async () => {
    await expect(server.listen({ host: '10.0.0.1', port: 70 })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    const peer = await RawPeer.bind(net, '10.0.0.2');
    peer.send(rrq('small'), SERVER);
    await flush();
    const tid = peer.ofType('DATA')[0]!.from;
    let closed = false;
    const c1 = server.close().then(() => (closed = true));
    const c2 = server.close();
    await flush();
    expect(server.state).toBe('closing');
    expect(closed).toBe(false);
    peer.send(rrq('small'), SERVER);
    for (const block of [1, 2, 3]) {
      peer.send({ type: 'ACK', block }, tid);
      await flush();
    }
    await Promise.all([c1, c2]);
    expect(closed).toBe(true);
    expect(server.state).toBe('closed');
    expect(events.filter((e) => e.type === 'tftp.request')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'tftp.complete' });
    expect(net.bound).toBe(1);
  });

  it('destroy() aborts running transfers with ERROR 0; an aborted signal closes the server', async () => {
    const peer = await RawPeer.bind(net, '10.0.0.2');
    peer.send(rrq('small'), SERVER);
    await flush();
    await server.destroy();
    expect(peer.ofType('ERROR').map((r) => r.packet.code)).toEqual([0]);
    expect(server.stats.liveTransfers).toBe(0);

    const ac = new AbortController();
    const s2 = new TftpServer({ files, transport: net, clock });
    await s2.listen({ host: '10.0.0.9', port: 69, signal: ac.signal });
    ac.abort();
    await flush();
    expect(s2.state).toBe('closed');
    await expect(new TftpServer({ files, transport: net }).listen({ signal: AbortSignal.abort() })).rejects.toThrow();
  });

  it('validates options before binding anything', () => {
    expect(() => new TftpServer({ files, maxBlockSize: 7 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new TftpServer({ files, maxTransfers: 0 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new TftpServer({} as never)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
