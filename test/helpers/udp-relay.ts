import { createSocket, type Socket } from 'node:dgram';

/**
 * A lossy, reordering, duplicating UDP relay on loopback, for TFTP robustness tests. A client
 * sends its request to the relay's front port; the relay forwards it from a socket of its own
 * to the server's request port. Whatever the server sends back, from whichever transfer port,
 * reaches the client from a relay socket dedicated to that server port, so TFTP's transfer IDs
 * keep working end to end: client → relay socket R(S) → server port S, and back.
 *
 * Every datagram in either direction is dropped with probability `loss`, otherwise delivered
 * after a random delay in [0, maxDelayMs] (so datagrams overtake each other) and, with
 * probability `duplicate`, delivered twice. The random stream is seeded: a failure replays.
 */
export interface RelayOptions {
  target: { address: string; port: number };
  host?: string;
  loss?: number;
  duplicate?: number;
  maxDelayMs?: number;
  seed?: number;
}

export interface RelayStats {
  forwarded: number;
  dropped: number;
  duplicated: number;
}

interface Session {
  client: { address: string; port: number };
  upstream: Socket;
  /** Server source port → the relay socket the client talks to for it. */
  facing: Map<number, Socket>;
}

export class UdpRelay {
  readonly stats: RelayStats = { forwarded: 0, dropped: 0, duplicated: 0 };
  readonly #o: Required<RelayOptions>;
  readonly #front: Socket;
  readonly #sessions = new Map<string, Session>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #random: () => number;
  #closed = false;

  private constructor(front: Socket, o: Required<RelayOptions>) {
    this.#front = front;
    this.#o = o;
    this.#random = mulberry32(o.seed);
    front.on('message', (msg, rinfo) => void this.#fromClient(msg, { address: rinfo.address, port: rinfo.port }, undefined));
  }

  static async start(options: RelayOptions): Promise<UdpRelay> {
    const o: Required<RelayOptions> = { host: '127.0.0.1', loss: 0, duplicate: 0, maxDelayMs: 0, seed: 1, ...options };
    const front = await bound(o.host);
    return new UdpRelay(front, o);
  }

  /** The port clients send their requests to. */
  get port(): number {
    return this.#front.address().port;
  }

  async #session(client: { address: string; port: number }): Promise<Session> {
    const key = `${client.address}|${client.port}`;
    let s = this.#sessions.get(key);
    if (!s) {
      const upstream = await bound(this.#o.host);
      s = { client, upstream, facing: new Map() };
      this.#sessions.set(key, s);
      const session = s;
      upstream.on('message', (msg, rinfo) => void this.#fromServer(session, msg, rinfo.port));
    }
    return s;
  }

  async #fromClient(msg: Buffer, client: { address: string; port: number }, serverPort: number | undefined): Promise<void> {
    const s = await this.#session(client);
    this.#impair(() => s.upstream.send(msg, serverPort ?? this.#o.target.port, this.#o.target.address));
  }

  async #fromServer(s: Session, msg: Buffer, serverPort: number): Promise<void> {
    let facing = s.facing.get(serverPort);
    if (!facing) {
      if (serverPort === this.#o.target.port) facing = this.#front;
      else {
        const sock = await bound(this.#o.host);
        sock.on('message', (m, rinfo) => void this.#fromClient(m, { address: rinfo.address, port: rinfo.port }, serverPort));
        facing = sock;
      }
      s.facing.set(serverPort, facing);
    }
    const out = facing;
    this.#impair(() => out.send(msg, s.client.port, s.client.address));
  }

  #impair(deliver: () => void): void {
    if (this.#closed) return;
    if (this.#random() < this.#o.loss) {
      this.stats.dropped++;
      return;
    }
    const copies = this.#random() < this.#o.duplicate ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      this.stats.forwarded++;
      const delay = this.#o.maxDelayMs > 0 ? this.#random() * this.#o.maxDelayMs : 0;
      if (delay === 0) safe(deliver);
      else {
        const t = setTimeout(() => {
          this.#timers.delete(t);
          if (!this.#closed) safe(deliver);
        }, delay);
        this.#timers.add(t);
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    const sockets = new Set<Socket>([this.#front]);
    for (const s of this.#sessions.values()) {
      sockets.add(s.upstream);
      for (const f of s.facing.values()) sockets.add(f);
    }
    await Promise.all([...sockets].map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch {
    // the socket closed under us: loss
  }
}

function bound(host: string): Promise<Socket> {
  const s = createSocket('udp4');
  s.on('error', () => undefined);
  return new Promise((r) => s.bind(0, host, () => r(s)));
}

/** A small seeded PRNG (mulberry32), uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
