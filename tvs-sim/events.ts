import type { AddressInfo } from 'node:net';
import type { EmulatorError } from '../src/shared/errors.js';

/**
 * Typed events of the TVS server (conventions.md §12). Every event names the `node` (the
 * server's `name` option) so that several TVS servers of one cluster can share one bus, and
 * connection events carry the connection's `id`.
 */
export type TvsCloseReason =
  /** The answer was sent and the connection ended (the normal case). */
  | 'answered'
  /** The peer closed or reset the connection before an answer. */
  | 'peer-closed'
  /** No inbound bytes for `idleTimeoutMs`, or the exchange took longer than `connectionTimeoutMs`. */
  | 'idle-timeout'
  | 'connection-timeout'
  /** Malformed bytes, a failed handshake, an authority failure: see the `tvs.error` before it. */
  | 'error'
  /** Dropped on accept: `maxConnections` connections were already open. */
  | 'too-many-connections'
  /** The server closed. */
  | 'server-closing';

export type TvsEvent =
  | { type: 'tvs.listening'; node: string; address: AddressInfo }
  | { type: 'tvs.connection'; node: string; id: number; remoteAddress: string; remotePort: number; open: number }
  | { type: 'tvs.handshake'; node: string; id: number; protocol: string; cipher: string; certificateSha256: string }
  | { type: 'tvs.request'; node: string; id: number; command: number; sessionId: number; deviceName?: string; certificateSha256?: string; subject?: string }
  | {
      type: 'tvs.verify.result';
      node: string;
      id: number;
      sessionId: number;
      deviceName?: string;
      certificateSha256?: string;
      subject?: string;
      status: 'valid' | 'invalid';
      roles: number[];
      ttlSeconds?: number;
    }
  | { type: 'tvs.error'; node: string; id?: number; error: EmulatorError }
  | { type: 'tvs.connection.closed'; node: string; id: number; reason: TvsCloseReason; open: number }
  | { type: 'tvs.closed'; node: string };
