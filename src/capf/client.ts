import { X509Certificate, type KeyObject } from 'node:crypto';
import { connect, type TLSSocket } from 'node:tls';
import { generateKeyPair, type KeyPair, type KeySpec } from '../pki/index.js';
import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js';
import type { DecodeError } from '../shared/errors.js';
import {
  CAPF_PORT, CAPF_PROTOCOL_VERSION, CapfCertificateType, CapfCommand, CapfCurve, CapfHash, CapfInbox, CapfFramer, CapfKeyType, CapfReason,
  capfCommandName, capfMessage, encodeCapfMessage, keyMismatch, proofData, readCapfFields, signProof, sudiData,
  type CapfFields, type InboxResult,
} from './index.js';

/**
 * The phone side of CAPF (formats.md §5; phone-behaviour.md CAPF-2, CAPF-3, SC-28): connect over
 * TLS to 3804, check the server against the CAPF record(s) of the phone's ITL/CTL — never the
 * system CA store — answer AUTH_REQ as the phone's `capfAuthMode` says, generate the key pair
 * when asked, and return a typed outcome. It never throws for anything the network or the server
 * does.
 */

/** A certificate the phone holds with its private key (its MIC, LSC or SUDI identity). */
export interface CapfCredential {
  certificate: Uint8Array;
  privateKey: KeyObject;
}

/**
 * How the phone authenticates (its `capfAuthMode`, CAPF-2): 1 = authentication string,
 * 2 = null string, 3 = existing certificate with precedence to the LSC (MIC fallback),
 * 4 = existing certificate with precedence to the MIC (LSC fallback).
 */
export type CapfClientAuth =
  | { mode: 'auth-string'; authString: string }
  | { mode: 'null-string' }
  | { mode: 'existing-lsc' }
  | { mode: 'existing-mic' };

export interface CapfClientOptions {
  host: string;
  /** Default 3804. */
  port?: number;
  /** `SEP<MAC>`, sent as DEVICE_NAME. */
  deviceName: string;
  /** DER certificates of the CAPF-role records in the phone's ITL/CTL; the server must present one. */
  capfRecords: readonly Uint8Array[];
  /** Asked about a server certificate that is in no record (TVS fallback, SC-28). Default: not trusted. */
  verifyUnknownServer?: (certificate: Uint8Array) => Promise<boolean>;
  auth: CapfClientAuth;
  /** What the phone's flash holds. */
  lsc?: CapfCredential;
  mic?: CapfCredential;
  /** When set, AUTH_RESP carries a SUDI block signed with this (RSA) credential. */
  sudi?: CapfCredential;
  /** Where new key pairs come from (a fleet passes its key pool). Default: node:crypto generation. */
  keySource?: (spec: KeySpec) => Promise<KeyPair>;
  /** Wait for each server message and for the connection. Default 30 s. */
  timeoutMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
}

export type CapfClientOutcome =
  /** The server issued an LSC and the phone stored it (with the key pair it generated). */
  | { status: 'installed'; sessionId: number; lsc: Uint8Array; keys: KeyPair; endReason: number }
  | { status: 'deleted'; sessionId: number; endReason: number }
  | { status: 'fetched'; sessionId: number; endReason: number }
  /** END_SESSION with 0 or 1 and no operation (capfc: "No scheduled operation"). */
  | { status: 'no-action'; sessionId: number; endReason: number }
  /** END_SESSION 9 (`unknown-device`), 7 (`invalid-element`) or another reason. */
  | { status: 'refused'; sessionId: number; reason: 'unknown-device' | 'invalid-element' | 'other'; endReason: number }
  /** Certificate mode but the phone holds neither LSC nor MIC (CAPF-2: "Fails if the phone has neither"). */
  | { status: 'no-credential' }
  | { status: 'server-not-trusted'; certificate: Uint8Array }
  | { status: 'connection-failed'; code: string; message: string }
  | { status: 'timeout'; waitingFor: string }
  | { status: 'protocol-error'; detail: string }
  | { status: 'aborted' };

type Chosen = { credential: CapfCredential; type: 'LSC' | 'MIC' } | undefined;

/** The certificate the phone authenticates with, by precedence (CAPF-2). */
export function chooseCredential(auth: CapfClientAuth, lsc?: CapfCredential, mic?: CapfCredential): Chosen {
  const l = lsc ? { credential: lsc, type: 'LSC' as const } : undefined;
  const m = mic ? { credential: mic, type: 'MIC' as const } : undefined;
  if (auth.mode === 'existing-lsc') return l ?? m;
  if (auth.mode === 'existing-mic') return m ?? l;
  return undefined;
}

/** Runs one CAPF session as the phone. */
export async function runCapfClient(o: CapfClientOptions): Promise<CapfClientOutcome> {
  const certMode = o.auth.mode === 'existing-lsc' || o.auth.mode === 'existing-mic';
  const chosen = chooseCredential(o.auth, o.lsc, o.mic);
  if (certMode && !chosen) return { status: 'no-credential' };
  if (o.signal?.aborted) return { status: 'aborted' };
  const clock = o.clock ?? systemClock;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const inbox = new CapfInbox(clock);
  const framer = new CapfFramer();
  let socket: TLSSocket | undefined;
  let connectTimer: TimerHandle | undefined;
  const onAbort = (): void => {
    socket?.destroy();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const connected = await new Promise<{ ok: true } | { ok: false; outcome: CapfClientOutcome }>((resolve) => {
      const s = connect({ host: o.host, port: o.port ?? CAPF_PORT, rejectUnauthorized: false });
      socket = s;
      connectTimer = clock.setTimeout(() => {
        s.destroy();
        resolve({ ok: false, outcome: { status: 'timeout', waitingFor: 'TLS handshake' } });
      }, timeoutMs);
      s.on('data', (chunk: Buffer) => {
        try {
          for (const m of framer.push(chunk)) inbox.push(m);
        } catch (err) {
          inbox.fail(err as DecodeError);
        }
      });
      s.on('close', () => {
        inbox.close();
        resolve({ ok: false, outcome: o.signal?.aborted ? { status: 'aborted' } : { status: 'connection-failed', code: 'ECONNRESET', message: 'closed during the TLS handshake' } });
      });
      s.on('error', (err: NodeJS.ErrnoException) => {
        resolve({ ok: false, outcome: o.signal?.aborted ? { status: 'aborted' } : { status: 'connection-failed', code: err.code ?? 'ERROR', message: err.message } });
      });
      s.once('secureConnect', () => resolve({ ok: true }));
    });
    clock.clearTimeout(connectTimer);
    if (!connected.ok) return connected.outcome;
    const s = socket!;
    const peer = s.getPeerX509Certificate();
    const der = peer ? new Uint8Array(peer.raw) : new Uint8Array(0);
    const known = o.capfRecords.some((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength).equals(der));
    if (!known && !(o.verifyUnknownServer && der.length > 0 && (await o.verifyUnknownServer(der)))) {
      return { status: 'server-not-trusted', certificate: der };
    }
    return await converse(o, s, inbox, chosen, timeoutMs);
  } finally {
    clock.clearTimeout(connectTimer);
    o.signal?.removeEventListener('abort', onAbort);
    socket?.destroy();
  }
}

/** Turns an inbox result that is not a message into an outcome. */
function notAMessage(r: Exclude<InboxResult, { kind: 'message' }>, waitingFor: string, aborted: boolean): CapfClientOutcome {
  if (aborted) return { status: 'aborted' };
  switch (r.kind) {
    case 'timeout': return { status: 'timeout', waitingFor };
    case 'closed': return { status: 'protocol-error', detail: `server closed while waiting for ${waitingFor}` };
    case 'malformed': return { status: 'protocol-error', detail: `${r.error.code}: ${r.error.message}` };
    case 'superseded': return { status: 'protocol-error', detail: `session superseded while waiting for ${waitingFor}` };
  }
}

async function converse(o: CapfClientOptions, s: TLSSocket, inbox: CapfInbox, chosen: Chosen, timeoutMs: number): Promise<CapfClientOutcome> {
  let sessionId = -1;
  const send = (command: number, fields: CapfFields = {}): void => {
    s.write(encodeCapfMessage(capfMessage(command, sessionId, fields)));
  };
  /** Next message as (command, fields), or the outcome that ends the session. */
  const next = async (waitingFor: string): Promise<{ command: number; f: CapfFields } | CapfClientOutcome> => {
    const r = await inbox.next(timeoutMs);
    if (r.kind !== 'message') return notAMessage(r, waitingFor, o.signal?.aborted === true);
    if (sessionId === -1) sessionId = r.message.sessionId;
    else if (r.message.sessionId !== sessionId) return { status: 'protocol-error', detail: `session id ${r.message.sessionId} ≠ ${sessionId}` };
    try {
      return { command: r.message.command, f: readCapfFields(r.message) };
    } catch (err) {
      return { status: 'protocol-error', detail: (err as Error).message };
    }
  };
  const isOutcome = (x: { command: number; f: CapfFields } | CapfClientOutcome): x is CapfClientOutcome => 'status' in x;

  const authReq = await next('AUTH_REQ');
  if (isOutcome(authReq)) return authReq;
  if (authReq.command !== CapfCommand.AuthReq) return { status: 'protocol-error', detail: `expected AUTH_REQ, got ${capfCommandName(authReq.command)}` };
  if (authReq.f.version !== CAPF_PROTOCOL_VERSION) return { status: 'protocol-error', detail: `server VERSION ${authReq.f.version ?? 'missing'}` };
  send(CapfCommand.AuthResp, authFields(o, chosen, sessionId));

  const op = await next('operation');
  if (isOutcome(op)) return op;
  switch (op.command) {
    case CapfCommand.EndSession:
      return ended(sessionId, op.f.reason, 'no-action');
    case CapfCommand.KeyGenReq:
      return install(o, op.f, sessionId, send, next, isOutcome);
    case CapfCommand.FetchCertReq: {
      const have = o.lsc ? { type: CapfCertificateType.Lsc, der: o.lsc.certificate } : o.mic ? { type: CapfCertificateType.Mic, der: o.mic.certificate } : undefined;
      send(CapfCommand.FetchCertResp, have ? { reason: CapfReason.UpdateCertificate, certificate: have } : { reason: CapfReason.InvalidElement });
      return finish(sessionId, next, isOutcome, 'fetched');
    }
    case CapfCommand.DeleteCertReq:
      send(CapfCommand.DeleteCertResp, { reason: o.lsc ? CapfReason.UpdateCertificate : CapfReason.InvalidElement });
      return finish(sessionId, next, isOutcome, 'deleted');
    default:
      return { status: 'protocol-error', detail: `unexpected ${capfCommandName(op.command)}` };
  }
}

/** AUTH_RESP fields (capfc's set and order): REASON 1, VERSION, DEVICE_NAME, PASSWORD, then the proof. */
function authFields(o: CapfClientOptions, chosen: Chosen, sessionId: number): CapfFields {
  const f: CapfFields = {
    reason: CapfReason.UpdateCertificate,
    version: CAPF_PROTOCOL_VERSION,
    deviceName: o.deviceName,
    password: o.auth.mode === 'auth-string' ? o.auth.authString : '',
  };
  if (chosen) {
    const { certificate, privateKey } = chosen.credential;
    const data = proofData(o.deviceName, certificate);
    f.certificate = { type: chosen.type === 'MIC' ? CapfCertificateType.Mic : CapfCertificateType.Lsc, der: certificate };
    f.signedData = signProof(data, privateKey, 'sha1');
    f.sha2SignedData = { hash: CapfHash.Sha512, signature: signProof(data, privateKey, 'sha512') };
    if (o.sudi) {
      const sd = sudiData(sessionId, o.sudi.certificate);
      f.sudiData = {
        certificate: o.sudi.certificate,
        signatures: [
          { hash: CapfHash.Sha1, signature: signProof(sd, o.sudi.privateKey, 'sha1') },
          { hash: CapfHash.Sha512, signature: signProof(sd, o.sudi.privateKey, 'sha512') },
        ],
      };
    }
  }
  return f;
}

/** The key a KEY_GEN_REQ asks for, if this phone can make it (pki: RSA 1024–4096, P-256/P-384). */
export function requestedKeySpec(f: CapfFields): KeySpec | undefined {
  if (f.keyType === CapfKeyType.Rsa) {
    const bits = f.keySize;
    return bits === 1024 || bits === 2048 || bits === 3072 || bits === 4096 ? { type: 'rsa', bits } : undefined;
  }
  if (f.keyType === CapfKeyType.Ec) {
    return f.curve === CapfCurve.P256 ? { type: 'ec', curve: 'P-256' } : f.curve === CapfCurve.P384 ? { type: 'ec', curve: 'P-384' } : undefined;
  }
  return undefined;
}

type Next = (waitingFor: string) => Promise<{ command: number; f: CapfFields } | CapfClientOutcome>;
type IsOutcome = (x: { command: number; f: CapfFields } | CapfClientOutcome) => x is CapfClientOutcome;

async function install(o: CapfClientOptions, req: CapfFields, sessionId: number, send: (c: number, f?: CapfFields) => void, next: Next, isOutcome: IsOutcome): Promise<CapfClientOutcome> {
  const spec = requestedKeySpec(req);
  // capfc answers REQUEST_IN_PROGRESS before it starts generating (CAPF-3: generation is slow).
  send(CapfCommand.RequestInProgress);
  if (!spec) {
    send(CapfCommand.KeyGenResp, { reason: CapfReason.InvalidElement });
    return finish(sessionId, next, isOutcome, 'no-action');
  }
  const keys = await (o.keySource ?? generateKeyPair)(spec);
  send(CapfCommand.KeyGenResp, { publicKey: new Uint8Array(keys.publicKey.export({ type: 'spki', format: 'der' })) });
  const store = await next('STORE_CERT_REQ');
  if (isOutcome(store)) return store;
  if (store.command === CapfCommand.EndSession) return ended(sessionId, store.f.reason, 'no-action');
  if (store.command !== CapfCommand.StoreCertReq || !store.f.certificate) {
    return { status: 'protocol-error', detail: `expected STORE_CERT_REQ with a CERTIFICATE, got ${capfCommandName(store.command)}` };
  }
  const lsc = new Uint8Array(store.f.certificate.der);
  let matches = false;
  try {
    const key = new X509Certificate(lsc).publicKey;
    matches = keyMismatch(key, spec) === undefined && key.export({ type: 'spki', format: 'der' }).equals(keys.publicKey.export({ type: 'spki', format: 'der' }));
  } catch {
    matches = false;
  }
  send(CapfCommand.StoreCertResp, { reason: matches ? CapfReason.UpdateCertificate : CapfReason.InvalidElement });
  if (!matches) return { status: 'protocol-error', detail: 'STORE_CERT_REQ certificate does not carry the generated key' };
  const end = await next('END_SESSION');
  if (isOutcome(end)) return end;
  if (end.command !== CapfCommand.EndSession) return { status: 'protocol-error', detail: `expected END_SESSION, got ${capfCommandName(end.command)}` };
  return { status: 'installed', sessionId, lsc, keys, endReason: end.f.reason ?? -1 };
}

async function finish(sessionId: number, next: Next, isOutcome: IsOutcome, status: 'fetched' | 'deleted' | 'no-action'): Promise<CapfClientOutcome> {
  const end = await next('END_SESSION');
  if (isOutcome(end)) return end;
  if (end.command !== CapfCommand.EndSession) return { status: 'protocol-error', detail: `expected END_SESSION, got ${capfCommandName(end.command)}` };
  return ended(sessionId, end.f.reason, status);
}

function ended(sessionId: number, reason: number | undefined, status: 'fetched' | 'deleted' | 'no-action'): CapfClientOutcome {
  const endReason = reason ?? -1;
  if (endReason === CapfReason.UnknownDevice) return { status: 'refused', sessionId, reason: 'unknown-device', endReason };
  if (endReason === CapfReason.InvalidElement) return { status: 'refused', sessionId, reason: 'invalid-element', endReason };
  if (endReason !== CapfReason.NoAction && endReason !== CapfReason.UpdateCertificate) return { status: 'refused', sessionId, reason: 'other', endReason };
  return { status, sessionId, endReason };
}
