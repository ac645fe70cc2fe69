import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/shared/clock.js';
import { flush, MapProvider, RawPeer, seededBytes } from '../test/helpers/tftp.js';
import { tftpGet, TftpClient, type TftpGetOptions, type TftpGetResult } from './client.js';
import { MemoryNetwork } from './memory-transport.js';
import { TftpServer } from './server.js';
import type { Peer } from './transport.js';

/** The client against scripted servers and the real server, on the in-memory network. */
const SERVER: Peer = { address: '10.0.0.1', port: 69 };
let net: MemoryNetwork;
let clock: ManualClock;

beforeEach(() => {
  net = new MemoryNetwork();
  clock = new ManualClock();
});

const base = (): TftpGetOptions => ({ host: SERVER.address, port: 69, transport: net, clock, localAddress: '10.0.0.2', timeoutMs: 1000, maxRetries: 3 });

/** Runs `p` to completion, advancing the manual clock in `stepMs` steps. */
async function drive<T>(p: Promise<T>, stepMs = 100, maxMs = 120_000): Promise<T> {
  let done = false;
  const settled = p.finally(() => (done = true));
  settled.catch(() => undefined);
  for (let t = 0; !done && t < maxMs; t += stepMs) {
    await flush(1);
    if (!done) clock.advance(stepMs);
  }
  return settled;
}

describe('tftpGet against scripted servers', () => {
  it('retransmits the request, then fails with TFTP_TIMEOUT (no tftpCode)', async () => {
    const err = await drive(tftpGet('ITLFile.tlv', base())).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TftpError', code: 'TFTP_TIMEOUT', tftpCode: undefined });
    expect(net.log.filter((d) => d.message[1] === 1)).toHaveLength(4);
  });

  it.each([
    [1, 'TFTP_NOT_FOUND'],
    [2, 'TFTP_ACCESS_VIOLATION'],
    [8, 'TFTP_OPTION_REFUSED'],
    [0, 'TFTP_REMOTE_ERROR'],
    [3, 'TFTP_REMOTE_ERROR'],
  ])('names ERROR %d as %s, with tftpCode', async (code, name) => {
    const server = await RawPeer.bind(net, SERVER.address);
    await server.endpoint.close();
    const fake = await net.bind({ address: SERVER.address, port: 69 });
    fake.onMessage((_m, from) => fake.send(Uint8Array.of(0, 5, 0, code, 0x78, 0), from));
    await expect(tftpGet('f', base())).rejects.toMatchObject({ code: name, tftpCode: code });
  });

  it('refuses an OACK with a larger blksize than asked: sends ERROR 8, fails TFTP_OPTION_REFUSED', async () => {
    const fake = await RawPeer.bind(net, SERVER.address);
    await fake.endpoint.close();
    const srv = await net.bind({ address: SERVER.address, port: 69 });
    const tid = await RawPeer.bind(net, SERVER.address);
    srv.onMessage((_m, from) => tid.send({ type: 'OACK', options: [{ name: 'blksize', value: '2048' }] }, from));
    await expect(tftpGet('f', { ...base(), blockSize: 1024 })).rejects.toMatchObject({ code: 'TFTP_OPTION_REFUSED', tftpCode: 8 });
    await flush();
    expect(tid.ofType('ERROR').map((r) => r.packet.code)).toEqual([8]);
  });

  it('answers a stray packet from another port with ERROR 5 and keeps its transfer', async () => {
    const srv = await net.bind({ address: SERVER.address, port: 69 });
    const tid = await RawPeer.bind(net, SERVER.address);
    const stray = await RawPeer.bind(net, SERVER.address);
    let client: Peer | undefined;
    srv.onMessage((_m, from) => {
      client = from;
      tid.send({ type: 'DATA', block: 1, data: new Uint8Array(512) }, from);
    });
    const p = tftpGet('f', base());
    await flush();
    stray.send({ type: 'DATA', block: 2, data: new Uint8Array(3) }, client!);
    await flush();
    expect(stray.ofType('ERROR').map((r) => r.packet.code)).toEqual([5]);
    tid.send({ type: 'DATA', block: 2, data: Uint8Array.of(7) }, client!);
    const r = await p;
    expect(r.bytes.length).toBe(513);
    expect(tid.ofType('ERROR')).toEqual([]);
  });

  it('refuses a file over maxBytes: by tsize before any data, or while receiving (ERROR 3)', async () => {
    const files = new MapProvider(new Map([['big', seededBytes(5000)]]));
    const server = new TftpServer({ files, transport: net, clock });
    await server.listen({ host: SERVER.address, port: 69 });
    await expect(drive(tftpGet('big', { ...base(), tsize: true, maxBytes: 4000 }))).rejects.toMatchObject({ code: 'IO_TOO_LARGE', tftpCode: 3 });
    await expect(drive(tftpGet('big', { ...base(), maxBytes: 4000 }))).rejects.toMatchObject({ code: 'IO_TOO_LARGE' });
    await flush();
    expect(server.stats).toMatchObject({ liveTransfers: 0, failed: 2 });
    await server.destroy();
  });

  it('stops on an aborted signal, telling the server with ERROR 0', async () => {
    const srv = await net.bind({ address: SERVER.address, port: 69 });
    const tid = await RawPeer.bind(net, SERVER.address);
    srv.onMessage((_m, from) => tid.send({ type: 'DATA', block: 1, data: new Uint8Array(512) }, from));
    const ac = new AbortController();
    const p = tftpGet('f', { ...base(), signal: ac.signal });
    await flush();
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    await flush();
    expect(tid.ofType('ERROR').map((r) => r.packet.code)).toEqual([0]);
  });

  it('validates its options', () => {
    expect(() => new TftpClient({ host: 'x', blockSize: 7 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new TftpClient({ host: 'x', windowSize: 0 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new TftpClient({ host: 'x', timeoutSeconds: 256 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('tftpGet against the server on a lossy in-memory network', () => {
  it.each([1, 4])('completes byte-exact with every 5th datagram dropped (windowsize %d)', async (windowSize) => {
    const data = seededBytes(40_000, `lossy${windowSize}`);
    const server = new TftpServer({ files: new MapProvider(new Map([['f', data]])), transport: net, clock, timeoutMs: 200, maxRetries: 8 });
    let serverRetransmits = 0;
    server.events.on('tftp.complete', (e) => (serverRetransmits = e.retransmits));
    await server.listen({ host: SERVER.address, port: 69 });
    let n = 0;
    net.filter = () => ++n % 5 !== 0;
    const client = new TftpClient({ ...base(), timeoutMs: 300, maxRetries: 8, blockSize: 1024, windowSize, tsize: true });
    const r: TftpGetResult = await drive(client.get('f'), 50);
    expect(Buffer.from(r.bytes).equals(Buffer.from(data))).toBe(true);
    await drive(server.close(), 50);
    expect(serverRetransmits + r.retransmits).toBeGreaterThan(0);
    expect(server.stats.liveTransfers).toBe(0);
    expect(server.stats.completed).toBe(1);
  });

  it('re-sends its final ACK while dallying, so the server completes instead of timing out', async () => {
    const server = new TftpServer({ files: new MapProvider(new Map([['f', seededBytes(700)]])), transport: net, clock, timeoutMs: 300 });
    await server.listen({ host: SERVER.address, port: 69 });
    let dropped = false;
    net.filter = (d) => {
      const finalAck = d.message[1] === 4 && d.message[3] === 2;
      if (finalAck && !dropped) {
        dropped = true;
        return false;
      }
      return true;
    };
    await drive(tftpGet('f', { ...base(), dallyMs: 1000 }), 50);
    await drive(server.close(), 50);
    expect(dropped).toBe(true);
    expect(server.stats).toMatchObject({ completed: 1, timedOut: 0 });
  });
});
