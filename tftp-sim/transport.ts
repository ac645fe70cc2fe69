import { createSocket, type Socket } from 'node:dgram';
import { lookup, type LookupOptions } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import type { AddressInfo } from 'node:net';
import { EmulatorError } from '../src/shared/errors.js';

/**
 * The datagram transport the TFTP server and client run on (conventions.md §10: transport is
 * injected). {@link udpTransport} is real UDP (`node:dgram`); {@link MemoryNetwork} joins
 * endpoints in memory so that unit tests drive retransmission on a ManualClock without sockets.
 */
export interface Peer {
  address: string;
  port: number;
}

/** Receives one datagram and its sender. */
export type DatagramHandler = (message: Uint8Array, from: Peer) => void;

/** One bound datagram socket (a TFTP transfer ID is one of these). */
export interface DatagramEndpoint {
  /** The bound local address and port. */
  readonly local: AddressInfo;
  /** Sends one datagram; delivery is never guaranteed (send errors are dropped, as UDP loss). */
  send(message: Uint8Array, to: Peer): void;
  /** Sets the one receiver of incoming datagrams. */
  onMessage(handler: DatagramHandler): void;
  /** Closes the endpoint; resolves once it no longer receives. Idempotent. */
  close(): Promise<void>;
}

/** Address and port to bind; port 0 picks a free one. */
export interface BindOptions {
  address: string;
  port: number;
}

/** Makes endpoints: real UDP, or the in-memory network. */
export interface DatagramTransport {
  /** Binds an endpoint; port 0 picks a free one. Throws `LISTEN_FAILED` with `details.errno`. */
  bind(options: BindOptions): Promise<DatagramEndpoint>;
}

class UdpEndpoint implements DatagramEndpoint {
  #handler: DatagramHandler = () => undefined;
  #closed: Promise<void> | undefined;
  #pendingSends = 0;
  #onDrained: (() => void) | undefined;

  constructor(
    readonly socket: Socket,
    readonly local: AddressInfo,
  ) {
    socket.on('message', (msg, rinfo) => this.#handler(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), { address: rinfo.address, port: rinfo.port }));
    // A send error (EHOSTUNREACH, ENOBUFS) or an ICMP-reported error is UDP loss: TFTP's own
    // retransmission deals with it. Without a listener it would crash the process.
    socket.on('error', () => undefined);
  }

  send(message: Uint8Array, to: Peer): void {
    if (this.#closed) return;
    this.#pendingSends++;
    this.socket.send(message, to.port, to.address, () => {
      if (--this.#pendingSends === 0) this.#onDrained?.();
    });
  }

  onMessage(handler: DatagramHandler): void {
    this.#handler = handler;
  }

  /** Closes once datagrams already handed to `send` have left (a final ERROR or ACK is not lost). */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#handler = () => undefined;
      const shut = (): void => {
        try {
          this.socket.close(() => resolve());
        } catch {
          resolve();
        }
      };
      if (this.#pendingSends === 0) shut();
      else this.#onDrained = shut;
    });
    return this.#closed;
  }
}

/**
 * Resolves IP literals synchronously, so `send` reaches the kernel in the same tick (dgram's
 * default `dns.lookup` defers even literals to the next tick); names go to `dns.lookup`.
 */
function literalLookup(hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(hostname);
  if (family) callback(null, hostname, family);
  else lookup(hostname, options, (err, address, fam) => callback(err, address as string, fam ?? 0));
}

/** Real UDP over `node:dgram` (udp6 when the bind address is IPv6). */
export const udpTransport: DatagramTransport = {
  bind({ address, port }: BindOptions): Promise<DatagramEndpoint> {
    const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', lookup: literalLookup as never });
    return new Promise((resolve, reject) => {
      const onError = (cause: NodeJS.ErrnoException): void => {
        try {
          socket.close();
        } catch {
          // never bound: nothing to close
        }
        reject(new EmulatorError('LISTEN_FAILED', `cannot bind UDP ${address}:${port}: ${cause.code ?? cause.message}`, { cause, details: { errno: cause.code, address, port } }));
      };
      socket.once('error', onError);
      socket.bind({ address, port }, () => {
        socket.off('error', onError);
        resolve(new UdpEndpoint(socket, socket.address()));
      });
    });
  },
};
