import { createPublicKey, type KeyObject } from 'node:crypto';
import type { KeySpec } from '../pki/index.js';
import type { Clock } from '../shared/clock.js';
import { isEmulatorError } from '../shared/errors.js';
import type { TrustAnchors } from '../sip/index.js';
import { statusVerb, type CapfAuthority, type CapfDevice, type CapfFailure, type CapfStatus } from './authority.js';
import { CAPF_PROTOCOL_VERSION } from './constants.js';
import type { CapfEvent, CapfRefusal } from './events.js';
import { capfMessage, readCapfFields, type CapfFields } from './fields.js';
import type { CapfInbox } from './inbox.js';
import type { CapfMessage } from './message.js';
import { proofData, sudiData, verifyProof } from './proof.js';
import { CapfAuthType, CapfCertificateType, CapfCommand, CapfCurve, CapfHash, CapfKeyType, CapfReason, capfCommandName } from './tables.js';

/**
 * One CAPF session, server side, as straight-line async code over an inbox (formats.md §5 flow;
 * the order of checks follows capfd):
 *
 * ```
 * S: AUTH_REQ {VERSION 3, AUTH_TYPE 0}
 * P: AUTH_RESP {REASON, VERSION, DEVICE_NAME, PASSWORD, [CERTIFICATE, SIGNED_DATA, SHA2_SIGNED_DATA, SUDI_DATA]}
 *    unknown device → END_SESSION 9; failed check → END_SESSION 7
 * install: S: KEY_GEN_REQ {KEY_TYPE, KEY_SIZE | CURVE}
 *          P: [REQUEST_IN_PROGRESS …] KEY_GEN_RESP {PUBLIC_KEY}
 *          S: STORE_CERT_REQ {CERTIFICATE_TYPE 1, CERTIFICATE}   P: STORE_CERT_RESP {REASON 1}
 *          S: END_SESSION 1
 * delete:  S: DELETE_CERT_REQ   P: DELETE_CERT_RESP {REASON 1}   S: END_SESSION 1
 * fetch:   S: FETCH_CERT_REQ    P: FETCH_CERT_RESP {REASON 1, CERTIFICATE}   S: END_SESSION 0
 * none:    S: END_SESSION 0
 * ```
 *
 * AUTH_REQ carries AUTH_TYPE 0 as capfd's does: the server cannot know the device before
 * AUTH_RESP names it, and the phone answers from its own `capfAuthMode` (CAPF-2).
 *
 * Every state has its own bound ({@link CAPF_STATE_BOUND}), so that no peer holds a slot longer
 * than the state it is in allows: only an authenticated device with an install pending may wait
 * for key generation, REQUEST_IN_PROGRESS does not extend that wait, and a device has at most one
 * session (`claim`: a newer authenticated session supersedes the older one, as a phone that
 * reconnects must not wait for its own stale session to time out).
 */
export interface CapfSessionContext {
  sessionId: number;
  remote: string;
  authority: CapfAuthority;
  /** CAPF-trust plus the server's own certificate, parsed. */
  anchors: TrustAnchors;
  clock: Clock;
  idleTimeoutMs: number;
  keyGenTimeoutMs: number;
  inbox: CapfInbox;
  /** Writes one whole message in a single socket write. */
  send(message: CapfMessage): void;
  /** Called once the device has authenticated: the server ends any other session of this device. */
  claim?(deviceName: string): void;
  emit(event: CapfEvent): void;
}

/** How a session ended, for the server's bookkeeping. */
export type CapfSessionResult = { ok: true; reason: number } | { ok: false; refusal: CapfRefusal };

/**
 * How long each session state may wait for the phone (issue 15 §8). Key generation is the only
 * long one: "on slow models this can take 30 minutes or more" (CAPF-3); every other state is one
 * round trip.
 */
export const CAPF_STATE_BOUND = {
  'auth': 'idleTimeoutMs',
  'key-gen': 'keyGenTimeoutMs',
  'store': 'idleTimeoutMs',
  'delete': 'idleTimeoutMs',
  'fetch': 'idleTimeoutMs',
} as const satisfies Record<string, 'idleTimeoutMs' | 'keyGenTimeoutMs'>;
export type CapfSessionState = keyof typeof CAPF_STATE_BOUND;

function boundOf(ctx: CapfSessionContext, state: CapfSessionState): number {
  return ctx[CAPF_STATE_BOUND[state]];
}

class Refusal {
  constructor(readonly reason: CapfRefusal, readonly endReason: number | null, readonly detail?: string, readonly failure?: CapfFailure) {}
}

export async function runCapfSession(ctx: CapfSessionContext): Promise<CapfSessionResult> {
  let deviceName: string | undefined;
  let device: CapfDevice | undefined;
  const send = (command: number, fields: CapfFields = {}): void => ctx.send(capfMessage(command, ctx.sessionId, fields));
  const end = (reason: number, status?: CapfStatus): void => {
    send(CapfCommand.EndSession, { reason });
    if (status && deviceName) ctx.authority.recordStatus?.(deviceName, status);
    ctx.emit({ type: 'capf.end', sessionId: ctx.sessionId, ...(deviceName ? { deviceName } : {}), reason, ...(status ? { status } : {}), remote: ctx.remote });
  };
  try {
    send(CapfCommand.AuthReq, { version: CAPF_PROTOCOL_VERSION, authType: CapfAuthType.None });
    const auth = await expect(ctx, CapfCommand.AuthResp, boundOf(ctx, 'auth'));
    if (auth.version !== CAPF_PROTOCOL_VERSION) throw new Refusal('unsupported version', CapfReason.InvalidElement, `VERSION ${auth.version ?? 'missing'}`);
    if (auth.deviceName === undefined || auth.deviceName === '') throw new Refusal('missing device name', CapfReason.InvalidElement);
    deviceName = auth.deviceName;
    device = ctx.authority.device(deviceName);
    if (!device) throw new Refusal('unknown device', CapfReason.UnknownDevice);
    const certificateType = authenticate(ctx, device, deviceName, auth);
    ctx.claim?.(deviceName);
    ctx.emit({
      type: 'capf.session', sessionId: ctx.sessionId, deviceName, authMode: device.authMode, operation: device.operation,
      ...(certificateType ? { certificateType } : {}), remote: ctx.remote,
    });
    switch (device.operation) {
      case 'none':
        end(CapfReason.NoAction);
        return { ok: true, reason: CapfReason.NoAction };
      case 'install':
        return await install(ctx, device, deviceName, send, end);
      case 'delete': {
        send(CapfCommand.DeleteCertReq);
        const r = await expect(ctx, CapfCommand.DeleteCertResp, boundOf(ctx, 'delete'));
        if (r.reason !== CapfReason.UpdateCertificate) throw new Refusal('delete failed', CapfReason.NoAction, `DELETE_CERT_RESP reason ${r.reason ?? 'missing'}`, 'Phone Communication Failure');
        ctx.authority.recordLsc(deviceName, null);
        ctx.emit({ type: 'capf.deleted', sessionId: ctx.sessionId, deviceName, remote: ctx.remote });
        end(CapfReason.UpdateCertificate, 'Delete Success');
        return { ok: true, reason: CapfReason.UpdateCertificate };
      }
      case 'fetch': {
        send(CapfCommand.FetchCertReq);
        const r = await expect(ctx, CapfCommand.FetchCertResp, boundOf(ctx, 'fetch'));
        const ok = r.reason === CapfReason.UpdateCertificate && r.certificate !== undefined;
        ctx.emit({
          type: 'capf.fetched', sessionId: ctx.sessionId, deviceName, certificate: ok ? new Uint8Array(r.certificate!.der) : null,
          ...(r.certificate ? { certificateType: r.certificate.type } : {}), remote: ctx.remote,
        });
        end(CapfReason.NoAction, ok ? 'Troubleshoot Success' : 'Troubleshoot Failed: Phone Communication Failure');
        return { ok: true, reason: CapfReason.NoAction };
      }
    }
  } catch (err) {
    const refusal = err instanceof Refusal ? err : new Refusal('protocol error', CapfReason.InvalidElement, (err as Error).message);
    ctx.emit({
      type: 'capf.refused', sessionId: ctx.sessionId, ...(deviceName ? { deviceName } : {}), reason: refusal.reason,
      ...(refusal.detail ? { detail: refusal.detail } : {}), remote: ctx.remote,
    });
    if (refusal.endReason !== null) {
      const status = device && refusal.failure ? (`${statusVerb(device.operation)} Failed: ${refusal.failure}` as CapfStatus) : undefined;
      end(refusal.endReason, status);
    } else if (device && refusal.failure && deviceName) {
      ctx.authority.recordStatus?.(deviceName, `${statusVerb(device.operation)} Failed: ${refusal.failure}` as CapfStatus);
    }
    return { ok: false, refusal: refusal.reason };
  }
}

/** Waits for `command`; anything else (or nothing) becomes a {@link Refusal}. */
async function expect(ctx: CapfSessionContext, command: number, timeoutMs: number, also: readonly number[] = []): Promise<CapfFields & { command: number }> {
  const r = await ctx.inbox.next(timeoutMs);
  switch (r.kind) {
    case 'timeout': throw new Refusal('timeout', CapfReason.InvalidElement, `waiting for ${capfCommandName(command)}`, 'Phone Communication Failure');
    case 'closed': throw new Refusal('peer closed', null, `waiting for ${capfCommandName(command)}`, 'Phone Communication Failure');
    case 'malformed': throw new Refusal('malformed message', CapfReason.InvalidElement, `${r.error.code}: ${r.error.message}`, 'Phone Communication Failure');
    // The device's newer session carries on; this one records no status of its own.
    case 'superseded': throw new Refusal('superseded', null, `waiting for ${capfCommandName(command)}; a newer session of this device took over`);
    case 'message': break;
  }
  const m = r.message;
  if (m.sessionId !== ctx.sessionId) throw new Refusal('protocol error', CapfReason.InvalidElement, `session id ${m.sessionId} ≠ ${ctx.sessionId}`);
  if (m.command !== command && !also.includes(m.command)) {
    throw new Refusal('protocol error', CapfReason.InvalidElement, `expected ${capfCommandName(command)}, got ${capfCommandName(m.command)}`);
  }
  try {
    return { ...readCapfFields(m), command: m.command };
  } catch (err) {
    if (isEmulatorError(err)) throw new Refusal('malformed message', CapfReason.InvalidElement, `${err.code}: ${err.message}`);
    throw err;
  }
}

/** Checks AUTH_RESP against the device's mode; returns which certificate was used, if any. */
function authenticate(ctx: CapfSessionContext, device: CapfDevice, deviceName: string, auth: CapfFields): 'LSC' | 'MIC' | undefined {
  switch (device.authMode) {
    case 'null-string':
      return undefined;
    case 'auth-string':
      if ((auth.password ?? '') !== (device.authString ?? '')) throw new Refusal('invalid authentication string', CapfReason.InvalidElement, undefined, 'Invalid Authentication String');
      return undefined;
    case 'existing-lsc':
    case 'existing-mic':
      return checkCertificate(ctx, deviceName, auth);
  }
}

function checkCertificate(ctx: CapfSessionContext, deviceName: string, auth: CapfFields): 'LSC' | 'MIC' {
  const cert = auth.certificate;
  if (!cert) throw new Refusal('no credentials', CapfReason.InvalidElement, 'AUTH_RESP has no CERTIFICATE', 'Invalid Credentials');
  const kind = cert.type === CapfCertificateType.Mic ? 'MIC' : 'LSC';
  const now = ctx.clock.now();
  const trust = ctx.anchors.validate([cert.der], now);
  if (!trust.trusted) {
    throw new Refusal(kind === 'MIC' ? 'invalid MIC' : 'invalid LSC', CapfReason.InvalidElement, `${trust.reason}: ${trust.detail}`, kind === 'MIC' ? 'Invalid MIC' : 'Invalid LSC');
  }
  const key = trust.leaf.publicKey;
  const data = proofData(deviceName, cert.der);
  if (!auth.signedData || !verifyProof(data, key, auth.signedData, 'sha1')) {
    throw new Refusal('invalid proof', CapfReason.InvalidElement, auth.signedData ? 'SIGNED_DATA does not verify' : 'no SIGNED_DATA', 'Invalid Credentials');
  }
  const sha2 = auth.sha2SignedData;
  if (sha2 && (sha2.hash !== CapfHash.Sha512 || !verifyProof(data, key, sha2.signature, 'sha512'))) {
    throw new Refusal('invalid proof', CapfReason.InvalidElement, sha2.hash !== CapfHash.Sha512 ? `SHA2_SIGNED_DATA hash ${sha2.hash} is not SHA-512 (3)` : 'SHA2_SIGNED_DATA does not verify', 'Invalid Credentials');
  }
  if (auth.sudiData) checkSudi(ctx, auth.sudiData.certificate, auth.sudiData.signatures, now);
  return kind;
}

/** SUDI block (formats.md §5): RSA signatures over LE u32 session id + DER, certificate in CAPF-trust. */
function checkSudi(ctx: CapfSessionContext, der: Uint8Array, signatures: ReadonlyArray<{ hash: number; signature: Uint8Array }>, now: number): void {
  const trust = ctx.anchors.validate([der], now);
  if (!trust.trusted) throw new Refusal('invalid SUDI', CapfReason.InvalidElement, `${trust.reason}: ${trust.detail}`, 'Invalid Credentials');
  const data = sudiData(ctx.sessionId, der);
  const checkable = signatures.filter((s) => s.hash === CapfHash.Sha1 || s.hash === CapfHash.Sha512);
  const ok = checkable.length > 0 && checkable.every((s) => verifyProof(data, trust.leaf.publicKey, s.signature, s.hash === CapfHash.Sha1 ? 'sha1' : 'sha512'));
  if (!ok) throw new Refusal('invalid SUDI', CapfReason.InvalidElement, 'SUDI signature does not verify', 'Invalid Credentials');
}

type Send = (command: number, fields?: CapfFields) => void;
type End = (reason: number, status?: CapfStatus) => void;

async function install(ctx: CapfSessionContext, device: CapfDevice, deviceName: string, send: Send, end: End): Promise<CapfSessionResult> {
  const spec = device.keySpec;
  send(CapfCommand.KeyGenReq, spec.type === 'rsa'
    ? { keyType: CapfKeyType.Rsa, keySize: spec.bits }
    : { keyType: CapfKeyType.Ec, curve: spec.curve === 'P-256' ? CapfCurve.P256 : CapfCurve.P384 });
  let resp: CapfFields & { command: number };
  // One deadline for the whole state: REQUEST_IN_PROGRESS says the phone is alive, not that it
  // may wait longer (a peer repeating it every 44 minutes held its slot forever).
  const deadline = ctx.clock.now() + boundOf(ctx, 'key-gen');
  for (;;) {
    try {
      resp = await expect(ctx, CapfCommand.KeyGenResp, Math.max(0, deadline - ctx.clock.now()), [CapfCommand.RequestInProgress]);
    } catch (err) {
      if (err instanceof Refusal && err.reason === 'timeout') throw new Refusal('timeout', CapfReason.InvalidElement, err.detail, 'Key Generation Timeout');
      throw err;
    }
    if (resp.command === CapfCommand.KeyGenResp) break;
  }
  if (!resp.publicKey) throw new Refusal('key generation failed', CapfReason.InvalidElement, `KEY_GEN_RESP without PUBLIC_KEY (reason ${resp.reason ?? 'missing'})`, 'Key Generation Failed');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(resp.publicKey), format: 'der', type: 'spki' });
  } catch (err) {
    throw new Refusal('key mismatch', CapfReason.InvalidElement, `PUBLIC_KEY is not a SubjectPublicKeyInfo: ${(err as Error).message}`, 'Key Generation Failed');
  }
  const mismatch = keyMismatch(key, spec);
  if (mismatch) throw new Refusal('key mismatch', CapfReason.InvalidElement, mismatch, 'Key Generation Failed');
  let lsc: Uint8Array;
  try {
    lsc = await ctx.authority.issue(deviceName, new Uint8Array(resp.publicKey), spec);
  } catch (err) {
    throw new Refusal('issue failed', CapfReason.InvalidElement, (err as Error).message, 'CA Communication Failure');
  }
  send(CapfCommand.StoreCertReq, { certificateType: CapfCertificateType.Lsc, certificate: { type: CapfCertificateType.Lsc, der: lsc } });
  const stored = await expect(ctx, CapfCommand.StoreCertResp, boundOf(ctx, 'store'));
  if (stored.reason !== CapfReason.UpdateCertificate) {
    throw new Refusal('store failed', CapfReason.InvalidElement, `STORE_CERT_RESP reason ${stored.reason ?? 'missing'}`, 'Phone Communication Failure');
  }
  ctx.authority.recordLsc(deviceName, lsc);
  ctx.emit({ type: 'capf.issued', sessionId: ctx.sessionId, deviceName, keySpec: spec, lsc, remote: ctx.remote });
  end(CapfReason.UpdateCertificate, 'Upgrade Success');
  return { ok: true, reason: CapfReason.UpdateCertificate };
}

/** Why `key` is not the key KEY_GEN_REQ asked for, or undefined when it is. */
export function keyMismatch(key: KeyObject, spec: KeySpec): string | undefined {
  const d = key.asymmetricKeyDetails ?? {};
  if (spec.type === 'rsa') {
    if (key.asymmetricKeyType !== 'rsa') return `asked for RSA-${spec.bits}, got ${key.asymmetricKeyType}`;
    if (d.modulusLength !== spec.bits) return `asked for RSA-${spec.bits}, got RSA-${d.modulusLength}`;
    return undefined;
  }
  const want = spec.curve === 'P-256' ? 'prime256v1' : 'secp384r1';
  if (key.asymmetricKeyType !== 'ec' || d.namedCurve !== want) return `asked for EC ${spec.curve}, got ${key.asymmetricKeyType} ${d.namedCurve ?? ''}`.trim();
  return undefined;
}
