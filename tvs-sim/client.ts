import { randomInt } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureVersion } from 'node:tls';
import { systemClock, type Clock } from '../src/shared/clock.js';
import { DecodeError, EmulatorError } from '../src/shared/errors.js';
import { DEFAULT_CLIENT_TIMEOUT_MS, DEFAULT_MAX_FRAME_BYTES, DEFAULT_TTL_SECONDS, DEVICE_NAME_PATTERN, TVS_PORT } from './constants.js';
import { buildTvsRequest, parseTvsResponse } from './elements.js';
import { tvsExchange, type ExchangeResult } from './exchange.js';
import { TvsCommand, TvsStatus } from './tags.js';
import { TvsTrust, type TvsPinMode } from './trust.js';
import type { TvsIdentity } from './identity.js';

/**
 * A TVS member from the phone's config: `<TVS><members><member priority="0..4"><address/>
 * <port>2445</port>` (formats.md §4.1, phone-behaviour.md TVS-2). Lower priority is tried first.
 */
export interface TvsMember {
  host: string;
  /** Default 2445. */
  port?: number;
  /** Default 0; ties keep the order given. */
  priority?: number;
}

/** Options of {@link tvsVerify}. */
export interface TvsVerifyOptions {
  /** The TVS servers to ask, in any order; tried by priority. */
  members: readonly TvsMember[];
  /** DER certificates of the TVS-role (21) records in the phone's ITL: the only servers trusted. */
  trustedTvs: readonly Uint8Array[];
  /** DER certificate the phone wants vouched for (VERIFY_REQUEST, tvsd style)… */
  certificate?: Uint8Array;
  /**
   * …or the subject DN of a signer the phone has no certificate for, as for a signed config
   * (QUERY_REQUEST, the Cisco style of phone-behaviour.md TVS-4); the answer carries the
   * certificate(s). Exactly one of `certificate` and `subject`.
   */
  subject?: string;
  /** Source address to connect from. */
  localAddress?: string;
  /** `CP-<model>-SEP<MAC>` (see `tvsDeviceName`). */
  deviceName: string;
  /** Per member, from connect to answer. Default 10 000 (tvsc's default). */
  timeoutMs?: number;
  /** Default: the system clock. */
  clock?: Clock;
  /** Default: random. The server must echo it. */
  sessionId?: number;
  /** Default `certificate` (byte-identical); see {@link TvsPinMode}. */
  pin?: TvsPinMode;
  /** Largest answer accepted. Default 16 KiB. */
  maxFrameBytes?: number;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  ciphers?: string;
  /**
   * The phone's LSC or MIC with its key, sent if a server asks for a client certificate
   * (phone-behaviour.md TVS-3: phones present one; tvsd and our server never ask).
   */
  clientIdentity?: TvsIdentity;
  /** Aborting rejects with the signal's reason and closes the connection in progress. */
  signal?: AbortSignal;
}

/** How asking one member ended. `member` is the member as given (port defaulted). */
export type TvsAttempt =
  | { kind: 'vouched'; member: Required<TvsMember>; roles: number[]; ttlSeconds: number; sessionId: number; certificates: Uint8Array[] }
  | { kind: 'refused'; member: Required<TvsMember>; status: number; sessionId: number }
  | { kind: 'server-certificate-not-trusted'; member: Required<TvsMember>; serverCertificate: Uint8Array | undefined }
  | { kind: 'connection-refused'; member: Required<TvsMember>; errno: string }
  | { kind: 'handshake-failed'; member: Required<TvsMember>; detail: string }
  | { kind: 'timeout'; member: Required<TvsMember>; stage: 'connect' | 'handshake' | 'answer' }
  | { kind: 'malformed-answer'; member: Required<TvsMember>; error: EmulatorError };

/**
 * The result of {@link tvsVerify}: the attempt that decided it, plus every attempt in order.
 * `vouched` and `refused` are answers and end the search; any other failure moves on to the
 * next member, and when none answers the last failure is the outcome. `not-attempted` means
 * there was nobody to ask: no members, or no trusted TVS certificate (the phone logs
 * "Not using TVS - TVS not in Trust list", phone-behaviour.md TVS-3).
 */
export type TvsVerifyOutcome =
  | (TvsAttempt & { attempts: TvsAttempt[] })
  | { kind: 'not-attempted'; reason: 'no-members' | 'no-trusted-tvs'; attempts: TvsAttempt[] };

/**
 * Asks the cluster's TVS servers to vouch for a certificate, as a phone does when a signer is
 * not in its ITL (phone-behaviour.md TVS-2..TVS-5, SC-3, SC-4, SC-10, SC-11). Expected
 * failures are outcomes, not exceptions; only misuse (a malformed device name) throws.
 */
export async function tvsVerify(o: TvsVerifyOptions): Promise<TvsVerifyOutcome> {
  if (!DEVICE_NAME_PATTERN.test(o.deviceName)) {
    throw new EmulatorError('INVALID_ARGUMENT', `"${o.deviceName}" is not a TVS device name (CP-<4 digits>-SEP<12 upper-case hex>)`);
  }
  if ((o.certificate === undefined) === (o.subject === undefined)) {
    throw new EmulatorError('INVALID_ARGUMENT', 'tvsVerify needs exactly one of certificate and subject');
  }
  if (o.members.length === 0) return { kind: 'not-attempted', reason: 'no-members', attempts: [] };
  if (o.trustedTvs.length === 0) return { kind: 'not-attempted', reason: 'no-trusted-tvs', attempts: [] };
  const sessionId = o.sessionId ?? randomInt(1, 0xffffffff);
  const request = buildTvsRequest({ sessionId, deviceName: o.deviceName, ...(o.certificate ? { certificate: o.certificate } : { subject: o.subject! }) });
  const expected = o.certificate ? TvsCommand.VerifyResponse : TvsCommand.QueryResponse;
  const trust = new TvsTrust(o.trustedTvs, o.pin);
  const legacy = o.minVersion === 'TLSv1' || o.minVersion === 'TLSv1.1';
  const secureContext = clientContext(o, legacy);
  const members = o.members
    .map((m, i) => ({ m: { host: m.host, port: m.port ?? TVS_PORT, priority: m.priority ?? 0 }, i }))
    .sort((a, b) => a.m.priority - b.m.priority || a.i - b.i)
    .map((x) => x.m);
  const attempts: TvsAttempt[] = [];
  for (const member of members) {
    const result = await tvsExchange({ ...member, ...(o.localAddress ? { localAddress: o.localAddress } : {}) }, request, {
      trust,
      timeoutMs: o.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS,
      clock: o.clock ?? systemClock,
      maxFrameBytes: o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      secureContext,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (result.kind === 'aborted') throw result.reason;
    const attempt = interpret(member, sessionId, expected, result);
    attempts.push(attempt);
    if (attempt.kind === 'vouched' || attempt.kind === 'refused') return { ...attempt, attempts };
  }
  return { ...attempts[attempts.length - 1]!, attempts };
}

function interpret(member: Required<TvsMember>, sessionId: number, expected: number, r: Exclude<ExchangeResult, { kind: 'aborted' }>): TvsAttempt {
  if (r.kind !== 'answer') return { ...r, member };
  try {
    if (r.message.command !== expected) {
      throw new DecodeError('TVS_UNEXPECTED_COMMAND', 2, `answer command ${r.message.command} is not ${expected === TvsCommand.VerifyResponse ? 'VERIFY_RESPONSE (2)' : 'QUERY_RESPONSE (4)'}`);
    }
    if (r.message.sessionId !== sessionId) {
      throw new DecodeError('TVS_UNEXPECTED_COMMAND', 4, `answer session id ${r.message.sessionId} is not the request's ${sessionId}`);
    }
    const answer = parseTvsResponse(r.message);
    if (answer.status !== TvsStatus.Valid) return { kind: 'refused', member, status: answer.status, sessionId };
    return { kind: 'vouched', member, roles: answer.roles ?? [], ttlSeconds: answer.ttlSeconds ?? DEFAULT_TTL_SECONDS, sessionId, certificates: answer.certificates };
  } catch (err) {
    return { kind: 'malformed-answer', member, error: err as EmulatorError };
  }
}

/**
 * Client TLS contexts without a client identity are the same for every phone of a model, so they
 * are made once per (versions, ciphers) rather than per query: building one costs more than the
 * rest of a TVS exchange's JavaScript (bench/fleet.ts). With a client identity, one per call.
 */
const SHARED_CONTEXTS = new Map<string, SecureContext>();

function clientContext(o: TvsVerifyOptions, legacy: boolean): SecureContext {
  const settings = {
    ...(o.minVersion ? { minVersion: o.minVersion } : {}),
    ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
    ...(o.ciphers || legacy ? { ciphers: legacy ? `${o.ciphers ?? 'DEFAULT'}:@SECLEVEL=0` : o.ciphers } : {}),
  };
  if (o.clientIdentity) return createSecureContext({ ...settings, cert: o.clientIdentity.certPem, key: o.clientIdentity.keyPem });
  const key = JSON.stringify(settings);
  let ctx = SHARED_CONTEXTS.get(key);
  if (!ctx) SHARED_CONTEXTS.set(key, (ctx = createSecureContext(settings)));
  return ctx;
}
