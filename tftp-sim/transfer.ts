import type { Clock, TimerHandle } from '../src/shared/clock.js';
import type { EventBus } from '../src/shared/events.js';
import { DecodeError } from '../src/shared/errors.js';
import { TftpErrorCode } from './constants.js';
import type { TftpEvent } from './events.js';
import { decodePacket } from './packet.js';
import { errorPacket, type ReadSession, type SessionOutcome, type SessionStep } from './read-session.js';
import type { DatagramEndpoint, Peer } from './transport.js';

/** Longest retransmission interval, as a multiple of the base: 1×, 2×, then 4× (RFC 1123 §4.2.3.2). */
const MAX_BACKOFF_FACTOR = 4;

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
 * ID, RFC 1350 §4), its retransmission timer, and the event it ends with. Datagrams from any
 * address or port other than the client's get ERROR 5 and do not disturb the transfer
 * (RFC 1350 §4: "An error packet should be sent to the source of the incorrect packet, while
 * not disturbing the transfer"). RFC 1123 §4.2.3.2 asks for an adaptive timeout: each
 * retransmission without progress doubles the interval, up to 4× the base.
 */
export class ServerTransfer {
  readonly done: Promise<void>;
  readonly #init: ServerTransferInit;
  readonly #startedAt: number;
  #timer: TimerHandle | undefined;
  #finished = false;
  #resolveDone!: () => void;

  constructor(init: ServerTransferInit) {
    this.#init = init;
    this.#startedAt = init.clock.now();
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
    init.endpoint.onMessage((msg, from) => this.#onDatagram(msg, from));
  }

  get id(): number {
    return this.#init.id;
  }

  start(): void {
    this.#apply(this.#init.session.start());
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
    const { client } = this.#init;
    if (from.port !== client.port || from.address !== client.address) {
      // Never answer an ERROR packet, whoever sends it (RFC 1350 §7: errors are not acknowledged).
      if (!(msg[0] === 0 && msg[1] === 5)) this.#init.endpoint.send(errorPacket(TftpErrorCode.UNKNOWN_TID), from);
      this.#init.events.emit({ type: 'tftp.rejected', transferId: this.id, client: from, tftpCode: TftpErrorCode.UNKNOWN_TID, reason: 'unknown-tid', message: `datagram for transfer ${this.id} (${this.#init.file}) from a port that is not its client's` });
      return;
    }
    let packet;
    try {
      packet = decodePacket(msg);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      const message = `malformed packet: ${err.code} at byte ${err.offset}`;
      this.#init.endpoint.send(errorPacket(TftpErrorCode.ILLEGAL_OPERATION, message), client);
      this.#emitError(TftpErrorCode.ILLEGAL_OPERATION, 'sent', 'malformed', message);
      this.#finish({ kind: 'failed', reason: 'illegal-packet', tftpCode: TftpErrorCode.ILLEGAL_OPERATION, message });
      return;
    }
    this.#apply(this.#init.session.onPacket(packet));
  }

  #apply(step: SessionStep): void {
    const { endpoint, client, clock, session } = this.#init;
    for (const d of step.send) endpoint.send(d, client);
    if (step.outcome) {
      this.#report(step.outcome);
      this.#finish(step.outcome);
      return;
    }
    if (step.rearm) {
      clock.clearTimeout(this.#timer);
      const factor = Math.min(MAX_BACKOFF_FACTOR, 2 ** session.retries);
      this.#timer = clock.setTimeout(() => {
        this.#timer = undefined;
        if (!this.#finished) this.#apply(session.onTimeout());
      }, session.parameters.timeoutMs * factor);
    }
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
    this.#init.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    void this.#init.endpoint.close().finally(() => {
      this.#init.onDone(outcome);
      this.#resolveDone();
    });
  }
}
