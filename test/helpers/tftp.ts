import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { EmulatorError } from '../../src/shared/errors.js';
import { decodePacket, encodePacket, type FileProvider, type TftpPacket } from '../../tftp-sim/index.js';
import type { DatagramEndpoint, DatagramTransport, Peer } from '../../tftp-sim/index.js';

/**
 * Test helpers for the TFTP server and client: an in-memory file provider, deterministic file
 * contents, a scripted peer that speaks raw packets (on the in-memory network or on real UDP),
 * and a microtask flush for ManualClock tests.
 */

/** Files held in a Map; names listed in `denied` are refused like a directory would be. */
export class MapProvider implements FileProvider {
  readonly reads: string[] = [];
  constructor(
    readonly files: Map<string, Uint8Array> = new Map(),
    readonly denied: Set<string> = new Set(),
  ) {}

  async read(name: string): Promise<Uint8Array | undefined> {
    this.reads.push(name);
    if (this.denied.has(name)) throw new EmulatorError('FILE_ACCESS_DENIED', `${name}: denied`, { details: { name, reason: 'test' } });
    return this.files.get(name);
  }
}

/** `n` bytes that depend only on `seed` (a SHA-256 counter stream). */
export function seededBytes(n: number, seed = 'trustlab'): Uint8Array {
  const out = new Uint8Array(n);
  let i = 0;
  for (let block = 0; i < n; block++) {
    const h = createHash('sha256').update(`${seed}:${block}`).digest();
    out.set(h.subarray(0, Math.min(32, n - i)), i);
    i += 32;
  }
  return out;
}

/** Lets every queued microtask and one macrotask turn run (in-memory deliveries, async reads). */
export async function flush(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}

export interface Received {
  packet: TftpPacket | undefined;
  raw: Uint8Array;
  from: Peer;
}

/** A client that sends and records raw TFTP packets, for scripting exactly what a server sees. */
export class RawPeer {
  readonly received: Received[] = [];
  #waiters: Array<() => void> = [];

  private constructor(readonly endpoint: DatagramEndpoint) {
    endpoint.onMessage((raw, from) => {
      let packet: TftpPacket | undefined;
      try {
        packet = decodePacket(raw, { maxRequestBytes: 65535 });
      } catch {
        packet = undefined;
      }
      this.received.push({ packet, raw: raw.slice(), from });
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async bind(transport: DatagramTransport, address = '127.0.0.1'): Promise<RawPeer> {
    return new RawPeer(await transport.bind({ address, port: 0 }));
  }

  get port(): number {
    return this.endpoint.local.port;
  }

  send(p: TftpPacket | Uint8Array, to: Peer): void {
    this.endpoint.send(p instanceof Uint8Array ? p : encodePacket(p), to);
  }

  /** Packets of one type received so far. */
  ofType<T extends TftpPacket['type']>(type: T): Array<Received & { packet: Extract<TftpPacket, { type: T }> }> {
    return this.received.filter((r) => r.packet?.type === type) as Array<Received & { packet: Extract<TftpPacket, { type: T }> }>;
  }

  /** Resolves with the first received entry (from `index` on) matching `pred`, or rejects after `ms` of real time. */
  async waitFor(pred: (r: Received) => boolean, ms = 5000, from = 0): Promise<Received> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.received.slice(from).find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`RawPeer: nothing matched within ${ms} ms; got ${this.received.map((r) => r.packet?.type ?? 'garbage').join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    return this.endpoint.close();
  }
}

/** Polls `cond` (real time) until it holds; for counters that change as sockets close. */
export async function eventually(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A bare UDP socket on loopback, for sending garbage the codec could never produce. */
export async function rawUdp(address = '127.0.0.1'): Promise<{ socket: Socket; port: number; messages: Array<{ raw: Buffer; port: number }>; close: () => Promise<void> }> {
  const socket = createSocket('udp4');
  const messages: Array<{ raw: Buffer; port: number }> = [];
  socket.on('message', (raw, rinfo) => messages.push({ raw, port: rinfo.port }));
  await new Promise<void>((r) => socket.bind(0, address, () => r()));
  return { socket, port: socket.address().port, messages, close: () => new Promise((r) => socket.close(() => r())) };
}
