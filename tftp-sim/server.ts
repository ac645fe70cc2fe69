import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../src/shared/clock.js';
import { EmulatorError, isEmulatorError } from '../src/shared/errors.js';
import { EventBus } from '../src/shared/events.js';
import { onAbort, ServerLifecycle, type ServerState, type Startable } from '../src/shared/lifecycle.js';
import { nullLogger, type Logger } from '../src/shared/logger.js';
import { TFTP_PORT, TftpErrorCode } from './constants.js';
import type { TftpEvent } from './events.js';
import { checkFileName, type FileProvider } from './file-provider.js';
import { toNetascii } from './netascii.js';
import { negotiateReadOptions } from './options.js';
import { decodePacket, type RequestPacket } from './packet.js';
import { errorPacket, ReadSession } from './read-session.js';
import { resolveServerLimits, type ServerLimits, type TftpListenOptions, type TftpServerOptions, type TftpServerStats } from './server-options.js';
import { ServerTransfer } from './transfer.js';
import { udpTransport, type DatagramEndpoint, type DatagramTransport, type Peer } from './transport.js';

export type { TftpListenOptions, TftpServerOptions, TftpServerStats } from './server-options.js';

interface Slot {
  key: string;
  address: string;
  bytes: number;
  transfer?: ServerTransfer;
  /** Evicted while its file was being read: the preparation stops and sends nothing. */
  evicted?: boolean;
}

/**
 * A TFTP server for read requests (RFC 1350, 2347, 2348, 2349, 7440): octet and netascii, a
 * fresh socket per transfer, option negotiation, windows, retransmission with bounded retries,
 * ERROR 1/2/4/5/8 as the RFCs give them, and caps on live transfers in all and per client
 * address. Write requests are always refused with ERROR 2: the cluster's files are generated,
 * never uploaded. Lifecycle per conventions.md §8: `listen()` resolves with the bound
 * address, `close()` stops taking requests and waits for running transfers (each ends within
 * its retries), `destroy()` aborts them with ERROR 0.
 */
export class TftpServer implements Startable {
  readonly events: EventBus<TftpEvent>;
  readonly #files: FileProvider;
  readonly #transport: DatagramTransport;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #o: ServerLimits;
  readonly #lifecycle = new ServerLifecycle('TftpServer');
  readonly #slots = new Map<string, Slot>();
  readonly #perAddress = new Map<string, number>();
  readonly #preparing = new Set<Promise<void>>();
  #bytesInFlight = 0;
  readonly #stats: Omit<TftpServerStats, 'liveTransfers' | 'clientsWithTransfers' | 'bytesInFlight'> = { requests: 0, completed: 0, failed: 0, timedOut: 0, refused: 0, busy: 0, evicted: 0, malformed: 0, duplicates: 0 };
  #main: DatagramEndpoint | undefined;
  #address: AddressInfo | undefined;
  #nextId = 1;
  #detachSignal: () => void = () => undefined;

  constructor(options: TftpServerOptions) {
    if (!options?.files || typeof options.files.read !== 'function') throw new EmulatorError('INVALID_ARGUMENT', 'TftpServer needs a files provider with read(name)');
    this.#files = options.files;
    this.#transport = options.transport ?? udpTransport;
    this.#clock = options.clock ?? systemClock;
    this.events = options.events ?? new EventBus<TftpEvent>();
    this.#log = (options.logger ?? nullLogger).child('tftp');
    this.#o = resolveServerLimits(options);
  }

  get state(): ServerState {
    return this.#lifecycle.state;
  }

  /** The bound request address, once listening. */
  get address(): AddressInfo | undefined {
    return this.#address;
  }

  get stats(): Readonly<TftpServerStats> {
    return { ...this.#stats, liveTransfers: this.#slots.size, clientsWithTransfers: this.#perAddress.size, bytesInFlight: this.#bytesInFlight };
  }

  async listen(options: TftpListenOptions = {}): Promise<AddressInfo> {
    this.#lifecycle.assertCanListen();
    options.signal?.throwIfAborted();
    const endpoint = await this.#transport.bind({ address: options.host ?? '0.0.0.0', port: options.port ?? TFTP_PORT });
    if (this.#lifecycle.state !== 'idle') {
      await endpoint.close();
      throw new EmulatorError('INVALID_STATE', `TftpServer: closed while binding`);
    }
    this.#main = endpoint;
    this.#address = endpoint.local;
    endpoint.onMessage((msg, from) => this.#onRequestDatagram(msg, from));
    this.#lifecycle.transition('listening');
    this.#detachSignal = onAbort(options.signal, () => void this.close());
    this.events.emit({ type: 'tftp.listening', address: endpoint.local });
    this.#log.log('info', `listening on ${endpoint.local.address}:${endpoint.local.port}`);
    return endpoint.local;
  }

  /** Stops taking requests, waits for running transfers to end. Idempotent. */
  close(): Promise<void> {
    return this.#lifecycle.close(async () => {
      this.#detachSignal();
      await this.#main?.close();
      while (this.#preparing.size || this.#slots.size) {
        await Promise.all([...this.#preparing, ...[...this.#slots.values()].map((s) => s.transfer?.done)]);
      }
    });
  }

  /** Aborts every running transfer (ERROR 0 to its client), then closes. */
  destroy(): Promise<void> {
    const closing = this.close();
    for (const slot of this.#slots.values()) slot.transfer?.abort('server shutting down');
    return closing;
  }

  #onRequestDatagram(msg: Uint8Array, from: Peer): void {
    if (this.#lifecycle.state !== 'listening') return;
    let packet;
    try {
      packet = decodePacket(msg, { maxRequestBytes: this.#o.maxRequestBytes });
    } catch (err) {
      if (!isEmulatorError(err)) throw err;
      this.#stats.malformed++;
      const message = `malformed request: ${err.code}`;
      // Never answer something that claims to be an ERROR packet (RFC 1350 §7).
      if (!(msg[0] === 0 && msg[1] === 5)) this.#main?.send(errorPacket(TftpErrorCode.ILLEGAL_OPERATION, message), from);
      this.events.emit({ type: 'tftp.rejected', client: from, tftpCode: TftpErrorCode.ILLEGAL_OPERATION, reason: 'malformed', message });
      return;
    }
    switch (packet.type) {
      case 'RRQ':
      case 'WRQ':
        this.#onRequest(packet, from);
        return;
      case 'ERROR':
        return;
      default:
        this.#stats.malformed++;
        this.#main?.send(errorPacket(TftpErrorCode.ILLEGAL_OPERATION, `${packet.type} is not a request`), from);
        this.events.emit({ type: 'tftp.rejected', client: from, tftpCode: TftpErrorCode.ILLEGAL_OPERATION, reason: 'not-a-request', message: `${packet.type} sent to the request port` });
    }
  }

  #onRequest(p: RequestPacket, from: Peer): void {
    const key = `${from.address}|${from.port}`;
    if (this.#slots.has(key)) {
      // The same client TID asking again: a retransmitted request. Its transfer is running.
      this.#stats.duplicates++;
      return;
    }
    const id = this.#nextId++;
    this.#stats.requests++;
    this.events.emit({ type: 'tftp.request', transferId: id, client: from, opcode: p.type, file: p.filename, mode: p.mode, options: p.options });
    const refuse = (tftpCode: number, reason: string, message: string): void => {
      this.#stats.refused++;
      this.#main?.send(errorPacket(tftpCode, message), from);
      this.events.emit({ type: 'tftp.error', transferId: id, client: from, file: p.filename, tftpCode, direction: 'sent', reason, message });
    };
    if (p.type === 'WRQ') return refuse(TftpErrorCode.ACCESS_VIOLATION, 'write-refused', 'this server does not accept writes');
    const mode = p.mode.toLowerCase();
    if (mode !== 'octet' && mode !== 'netascii') return refuse(TftpErrorCode.ILLEGAL_OPERATION, 'bad-mode', `mode "${p.mode}" is not supported; use octet or netascii`);
    const name = checkFileName(p.filename);
    if (!name.ok) return refuse(TftpErrorCode.ACCESS_VIOLATION, 'access-violation', name.message);
    const perAddress = this.#perAddress.get(from.address) ?? 0;
    // At the cap, the oldest transfer whose client never acknowledged anything gives way
    // (issue 15 §3: RRQs from 33 addresses locked everyone out with "server busy" for 18 s).
    if (this.#slots.size >= this.#o.maxTransfers && perAddress < this.#o.maxTransfersPerClient) this.#evictUnheard();
    if (this.#slots.size >= this.#o.maxTransfers || perAddress >= this.#o.maxTransfersPerClient) {
      this.#stats.busy++;
      const message = `server busy: ${this.#slots.size >= this.#o.maxTransfers ? `${this.#o.maxTransfers} transfers running` : `${perAddress} transfers running for ${from.address}`}; try again later`;
      this.#main?.send(errorPacket(TftpErrorCode.NOT_DEFINED, message), from);
      this.events.emit({ type: 'tftp.error', transferId: id, client: from, file: p.filename, tftpCode: TftpErrorCode.NOT_DEFINED, direction: 'sent', reason: 'busy', message });
      return;
    }
    const slot: Slot = { key, address: from.address, bytes: 0 };
    this.#slots.set(key, slot);
    this.#perAddress.set(from.address, perAddress + 1);
    const preparing = this.#prepare(id, slot, p, name.name, mode, from, refuse).catch((err: unknown) => {
      this.#log.log('error', `transfer ${id}: ${(err as Error).message}`);
      this.#release(slot);
    });
    this.#preparing.add(preparing);
    void preparing.finally(() => this.#preparing.delete(preparing));
  }

  async #prepare(id: number, slot: Slot, p: RequestPacket, name: string, mode: 'octet' | 'netascii', from: Peer, refuse: (code: number, reason: string, message: string) => void): Promise<void> {
    let raw: Uint8Array | undefined;
    try {
      raw = await this.#files.read(name, { protocol: 'tftp', client: from });
    } catch (err) {
      this.#release(slot);
      if (isEmulatorError(err, 'FILE_ACCESS_DENIED')) return refuse(TftpErrorCode.ACCESS_VIOLATION, 'access-violation', 'Access violation');
      this.#log.log('error', `reading ${name}: ${(err as Error).message}`);
      return refuse(TftpErrorCode.NOT_DEFINED, 'read-failed', 'the server could not read the file');
    }
    if (slot.evicted) return;
    if (raw === undefined) {
      this.#release(slot);
      return refuse(TftpErrorCode.FILE_NOT_FOUND, 'not-found', 'File not found');
    }
    if (this.#lifecycle.state !== 'listening') {
      this.#release(slot);
      return refuse(TftpErrorCode.NOT_DEFINED, 'aborted', 'server shutting down');
    }
    const data = mode === 'netascii' ? toNetascii(raw) : raw;
    if (this.#bytesInFlight + data.length > this.#o.maxBytesInFlight) {
      this.#release(slot);
      this.#stats.busy++;
      const message = `server busy: ${this.#bytesInFlight} bytes in flight; try again later`;
      this.#main?.send(errorPacket(TftpErrorCode.NOT_DEFINED, message), from);
      this.events.emit({ type: 'tftp.error', transferId: id, client: from, file: p.filename, tftpCode: TftpErrorCode.NOT_DEFINED, direction: 'sent', reason: 'busy', message });
      return;
    }
    slot.bytes = data.length;
    this.#bytesInFlight += data.length;
    const negotiated = negotiateReadOptions(p.options, data.length, {
      maxBlockSize: this.#o.maxBlockSize, maxWindowSize: this.#o.maxWindowSize, defaultTimeoutMs: this.#o.timeoutMs, minTimeoutMs: this.#o.minTimeoutMs,
    });
    if (!negotiated.ok) {
      this.#release(slot);
      return refuse(TftpErrorCode.OPTION_REFUSED, 'option-refused', negotiated.reason);
    }
    let endpoint: DatagramEndpoint;
    try {
      endpoint = await this.#transport.bind({ address: this.#address!.address, port: 0 });
    } catch (err) {
      this.#release(slot);
      this.#log.log('error', `transfer ${id}: no socket: ${(err as Error).message}`);
      return refuse(TftpErrorCode.NOT_DEFINED, 'no-socket', 'the server could not open a transfer socket');
    }
    if (slot.evicted) {
      await endpoint.close();
      return;
    }
    if (this.#lifecycle.state !== 'listening') {
      await endpoint.close();
      this.#release(slot);
      return refuse(TftpErrorCode.NOT_DEFINED, 'aborted', 'server shutting down');
    }
    const session = new ReadSession(data, negotiated.parameters, negotiated.oack, this.#o.maxRetries);
    slot.transfer = new ServerTransfer({
      id, client: from, file: p.filename, mode, endpoint, session, clock: this.#clock, events: this.events,
      onDone: (outcome) => {
        if (outcome.kind === 'complete') this.#stats.completed++;
        else if (outcome.kind === 'failed' && outcome.reason === 'timeout') this.#stats.timedOut++;
        else this.#stats.failed++;
        this.#release(slot);
      },
    });
    slot.transfer.start();
  }

  /**
   * Ends the oldest transfer whose client has not acknowledged anything yet: one still being
   * prepared (nothing sent) or running without an ACK (it gets ERROR 0).
   */
  #evictUnheard(): void {
    for (const slot of this.#slots.values()) {
      if (slot.transfer?.heard) continue;
      this.#stats.evicted++;
      if (slot.transfer) slot.transfer.abort('server busy');
      else slot.evicted = true;
      this.#release(slot);
      return;
    }
  }

  #release(slot: Slot): void {
    if (this.#slots.get(slot.key) !== slot) return;
    this.#slots.delete(slot.key);
    this.#bytesInFlight -= slot.bytes;
    const n = (this.#perAddress.get(slot.address) ?? 1) - 1;
    if (n <= 0) this.#perAddress.delete(slot.address);
    else this.#perAddress.set(slot.address, n);
  }
}
