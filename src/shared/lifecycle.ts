import type { AddressInfo } from 'node:net';
import { EmulatorError } from './errors.js';

/**
 * The shared server lifecycle (conventions.md §8): `listen()` resolves with the bound address,
 * `close()` is graceful and idempotent, everything accepts `{ signal }`, and `state` moves
 * idle → listening → closing → closed, only through {@link ServerLifecycle.transition}.
 */
export type ServerState = 'idle' | 'listening' | 'closing' | 'closed';

export interface ListenOptions {
  signal?: AbortSignal;
}

export interface Startable {
  readonly state: ServerState;
  listen(options?: ListenOptions): Promise<AddressInfo>;
  close(): Promise<void>;
}

const EDGES: Record<ServerState, readonly ServerState[]> = {
  idle: ['listening', 'closed'],
  listening: ['closing'],
  closing: ['closed'],
  closed: [],
};

/** Guards a server's state changes. Servers hold one and never assign their state elsewhere. */
export class ServerLifecycle {
  #state: ServerState = 'idle';
  #closing: Promise<void> | undefined;

  constructor(readonly name: string) {}

  get state(): ServerState {
    return this.#state;
  }

  transition(to: ServerState): void {
    if (!EDGES[this.#state].includes(to)) {
      throw new EmulatorError('INVALID_STATE', `${this.name}: cannot go from ${this.#state} to ${to}`);
    }
    this.#state = to;
  }

  /** Throws unless the server may start listening (a second `listen()` is a misuse). */
  assertCanListen(): void {
    if (this.#state !== 'idle') throw new EmulatorError('INVALID_STATE', `${this.name}: listen() called in state ${this.#state}`);
  }

  /**
   * Runs `shutdown` once; later calls get the same promise. Closing a server that never listened
   * just marks it closed.
   */
  close(shutdown: () => Promise<void>): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#state === 'idle') {
      this.#state = 'closed';
      this.#closing = Promise.resolve();
      return this.#closing;
    }
    this.transition('closing');
    this.#closing = shutdown().finally(() => this.transition('closed'));
    return this.#closing;
  }
}

/** Calls `onAbort` when `signal` aborts (at once if already aborted); returns a detach function. */
export function onAbort(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (!signal) return () => undefined;
  if (signal.aborted) {
    onAbort();
    return () => undefined;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
