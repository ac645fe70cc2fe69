import type { DeviceConfig } from '../../src/config/index.js';
import type { InvalidTransitionError } from '../../src/shared/errors.js';

/**
 * State, events and effects of the phone's trust state machine (conventions.md §9;
 * architecture.md "Layering"). The reducer never performs I/O: it returns effects (fetch a file,
 * ask TVS, enrol, register, start a timer, save flash) that the shell carries out over real
 * sockets, feeding each result back as one event that names the effect it answers. Every event
 * carries the clock time it happened at.
 *
 * The phone runs three regions side by side, each a set of sub-machines with declared tables
 * (docs/phone-machine.md draws them): the boot and registration ({@link Phase}), CAPF enrolment
 * ({@link CapfStage}) and an HTTPS service visit ({@link ServiceStage}).
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
 * Where the phone is in its boot and registration (phone-behaviour.md BOOT-1). `ctl`/`itl`/
 * `config` fetch candidate file names in order over the TFTP server list; a file whose signer
 * needs TVS parks in `tvs` until the answer comes; `enrol` is a secure-profile phone waiting for
 * CAPF before it registers (CAPF-3); `register` has a REGISTER in flight. `off`, `registered`
 * and `failed` are where a phone rests.
 */
export type Phase = 'off' | 'ctl' | 'itl' | 'tvs' | 'config' | 'enrol' | 'register' | 'registered' | 'failed';

/**
 * The CAPF region (CAPF-2, CAPF-3): `session` has a CAPF session in flight, `retry` waits 30 s
 * after a communication failure, `waiting` waits for an authentication string to be typed.
 */
export type CapfStage = 'idle' | 'session' | 'retry' | 'waiting';

/**
 * An HTTPS service visit (TVS-1, SC-23): `connect` waits for the server's certificate, `tvs` for
 * TVS's answer about it, `fetch` for the page over a connection pinned to it.
 */
export type ServiceStage = 'idle' | 'connect' | 'tvs' | 'fetch';

/** The regions and the stage type of each. */
export interface RegionStages {
  phone: Phase;
  capf: CapfStage;
  service: ServiceStage;
}
export type Region = keyof RegionStages;

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
export interface TvsAsk {
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

/** An HTTPS XML service being opened. */
export interface ServiceVisit {
  service: PhoneService;
  url: string;
  stage: Exclude<ServiceStage, 'idle'>;
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

/** How the last CAPF operation ended on this phone (CAPF-3, CAPF-7), for expectations and `phone show`. */
export interface CapfOutcome {
  at: number;
  outcome: 'installed' | 'deleted' | 'no-action' | 'failed';
  reason: string;
  attempts: number;
}

/** The timers a phone runs, each on simulated time. */
export type TimerName = 'capf-retry' | 'register-retry' | 'reregister';

/** An effect that has been started and not yet answered or cancelled. */
export interface PendingEffect {
  id: number;
  type: NetworkEffect['type'] | 'timer.start';
  region: Region;
  /** For timers: which one, and the simulated time it falls due. */
  timer?: TimerName;
  due?: number;
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
  tvsAsk: TvsAsk | null;
  boot: BootOutcome;
  /** The parsed config in force (flash copy), if any. */
  config: DeviceConfig | null;
  /** CAPF: the region's stage, attempts made in this operation, whether it ran this boot. */
  capf: { stage: CapfStage; attempts: number; done: boolean };
  lastCapf?: CapfOutcome;
  register: { server: number; registeredAt?: number; expiresAt?: number; lastError?: string };
  settled: { state: SettledState; reason: string };
  /** An HTTPS service being opened, and how the last one ended. */
  service: ServiceVisit | null;
  lastService?: ServiceOutcome;
  /** Effects in flight and timers set, by id; the next id to hand out. */
  effects: PendingEffect[];
  nextEffect: number;
  /** Behaviour switches for disputed rules (phone-behaviour.md §14). */
  quirks: PhoneQuirks;
}

export interface PhoneQuirks {
  /** TLS-3: ask TVS about a CallManager certificate missing from the CTL/ITL (unconfirmed, default off). */
  tvsForCallManager: boolean;
}

export type TvsOutcomeKind = 'vouched' | 'refused' | 'server-certificate-not-trusted' | 'connection-refused' | 'handshake-failed' | 'timeout' | 'malformed-answer' | 'not-attempted';

/**
 * Why a CAPF session did not install, delete or fetch (CAPF-3): the server `refused` the phone
 * (Invalid LSC, Invalid Authentication String …: no retry), a `communication` failure or a
 * `timeout` (retried 30 s apart), or the phone had no certificate to authenticate with.
 */
export type CapfFailureKind = 'refused' | 'communication' | 'timeout' | 'no-credential';

/** Events a person or the power causes. */
export type ActionEvent =
  | { type: 'power.on'; at: number }
  | { type: 'power.off'; at: number }
  | { type: 'action.reset'; at: number }
  | { type: 'action.security-reset'; at: number }
  | { type: 'action.factory-reset'; at: number }
  | { type: 'action.delete-itl'; at: number }
  | { type: 'action.set-tftp'; at: number; servers: string[] }
  | { type: 'action.auth-string'; at: number; value: string }
  | { type: 'action.open-service'; at: number; service: PhoneService }
  /** A flash image restored onto a switched-off phone with another LSC in it (a cloned or swapped phone). */
  | { type: 'action.restore-lsc'; at: number; lsc: { certPem: string; keyPem: string } };

/** The answer to one effect: `effect` is the id of the effect it ends. */
export type ResultEvent =
  | { type: 'file.result'; at: number; effect: number; name: string; bytes?: Uint8Array; error?: 'not-found' | 'unreachable' | 'error' | 'timeout'; detail?: string }
  | { type: 'tvs.result'; at: number; effect: number; outcome: TvsOutcomeKind; roles?: number[]; ttlSeconds?: number; certificates?: Uint8Array[]; detail?: string }
  | { type: 'capf.result'; at: number; effect: number; ok: boolean; lsc?: { certPem: string; keyPem: string }; deleted?: boolean; reason?: string; failure?: CapfFailureKind }
  | { type: 'sip.result'; at: number; effect: number; ok: boolean; expiresSeconds?: number; reason?: string; alert?: string }
  | { type: 'service.certificate'; at: number; effect: number; url: string; certificate?: Uint8Array; error?: string }
  | { type: 'service.page'; at: number; effect: number; url: string; ok: boolean; title?: string; error?: string }
  | { type: 'timer'; at: number; effect: number; name: TimerName };

export type PhoneEvent = ActionEvent | ResultEvent;

type Member = { host: string; port: number; priority: number };

/** Effects that go over the network; each is answered by exactly one {@link ResultEvent}. */
export type NetworkEffect =
  | { type: 'fetch'; id: number; server: string; name: string }
  | { type: 'tvs.verify'; id: number; members: Member[]; trustedTvs: Uint8Array[]; certificate: Uint8Array }
  | { type: 'tvs.query'; id: number; members: Member[]; trustedTvs: Uint8Array[]; subject: string }
  | { type: 'capf.enroll'; id: number; server: { host: string; port: number }; authMode: 1 | 2 | 3 | 4; authString?: string; trustedCapf: Uint8Array[] }
  | { type: 'sip.register'; id: number; server: { host: string; port: number }; transport: 'tcp' | 'tls'; mode: 'authenticated' | 'encrypted' | 'non-secure'; credential: 'lsc' | 'mic'; trustedServers: Uint8Array[] }
  | { type: 'service.connect'; id: number; url: string }
  | { type: 'service.fetch'; id: number; url: string; certificate: Uint8Array };

export type PhoneEffect =
  | NetworkEffect
  /** A timer on the phone's (simulated) clock, answered by a `timer` event when it falls due. */
  | { type: 'timer.start'; id: number; name: TimerName; ms: number }
  /** These effects end now, unanswered: the shell drops whatever they would still deliver. */
  | { type: 'cancel'; ids: number[] }
  | { type: 'flash.save' }
  | { type: 'status'; message: string }
  | { type: 'settled'; state: SettledState; reason: string };

/** One reduction: the next state, the effects to run, and a finding when the event had no edge. */
export interface Transition {
  state: PhoneState;
  effects: PhoneEffect[];
  invalid?: InvalidTransitionError;
}
