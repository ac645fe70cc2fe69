import { EmulatorError, type ErrorCode } from '../src/shared/errors.js';
import { BLOCK_MODULO, DEFAULT_BLOCK_SIZE, TftpErrorCode } from './constants.js';
import { codeForRemoteError } from './errors.js';
import { checkOack, type RequestedOptions } from './options.js';
import { encodePacket, type TftpPacket } from './packet.js';
import { errorPacket } from './read-session.js';

/**
 * The receiving side of a read transfer (the client), with no socket and no timer inside, the
 * mirror of ReadSession:
 *
 * ```
 *              OACK accepted → ACK 0
 *  requesting ───────────────────────► receiving ── short block ──► complete
 *      │    └── DATA 1 (options ignored) ──┘  │
 *      └────── ERROR, bad OACK, illegal packet, retries used up ───► failed
 * ```
 *
 * A block is acknowledged when it completes a window, or is the last (RFC 7440 §4; a window
 * of 1 is RFC 1350 lock-step). A duplicate or old block is acknowledged again with the last
 * in-order block (the sender missed our ACK); the first block beyond a gap is answered once
 * with the same ACK, so the sender restarts after it (RFC 7440 §4) without an ACK per stray
 * block. On a timeout the last packet sent (the request, or the last ACK) goes again.
 */
export type ReceiveSessionState = 'requesting' | 'receiving' | 'complete' | 'failed';

/** How a receive session ended: the bytes, or a trustlab error code. */
export type ReceiveOutcome =
  | { kind: 'complete'; bytes: Uint8Array }
  | { kind: 'failed'; code: ErrorCode; tftpCode?: number; message: string };

/** What the client shell does after one input. */
export interface ReceiveStep {
  send: Uint8Array[];
  /** The transfer moved forward: re-arm the retransmission timer. */
  rearm: boolean;
  outcome?: ReceiveOutcome;
}

const ALLOWED: Record<ReceiveSessionState, readonly ReceiveSessionState[]> = {
  requesting: ['receiving', 'complete', 'failed'],
  receiving: ['complete', 'failed'],
  complete: [],
  failed: [],
};

/** The receiver's state machine (diagram above). */
export class ReceiveSession {
  #state: ReceiveSessionState = 'requesting';
  #blockSize = DEFAULT_BLOCK_SIZE;
  #windowSize = 1;
  #tsize: number | undefined;
  #negotiated = false;
  #received = 0;
  #sinceAck = 0;
  #gapAcked = false;
  #retries = 0;
  #retransmits = 0;
  #lastSent: Uint8Array;
  readonly #chunks: Uint8Array[] = [];
  #bytes = 0;

  constructor(
    readonly request: Uint8Array,
    readonly requested: RequestedOptions,
    readonly maxRetries: number,
    readonly maxBytes: number,
  ) {
    this.#lastSent = request;
  }

  get state(): ReceiveSessionState {
    return this.#state;
  }

  get parameters(): { blockSize: number; windowSize: number; tsize?: number; negotiated: boolean } {
    return { blockSize: this.#blockSize, windowSize: this.#windowSize, negotiated: this.#negotiated, ...(this.#tsize !== undefined ? { tsize: this.#tsize } : {}) };
  }

  get retries(): number {
    return this.#retries;
  }

  get retransmits(): number {
    return this.#retransmits;
  }

  /** The final ACK, for re-sending while dallying after completion. */
  get lastSent(): Uint8Array {
    return this.#lastSent;
  }

  start(): ReceiveStep {
    return { send: [this.request], rearm: true };
  }

  onPacket(p: TftpPacket): ReceiveStep {
    if (this.#state === 'complete' || this.#state === 'failed') return none();
    if (p.type === 'ERROR') return this.#fail(codeForRemoteError(p.code), `server answered ERROR ${p.code}: ${p.message}`, p.code, []);
    if (p.type === 'OACK') {
      if (this.#state === 'receiving') {
        // Our ACK 0 was lost and the server sent its OACK again.
        return this.#received === 0 ? { send: [this.#lastSent], rearm: false } : none();
      }
      const check = checkOack(p.options, this.requested);
      if (!check.ok) return this.#fail('TFTP_OPTION_REFUSED', check.reason, TftpErrorCode.OPTION_REFUSED, [errorPacket(TftpErrorCode.OPTION_REFUSED, check.reason)]);
      if (check.tsize !== undefined && check.tsize > this.maxBytes) return this.#tooLarge(check.tsize);
      this.#blockSize = check.blockSize;
      this.#windowSize = check.windowSize;
      this.#tsize = check.tsize;
      this.#negotiated = true;
      this.#transition('receiving');
      this.#retries = 0;
      return this.#sendAck(true);
    }
    if (p.type === 'DATA') {
      if (this.#state === 'requesting') this.#transition('receiving');
      return this.#onData(p.block, p.data);
    }
    return this.#fail('TFTP_PROTOCOL_VIOLATION', `server sent ${p.type} during a read`, TftpErrorCode.ILLEGAL_OPERATION, [errorPacket(TftpErrorCode.ILLEGAL_OPERATION, `${p.type} is not expected here`)]);
  }

  onTimeout(): ReceiveStep {
    if (this.#state === 'complete' || this.#state === 'failed') return none();
    if (this.#retries >= this.maxRetries) {
      const what = this.#state === 'requesting' ? 'no answer to the request' : `no DATA after block ${this.#received}`;
      return this.#fail('TFTP_TIMEOUT', `${what} after ${this.maxRetries} retransmissions`, undefined, []);
    }
    this.#retries++;
    this.#retransmits++;
    this.#sinceAck = 0;
    return { send: [this.#lastSent], rearm: true };
  }

  #onData(wire: number, data: Uint8Array): ReceiveStep {
    const delta = (wire - (this.#received % BLOCK_MODULO) + BLOCK_MODULO) % BLOCK_MODULO;
    if (delta === 1) {
      if (data.length > this.#blockSize) {
        return this.#fail('TFTP_PROTOCOL_VIOLATION', `block ${this.#received + 1} has ${data.length} bytes, over the ${this.#blockSize}-byte block size`, TftpErrorCode.ILLEGAL_OPERATION, [errorPacket(TftpErrorCode.ILLEGAL_OPERATION, 'block larger than the block size')]);
      }
      this.#received++;
      this.#retries = 0;
      this.#gapAcked = false;
      this.#bytes += data.length;
      if (this.#bytes > this.maxBytes) return this.#tooLarge(this.#bytes);
      this.#chunks.push(data.slice());
      if (data.length < this.#blockSize) {
        const ack = this.#ack();
        this.#transition('complete');
        return { send: [ack], rearm: false, outcome: { kind: 'complete', bytes: this.#assemble() } };
      }
      if (++this.#sinceAck >= this.#windowSize) return this.#sendAck(true);
      return { send: [], rearm: true };
    }
    if (delta === 0 || delta > this.#windowSize) return this.#sendAck(false);
    if (this.#gapAcked) return none();
    this.#gapAcked = true;
    return this.#sendAck(false);
  }

  #ack(): Uint8Array {
    this.#sinceAck = 0;
    this.#lastSent = encodePacket({ type: 'ACK', block: this.#received % BLOCK_MODULO });
    return this.#lastSent;
  }

  #sendAck(rearm: boolean): ReceiveStep {
    return { send: [this.#ack()], rearm };
  }

  #tooLarge(size: number): ReceiveStep {
    return this.#fail('IO_TOO_LARGE', `file of ${size} bytes exceeds the ${this.maxBytes}-byte limit`, TftpErrorCode.DISK_FULL, [errorPacket(TftpErrorCode.DISK_FULL, 'file too large for this client')]);
  }

  #assemble(): Uint8Array {
    const out = new Uint8Array(this.#bytes);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    this.#chunks.length = 0;
    return out;
  }

  #fail(code: ErrorCode, message: string, tftpCode: number | undefined, send: Uint8Array[]): ReceiveStep {
    this.#transition('failed');
    return { send, rearm: false, outcome: { kind: 'failed', code, message, ...(tftpCode !== undefined ? { tftpCode } : {}) } };
  }

  #transition(to: ReceiveSessionState): void {
    if (!ALLOWED[this.#state].includes(to)) throw new EmulatorError('INVALID_STATE', `receive session cannot go from ${this.#state} to ${to}`);
    this.#state = to;
  }
}

function none(): ReceiveStep {
  return { send: [], rearm: false };
}
