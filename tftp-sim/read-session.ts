import { EmulatorError } from '../src/shared/errors.js';
import { BLOCK_MODULO, TftpErrorCode, UNACKED_RETRIES } from './constants.js';
import { ERROR_MESSAGES } from './errors.js';
import type { TransferParameters } from './options.js';
import { encodePacket, type TftpOption, type TftpPacket } from './packet.js';

/**
 * The sending side of a read transfer, with no socket and no timer inside (conventions.md §9):
 * each input returns the datagrams to send and whether the transfer moved forward, and the
 * server's transfer shell sends them and re-arms its retransmission timer.
 *
 * ```
 *            options accepted            ACK 0
 *  (start) ───────────────► negotiating ───────► sending ── last block ACKed ──► complete
 *     │                         │                  ▲  │
 *     └── no options ───────────┼──────────────────┘  │
 *                               └──── ERROR received, illegal packet, retries used up ──► failed
 * ```
 *
 * Blocks go out in windows of `windowSize` (RFC 7440 §4): an ACK of block n (n beyond the last
 * ACK) moves the window to start at n + 1 and sends it, so an ACK in the middle of a window
 * (the receiver saw a gap) makes the sender go back to the block after it. A repeated ACK of
 * the block already acknowledged sends nothing: answering duplicates is the Sorcerer's
 * Apprentice Syndrome, and RFC 1123 §4.2.3.1 says the sender MUST NOT resend DATA on a
 * duplicate ACK; lost data is resent only when the retransmission timer fires.
 *
 * Blocks are numbered from 1 internally without limit; on the wire they wrap 65535 → 0.
 */
export type ReadSessionState = 'negotiating' | 'sending' | 'complete' | 'failed';

/** How a read session ended. */
export type SessionOutcome =
  | { kind: 'complete' }
  | { kind: 'failed'; reason: 'error-received' | 'illegal-packet' | 'timeout'; tftpCode?: number; message: string };

/** What the shell does after one input: send these, re-arm or not, maybe end. */
export interface SessionStep {
  /** Datagrams to send to the client, in order. */
  send: Uint8Array[];
  /** True when the step sent something new or retransmitted: the shell re-arms its timer. */
  rearm: boolean;
  /** Set once, on the step that ends the session. */
  outcome?: SessionOutcome;
}

const ALLOWED: Record<ReadSessionState, readonly ReadSessionState[]> = {
  negotiating: ['sending', 'failed'],
  sending: ['complete', 'failed'],
  complete: [],
  failed: [],
};

/** The sender's state machine (diagram above). */
export class ReadSession {
  readonly totalBlocks: number;
  #state: ReadSessionState;
  /** Highest block acknowledged (0 before any). */
  #acked = 0;
  /** Highest block sent so far. */
  #highestSent = 0;
  #retries = 0;
  #retransmits = 0;
  /** Whether the client has acknowledged anything yet (an OACK or a block). */
  #heard = false;
  #blocksSent = 0;
  readonly #oack: Uint8Array | undefined;

  constructor(
    readonly data: Uint8Array,
    readonly parameters: TransferParameters,
    oackOptions: readonly TftpOption[],
    readonly maxRetries: number,
  ) {
    this.totalBlocks = Math.floor(data.length / parameters.blockSize) + 1;
    this.#oack = oackOptions.length ? encodePacket({ type: 'OACK', options: [...oackOptions] }) : undefined;
    this.#state = this.#oack ? 'negotiating' : 'sending';
  }

  get state(): ReadSessionState {
    return this.#state;
  }

  /** True once the client has acknowledged something: its address is not spoofed. */
  get heard(): boolean {
    return this.#heard;
  }

  /** Retransmissions since the last progress (the shell backs its timer off with it). */
  get retries(): number {
    return this.#retries;
  }

  /** Bytes the client has acknowledged so far. */
  get acknowledgedBytes(): number {
    return Math.min(this.#acked * this.parameters.blockSize, this.data.length);
  }

  get retransmits(): number {
    return this.#retransmits;
  }

  get blocksSent(): number {
    return this.#blocksSent;
  }

  /** The first datagrams: the OACK, or the first window when no option was accepted. */
  start(): SessionStep {
    if (this.#oack) return { send: [this.#oack], rearm: true };
    return { send: this.#window(), rearm: true };
  }

  /** A decoded packet from the client's transfer ID. */
  onPacket(p: TftpPacket): SessionStep {
    if (this.#state === 'complete' || this.#state === 'failed') return { send: [], rearm: false };
    switch (p.type) {
      case 'ERROR':
        return this.#fail({ kind: 'failed', reason: 'error-received', tftpCode: p.code, message: p.message }, []);
      case 'ACK':
        return this.#onAck(p.block);
      default:
        return this.#fail(
          { kind: 'failed', reason: 'illegal-packet', tftpCode: TftpErrorCode.ILLEGAL_OPERATION, message: `${p.type} is not allowed in a read transfer` },
          [errorPacket(TftpErrorCode.ILLEGAL_OPERATION, `${p.type} is not allowed during a read transfer`)],
        );
    }
  }

  /** The retransmission timer fired without progress. */
  onTimeout(): SessionStep {
    if (this.#state === 'complete' || this.#state === 'failed') return { send: [], rearm: false };
    // Before the client has acknowledged anything its address may be spoofed: retransmit at
    // most UNACKED_RETRIES times (with the shell's backoff), so that a request reflected at a
    // victim costs the server 1 + UNACKED_RETRIES datagrams (issue 15 §3).
    const limit = this.#heard ? this.maxRetries : Math.min(this.maxRetries, UNACKED_RETRIES);
    if (this.#retries >= limit) {
      return this.#fail({ kind: 'failed', reason: 'timeout', message: `no ACK after ${limit} retransmissions` }, []);
    }
    this.#retries++;
    const send = this.#state === 'negotiating' ? [this.#oack!] : this.#window();
    this.#retransmits += send.length;
    return { send, rearm: true };
  }

  #onAck(wire: number): SessionStep {
    if (this.#state === 'negotiating') {
      if (wire !== 0) return { send: [], rearm: false };
      this.#heard = true;
      this.#transition('sending');
      this.#retries = 0;
      return { send: this.#window(), rearm: true };
    }
    const delta = (wire - (this.#acked % BLOCK_MODULO) + BLOCK_MODULO) % BLOCK_MODULO;
    // delta 0: a duplicate ACK (Sorcerer's Apprentice: never answer it). Beyond what was
    // sent: stale or bogus. Either way nothing is sent and the timer keeps running.
    if (delta === 0 || delta > this.#highestSent - this.#acked) return { send: [], rearm: false };
    this.#acked += delta;
    this.#heard = true;
    this.#retries = 0;
    if (this.#acked >= this.totalBlocks) {
      this.#transition('complete');
      return { send: [], rearm: false, outcome: { kind: 'complete' } };
    }
    return { send: this.#window(), rearm: true };
  }

  /** Blocks acked+1 … acked+windowSize (as many as exist). */
  #window(): Uint8Array[] {
    const out: Uint8Array[] = [];
    const last = Math.min(this.#acked + this.parameters.windowSize, this.totalBlocks);
    for (let n = this.#acked + 1; n <= last; n++) out.push(this.#dataPacket(n));
    this.#blocksSent += out.length;
    if (last > this.#highestSent) this.#highestSent = last;
    return out;
  }

  #dataPacket(n: number): Uint8Array {
    const size = this.parameters.blockSize;
    const start = (n - 1) * size;
    const chunk = this.data.subarray(start, Math.min(start + size, this.data.length));
    const out = new Uint8Array(4 + chunk.length);
    const wire = n % BLOCK_MODULO;
    out[0] = 0;
    out[1] = 3;
    out[2] = wire >>> 8;
    out[3] = wire & 0xff;
    out.set(chunk, 4);
    return out;
  }

  #fail(outcome: SessionOutcome, send: Uint8Array[]): SessionStep {
    this.#transition('failed');
    return { send, rearm: false, outcome };
  }

  #transition(to: ReadSessionState): void {
    if (!ALLOWED[this.#state].includes(to)) throw new EmulatorError('INVALID_STATE', `read session cannot go from ${this.#state} to ${to}`);
    this.#state = to;
  }
}

/** An encoded ERROR packet with the standard message when none is given. */
export function errorPacket(code: number, message?: string): Uint8Array {
  const text = (message ?? ERROR_MESSAGES[code] ?? 'Error').replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
  return encodePacket({ type: 'ERROR', code, message: text });
}
