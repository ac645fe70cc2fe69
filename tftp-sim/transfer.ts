import type { Clock } from '../src/shared/clock.js';
import type { EventBus } from '../src/shared/events.js';
import { DecodeError } from '../src/shared/errors.js';
import { TftpErrorCode } from './constants.js';
import type { TftpEvent } from './events.js';
import { decodeOrRefuse, refuseStranger, SessionPump } from './pump.js';
import { errorPacket, type ReadSession, type SessionOutcome, type SessionStep } from './read-session.js';
import type { DatagramEndpoint, Peer } from './transport.js';

/** What a transfer shell needs: its socket, session, clock and bus. */
export interface ServerTransferInit {
  id: number;
  client: Peer;
  file: string;
  mode: 'octet' | 'netascii';
  endpoint: DatagramEndpoint;
  session: ReadSession;
  clock: Clock;
  events: EventBus<TftpEvent>;
  /** Called once when the transfer has ended and its socket is closed. */
  onDone: (outcome: SessionOutcome | { kind: 'aborted' }) => void;
}

/**
 * The imperative shell around one {@link ReadSession}: its own socket (the server's transfer
 * ID, RFC 1350 §4), its retransmission timer ({@link SessionPump}, shared with the client), and
 * the event it ends with. Datagrams from any address or port other than the client's get ERROR 5
 * and do not disturb the transfer (RFC 1350 §4).
 */
export class ServerTransfer {
  readonly done: Promise<void>;
  readonly #init: ServerTransferInit;
  readonly #startedAt: number;
  readonly #pump: SessionPump<SessionStep>;
  #finished = false;
  #resolveDone!: () => void;

  constructor(init: ServerTransferInit) {
    this.#init = init;
    this.#startedAt = init.clock.now();
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
    this.#pump = new SessionPump<SessionStep>({
      send: (d) => init.endpoint.send(d, init.client),
      clock: init.clock,
      timeoutMs: () => init.session.parameters.timeoutMs,
      session: init.session,
      onOutcome: (step) => {
        this.#report(step.outcome!);
        this.#finish(step.outcome!);
      },
    });
    init.endpoint.onMessage((msg, from) => this.#onDatagram(msg, from));
  }

  get id(): number {
    return this.#init.id;
  }

  /** Whether the client has acknowledged anything yet. */
  get heard(): boolean {
    return this.#init.session.heard;
  }

  start(): void {
    this.#pump.apply(this.#init.session.start());
  }

  /** Ends the transfer now with ERROR 0 to the client (server shutting down). */
  abort(message: string): void {
    if (this.#finished) return;
    this.#init.endpoint.send(errorPacket(TftpErrorCode.NOT_DEFINED, message), this.#init.client);
    this.#emitError(TftpErrorCode.NOT_DEFINED, 'sent', 'aborted', message);
    this.#finish({ kind: 'aborted' });
  }

  #onDatagram(msg: Uint8Array, from: Peer): void {
    if (this.#finished) return;
    const { client, endpoint } = this.#init;
    if (from.port !== client.port || from.address !== client.address) {
      refuseStranger(msg, (d) => endpoint.send(d, from));
      this.#init.events.emit({ type: 'tftp.rejected', transferId: this.id, client: from, tftpCode: TftpErrorCode.UNKNOWN_TID, reason: 'unknown-tid', message: `datagram for transfer ${this.id} (${this.#init.file}) from a port that is not its client's` });
      return;
    }
    const packet = decodeOrRefuse(msg, (d) => endpoint.send(d, client));
    if (packet instanceof DecodeError) {
      const message = `malformed packet: ${packet.code} at byte ${packet.offset}`;
      this.#emitError(TftpErrorCode.ILLEGAL_OPERATION, 'sent', 'malformed', message);
      this.#finish({ kind: 'failed', reason: 'illegal-packet', tftpCode: TftpErrorCode.ILLEGAL_OPERATION, message });
      return;
    }
    this.#pump.apply(this.#init.session.onPacket(packet));
  }

  #report(outcome: SessionOutcome): void {
    const { session, events, client, file, mode } = this.#init;
    if (outcome.kind === 'complete') {
      events.emit({
        type: 'tftp.complete', transferId: this.id, client, file, mode, bytes: session.data.length, blocks: session.totalBlocks,
        blockSize: session.parameters.blockSize, windowSize: session.parameters.windowSize, retransmits: session.retransmits, durationMs: this.#init.clock.now() - this.#startedAt,
      });
    } else if (outcome.reason === 'timeout') {
      events.emit({ type: 'tftp.timeout', transferId: this.id, client, file, retransmits: session.retransmits, bytesAcknowledged: session.acknowledgedBytes });
    } else {
      this.#emitError(outcome.tftpCode ?? TftpErrorCode.NOT_DEFINED, outcome.reason === 'error-received' ? 'received' : 'sent', outcome.reason === 'error-received' ? 'client-error' : 'illegal-operation', outcome.message);
    }
  }

  #emitError(tftpCode: number, direction: 'sent' | 'received', reason: string, message: string): void {
    this.#init.events.emit({ type: 'tftp.error', transferId: this.id, client: this.#init.client, file: this.#init.file, tftpCode, direction, reason, message });
  }

  #finish(outcome: SessionOutcome | { kind: 'aborted' }): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#pump.stop();
    void this.#init.endpoint.close().finally(() => {
      this.#init.onDone(outcome);
      this.#resolveDone();
    });
  }
}
