import type { Clock, TimerHandle } from '../src/shared/clock.js';
import { DecodeError } from '../src/shared/errors.js';
import { TftpErrorCode } from './constants.js';
import { decodePacket, type TftpPacket } from './packet.js';
import { errorPacket } from './read-session.js';

/**
 * The shell shared by both ends of a lock-step transfer (the server's {@link ServerTransfer} and
 * the client's `tftpGet`): it sends what the pure session says, re-arms the retransmission timer
 * with RFC 1123 §4.2.3.2's adaptive backoff (each retransmission without progress doubles the
 * interval, up to 4× the base), and hands the step that ends the session to its owner once.
 */
export interface PumpStep {
  send: Uint8Array[];
  rearm: boolean;
  outcome?: unknown;
}

export interface PumpOptions<S extends PumpStep> {
  send: (datagram: Uint8Array) => void;
  clock: Clock;
  /** The negotiated retransmission interval (it can change when the options are agreed). */
  timeoutMs: () => number;
  session: { onTimeout(): S; readonly retries: number };
  /** The step that ended the session (its datagrams already sent). */
  onOutcome: (step: S) => void;
}

/** Longest retransmission interval, as a multiple of the base: 1×, 2×, then 4× (RFC 1123 §4.2.3.2). */
export const MAX_BACKOFF_FACTOR = 4;

export class SessionPump<S extends PumpStep> {
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(private readonly o: PumpOptions<S>) {}

  get stopped(): boolean {
    return this.#stopped;
  }

  apply(step: S): void {
    if (this.#stopped) return;
    for (const d of step.send) this.o.send(d);
    if (step.outcome) {
      this.stop();
      this.o.onOutcome(step);
      return;
    }
    if (!step.rearm) return;
    this.o.clock.clearTimeout(this.#timer);
    const factor = Math.min(MAX_BACKOFF_FACTOR, 2 ** this.o.session.retries);
    this.#timer = this.o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.apply(this.o.session.onTimeout());
    }, this.o.timeoutMs() * factor);
  }

  stop(): void {
    this.#stopped = true;
    this.o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** RFC 1350 §7: an ERROR packet is never answered, whoever sends it. */
export const isErrorPacket = (msg: Uint8Array): boolean => msg[0] === 0 && msg[1] === 5;

/**
 * RFC 1350 §4: a datagram from a port that is not the transfer's peer gets ERROR 5 and does not
 * disturb the transfer ("An error packet should be sent to the source of the incorrect packet").
 */
export function refuseStranger(msg: Uint8Array, reply: (datagram: Uint8Array) => void): void {
  if (!isErrorPacket(msg)) reply(errorPacket(TftpErrorCode.UNKNOWN_TID));
}

/** Decodes the peer's datagram; a malformed one is answered with ERROR 4 and returned as its DecodeError. */
export function decodeOrRefuse(msg: Uint8Array, reply: (datagram: Uint8Array) => void): TftpPacket | DecodeError {
  try {
    return decodePacket(msg);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    reply(errorPacket(TftpErrorCode.ILLEGAL_OPERATION, `malformed packet: ${err.code} at byte ${err.offset}`));
    return err;
  }
}
