import type { Clock, TimerHandle } from '../shared/clock.js';
import { EmulatorError, type DecodeError } from '../shared/errors.js';
import type { CapfMessage } from './message.js';

/**
 * What waiting for the peer's next CAPF message can produce. These are expected outcomes of a
 * session over a network, so they are values, not exceptions (conventions.md §7).
 */
export type InboxResult =
  | { kind: 'message'; message: CapfMessage }
  | { kind: 'timeout' }
  | { kind: 'closed' }
  | { kind: 'malformed'; error: DecodeError }
  /** A newer session of the same device took over (the server ends this one). */
  | { kind: 'superseded' };

/**
 * The queue between a socket's framer and a session written as straight-line async code (both
 * the server session and the phone client use it). Timeouts run on the injected clock, so a
 * test can cross a 45-minute key-generation wait with `ManualClock.advance`.
 */
export class CapfInbox {
  readonly #clock: Clock;
  readonly #queue: InboxResult[] = [];
  #final: InboxResult | undefined;
  #waiter: { resolve: (r: InboxResult) => void; timer: TimerHandle } | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  push(message: CapfMessage): void {
    this.#deliver({ kind: 'message', message });
  }

  /** The stream is broken; every later `next()` reports it. */
  fail(error: DecodeError): void {
    this.#end({ kind: 'malformed', error });
  }

  /** The peer closed; every later `next()` reports it. */
  close(): void {
    this.#end({ kind: 'closed' });
  }

  /** A newer session for the same device replaces this one; every later `next()` reports it. */
  supersede(): void {
    this.#end({ kind: 'superseded' });
  }

  #end(r: InboxResult): void {
    if (this.#final) return;
    this.#final = r;
    if (this.#queue.length === 0) this.#deliver(r);
  }

  #deliver(r: InboxResult): void {
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      this.#clock.clearTimeout(w.timer);
      w.resolve(r);
    } else if (r.kind === 'message') {
      this.#queue.push(r);
    }
  }

  /** The next message, or why there is none within `timeoutMs`. One waiter at a time. */
  next(timeoutMs: number): Promise<InboxResult> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#final) return Promise.resolve(this.#final);
    if (this.#waiter) throw new EmulatorError('INVALID_STATE', 'CapfInbox.next() called while another call is waiting');
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        if (this.#waiter?.timer === timer) {
          this.#waiter = undefined;
          resolve({ kind: 'timeout' });
        }
      }, timeoutMs);
      this.#waiter = { resolve, timer };
    });
  }
}
