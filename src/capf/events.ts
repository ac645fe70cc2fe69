import type { KeySpec } from '../pki/index.js';
import type { CapfAuthMode, CapfOperation, CapfStatus } from './authority.js';

/**
 * Typed events of the CAPF server (conventions.md §12). Nothing is printed; the CLI, scenario
 * runner and dashboard subscribe to the bus passed in `CapfServerOptions.events`.
 */

/** Why a session was refused or cut short (event text, stable). */
export type CapfRefusal =
  | 'unknown device'
  | 'missing device name'
  | 'unsupported version'
  | 'invalid authentication string'
  | 'no credentials'
  | 'invalid LSC'
  | 'invalid MIC'
  | 'invalid proof'
  | 'invalid SUDI'
  | 'protocol error'
  | 'malformed message'
  | 'timeout'
  | 'peer closed'
  | 'key generation failed'
  | 'key mismatch'
  | 'issue failed'
  | 'store failed'
  | 'delete failed'
  | 'too many connections'
  /** Another session of the same device authenticated; the older one is ended (one per device). */
  | 'superseded';

export type CapfEvent =
  /** A phone passed authentication; the server now runs `operation`. */
  | { type: 'capf.session'; sessionId: number; deviceName: string; authMode: CapfAuthMode; operation: CapfOperation; certificateType?: 'LSC' | 'MIC'; remote: string }
  /** The phone stored the LSC the authority issued. */
  | { type: 'capf.issued'; sessionId: number; deviceName: string; keySpec: KeySpec; lsc: Uint8Array; remote: string }
  | { type: 'capf.deleted'; sessionId: number; deviceName: string; remote: string }
  /** Troubleshoot: the certificate the phone sent (null when it had none). */
  | { type: 'capf.fetched'; sessionId: number; deviceName: string; certificate: Uint8Array | null; certificateType?: number; remote: string }
  | { type: 'capf.refused'; sessionId?: number; deviceName?: string; reason: CapfRefusal; detail?: string; remote: string }
  /** END_SESSION went out with `reason` (tables.ts CapfReason). */
  | { type: 'capf.end'; sessionId: number; deviceName?: string; reason: number; status?: CapfStatus; remote: string }
  /** A connection failed before a session could start (TLS alert, reset, handshake timeout). */
  | { type: 'capf.error'; remote: string; code: string; message: string };
