import type { AddressInfo } from 'node:net';
import { EmulatorError } from '../src/shared/errors.js';
import type { BindOptions, DatagramEndpoint, DatagramHandler, DatagramTransport, Peer } from './transport.js';

/**
 * An in-memory datagram network (conventions.md §10: an in-memory transport pair lets tests
 * run without sockets). Datagrams are delivered in a microtask, never synchronously inside
 * `send`, like a real socket. `filter` sees every datagram and may drop it, which is how unit
 * tests lose a packet on purpose; `sent` counts datagrams per sender for assertions.
 */
export interface MemoryDatagram {
  from: Peer;
  to: Peer;
  message: Uint8Array;
}

/** The in-memory network: bind endpoints on any address string, ports from 40000 for port 0. */
export class MemoryNetwork implements DatagramTransport {
  readonly #endpoints = new Map<string, MemoryEndpoint>();
  #nextPort = 40000;
  /** Returns false to drop the datagram. */
  filter: (d: MemoryDatagram) => boolean = () => true;
  /** Every datagram handed to `send`, dropped or not, in order. */
  readonly log: MemoryDatagram[] = [];
  /** Keep at most this many entries in `log` (oldest dropped). */
  logLimit = 10_000;

  async bind({ address, port }: BindOptions): Promise<DatagramEndpoint> {
    let p = port;
    if (p === 0) {
      do p = this.#nextPort++;
      while (this.#endpoints.has(key(address, p)));
    }
    if (this.#endpoints.has(key(address, p))) {
      throw new EmulatorError('LISTEN_FAILED', `memory ${address}:${p} is in use`, { details: { errno: 'EADDRINUSE', address, port: p } });
    }
    const ep = new MemoryEndpoint(this, { address, port: p, family: address.includes(':') ? 'IPv6' : 'IPv4' });
    this.#endpoints.set(key(address, p), ep);
    return ep;
  }

  /** Number of endpoints currently bound. */
  get bound(): number {
    return this.#endpoints.size;
  }

  /** @internal */
  deliver(d: MemoryDatagram): void {
    this.log.push(d);
    if (this.log.length > this.logLimit) this.log.splice(0, this.log.length - this.logLimit);
    if (!this.filter(d)) return;
    const copy = d.message.slice();
    queueMicrotask(() => this.#endpoints.get(key(d.to.address, d.to.port))?.receive(copy, d.from));
  }

  /** @internal */
  unbind(ep: MemoryEndpoint): void {
    this.#endpoints.delete(key(ep.local.address, ep.local.port));
  }
}

function key(address: string, port: number): string {
  return `${address}|${port}`;
}

class MemoryEndpoint implements DatagramEndpoint {
  #handler: DatagramHandler = () => undefined;
  #closed = false;

  constructor(
    readonly network: MemoryNetwork,
    readonly local: AddressInfo,
  ) {}

  send(message: Uint8Array, to: Peer): void {
    if (!this.#closed) this.network.deliver({ from: { address: this.local.address, port: this.local.port }, to, message });
  }

  onMessage(handler: DatagramHandler): void {
    this.#handler = handler;
  }

  receive(message: Uint8Array, from: Peer): void {
    if (!this.#closed) this.#handler(message, from);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.network.unbind(this);
  }
}
