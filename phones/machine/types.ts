import type { DeviceConfig } from '../../src/config/index.js';

/**
 * State, events and effects of the phone's trust state machine (conventions.md §9). The
 * reducer never performs I/O: it returns effects (fetch a file, ask TVS, enrol, register, save
 * flash, start a timer) that the shell carries out over real sockets, feeding the results back
 * as events. Every event carries the clock time it happened at.
 */

/** What survives power loss: the phone's flash (phone-behaviour.md REC-4; CAPF-3). */
export interface Flash {
  /** Installed CTL and ITL, base64. */
  ctl?: string;
  itl?: string;
  /** The last accepted configuration file (XML text). */
  config?: string;
  /** The LSC and its key (PEM). */
  lsc?: { certPem: string; keyPem: string };
  /** Certificates TVS vouched for, until `expiresAt` (ms) (TVS-5). */
  tvsCache: Array<{ sha256: string; roles: number[]; expiresAt: number }>;
  /** The CAPF authentication string typed on the phone (CAPF-2). */
  capfAuthString?: string;
  /** Status log, newest last, bounded. */
  log: LogEntry[];
}

export interface LogEntry {
  at: number;
  message: string;
}

/**
 * Where the phone is in its boot (phone-behaviour.md BOOT-1):
 *
 * ```
 *  off ──power.on──► ctl ──► itl ──► config ──► [capf] ──► register ──► registered
 *   ▲                 │       │        │           │           │             │
 *   │                 └───────┴────────┴─ tvs ─────┘           └─► failed    └─ timer: re-REGISTER
 *   └──── power.off / reset / security or factory reset (back through off → ctl) ─────┘
 * ```
 *
 * `ctl`/`itl`/`config` fetch candidate file names in order over the TFTP server list; a file that
 * needs TVS parks in `tvs` until the answer comes. `capf` runs before registering for secure
 * profiles and after for non-secure ones (CAPF-3). `waiting` is a CAPF enrolment that needs an
 * authentication string nobody has typed.
 *
 * Beside the boot, a registered phone may be opening an HTTPS service ({@link ServiceVisit}:
 * connect → [tvs] → fetch); that never changes the phase.
 */
export type Phase = 'off' | 'ctl' | 'itl' | 'config' | 'tvs' | 'capf' | 'waiting' | 'register' | 'registered' | 'failed';

/** The single settled state a tester reads (issue 6). */
export type SettledState = 'off' | 'booting' | 'registered' | 'registered-stale-config' | 'trust-update-failed' | 'unregistered' | 'enrolling';

export type TrustListKind = 'CTL' | 'ITL';

/** What happened to each file in the current boot. */
export interface BootOutcome {
  ctl?: 'installed' | 'updated' | 'unchanged' | 'absent' | 'rejected';
  itl?: 'installed' | 'updated' | 'unchanged' | 'absent' | 'rejected' | 'not-supported';
  config?: 'applied' | 'unchanged' | 'rejected' | 'absent';
  /** Why a trust list or config was rejected, for the settled reason. */
  rejection?: string;
}

/** A verification parked while TVS is asked (TVS-3/ITL-4). */
export interface PendingTvs {
  purpose: TrustListKind | 'config';
  /** The file being decided (base64). */
  file: string;
  fileName: string;
  /** The certificate asked about (base64 DER), or the subject for a config-signer query. */
  certificate?: string;
  subject?: string;
  /** Role TVS must return for the answer to count. */
  wantRoles: number[];
}

/**
 * An HTTPS XML service being opened (TVS-1, SC-23): `connect` waits for the server's certificate,
 * `tvs` for TVS's answer about it, `fetch` for the page over a connection pinned to it.
 */
export interface ServiceVisit {
  service: PhoneService;
  url: string;
  stage: 'connect' | 'tvs' | 'fetch';
  /** The server certificate (base64 DER), once seen. */
  certificate?: string;
  /** Why it was trusted, once it was. */
  trustedBy?: 'trust-list' | 'tvs' | 'tvs-cache';
}

/** The services a tester can open from the phone's menu. */
export type PhoneService = 'directory';

/** How the last service visit ended, for expectations and reports. */
export interface ServiceOutcome {
  service: PhoneService;
  url: string;
  at: number;
  outcome: 'loaded' | 'failed';
  reason: string;
  /** Why the server certificate was trusted (when it was). */
  trustedBy?: 'trust-list' | 'tvs' | 'tvs-cache';
}

export interface PhoneState {
  mac: string;
  device: string;
  model: string;
  phase: Phase;
  flash: Flash;
  /** DHCP option 150 and the alternate TFTP server (BOOT-1). */
  tftpServers: string[];
  /** Current download: candidates left for this phase, and which server. */
  fetch: { names: string[]; server: number } | null;
  pending: PendingTvs | null;
  boot: BootOutcome;
  /** The parsed config in force (flash copy), if any. */
  config: DeviceConfig | null;
  /** CAPF: attempts made this boot (CAPF-3: 3 retries 30 s apart); whether it already ran. */
  capf: { attempts: number; done: boolean };
  register: { server: number; registeredAt?: number; expiresAt?: number; lastError?: string };
  settled: { state: SettledState; reason: string };
  /** An HTTPS service being opened, and how the last one ended. */
  service: ServiceVisit | null;
  lastService?: ServiceOutcome;
  /** Behaviour switches for disputed rules (phone-behaviour.md §14). */
  quirks: PhoneQuirks;
}

export interface PhoneQuirks {
  /** TLS-3: ask TVS about a CallManager certificate missing from the CTL/ITL (unconfirmed, default off). */
  tvsForCallManager: boolean;
}

export type TvsOutcomeKind = 'vouched' | 'refused' | 'server-certificate-not-trusted' | 'connection-refused' | 'handshake-failed' | 'timeout' | 'malformed-answer' | 'not-attempted';

export type PhoneEvent =
  | { type: 'power.on'; at: number }
  | { type: 'power.off'; at: number }
  | { type: 'action.reset'; at: number }
  | { type: 'action.security-reset'; at: number }
  | { type: 'action.factory-reset'; at: number }
  | { type: 'action.delete-itl'; at: number }
  | { type: 'action.set-tftp'; at: number; servers: string[] }
  | { type: 'action.auth-string'; at: number; value: string }
  | { type: 'action.open-service'; at: number; service: PhoneService }
  | { type: 'service.certificate'; at: number; url: string; certificate?: Uint8Array; error?: string }
  | { type: 'service.page'; at: number; url: string; ok: boolean; title?: string; error?: string }
  | { type: 'file.result'; at: number; name: string; bytes?: Uint8Array; error?: 'not-found' | 'unreachable' | 'error'; detail?: string }
  | { type: 'tvs.result'; at: number; outcome: TvsOutcomeKind; roles?: number[]; ttlSeconds?: number; certificates?: Uint8Array[]; detail?: string }
  | { type: 'capf.result'; at: number; ok: boolean; lsc?: { certPem: string; keyPem: string }; deleted?: boolean; reason?: string }
  | { type: 'sip.result'; at: number; ok: boolean; expiresSeconds?: number; reason?: string; alert?: string }
  | { type: 'timer'; at: number; id: string };

export type PhoneEffect =
  | { type: 'fetch'; server: string; name: string }
  | { type: 'tvs.verify'; members: Array<{ host: string; port: number; priority: number }>; trustedTvs: Uint8Array[]; certificate: Uint8Array }
  | { type: 'tvs.query'; members: Array<{ host: string; port: number; priority: number }>; trustedTvs: Uint8Array[]; subject: string }
  | { type: 'capf.enroll'; server: { host: string; port: number }; authMode: 1 | 2 | 3 | 4; authString?: string; trustedCapf: Uint8Array[] }
  | { type: 'sip.register'; server: { host: string; port: number }; transport: 'tcp' | 'tls'; mode: 'authenticated' | 'encrypted' | 'non-secure'; credential: 'lsc' | 'mic'; trustedServers: Uint8Array[] }
  | { type: 'service.connect'; url: string }
  | { type: 'service.fetch'; url: string; certificate: Uint8Array }
  | { type: 'timer.start'; id: string; ms: number }
  | { type: 'timer.cancel-all' }
  | { type: 'flash.save' }
  | { type: 'status'; message: string }
  | { type: 'settled'; state: SettledState; reason: string };
