import { ByteReader, ByteWriter } from '../bytes/index.js';
import { DecodeError } from '../shared/errors.js';
import { CAPF_ELEMENT_OVERHEAD, CAPF_HEADER_BYTES } from './constants.js';
import type { CapfMessage, CapfRawElement } from './message.js';
import { CapfElement } from './tables.js';

/**
 * Typed values of the CAPF elements whose layout is known (formats.md §5). Elements whose
 * meaning is unknown (REASON_INFO, CERTIFICATE_ID, RETRY_DELAY, DIGEST_TYPE) and tags nobody
 * has seen stay in the raw element list; a message decodes and re-encodes them unchanged.
 */
export interface CapfFields {
  reason?: number;
  certificateType?: number;
  /** CERTIFICATE: the DER and the type byte of its inner wrapper. */
  certificate?: { type: number; der: Uint8Array };
  /** SIGNED_DATA: proof of possession with SHA-1 (see proof.ts). */
  signedData?: Uint8Array;
  version?: number;
  authType?: number;
  /** PUBLIC_KEY: DER SubjectPublicKeyInfo. */
  publicKey?: Uint8Array;
  keySize?: number;
  password?: string;
  deviceName?: string;
  sudiData?: SudiData;
  keyType?: number;
  curve?: number;
  /** SHA2_SIGNED_DATA: proof of possession with a SHA-2 hash (capfd accepts only 3, SHA-512). */
  sha2SignedData?: HashedSignature;
}

export interface HashedSignature {
  hash: number;
  signature: Uint8Array;
}

/**
 * SUDI_DATA: `00 | u16 | DER certificate`, then signature blocks `hash u8 | u16 | signature`
 * (capfc writes 01 = SHA-1 and 03 = SHA-512) over the little-endian u32 session id followed by
 * the DER certificate (formats.md §5).
 */
export interface SudiData {
  certificate: Uint8Array;
  signatures: HashedSignature[];
}

/** The order in which {@link capfElements} writes fields (capfc's AUTH_RESP order first). */
const ORDER: ReadonlyArray<keyof CapfFields> = [
  'reason', 'version', 'authType', 'deviceName', 'password', 'certificateType', 'certificate', 'signedData',
  'sha2SignedData', 'sudiData', 'keyType', 'keySize', 'curve', 'publicKey',
];

const TAG_OF: Record<keyof CapfFields, number> = {
  reason: CapfElement.Reason,
  certificateType: CapfElement.CertificateType,
  certificate: CapfElement.Certificate,
  signedData: CapfElement.SignedData,
  version: CapfElement.Version,
  authType: CapfElement.AuthType,
  publicKey: CapfElement.PublicKey,
  keySize: CapfElement.KeySize,
  password: CapfElement.Password,
  deviceName: CapfElement.DeviceName,
  sudiData: CapfElement.SudiData,
  keyType: CapfElement.KeyType,
  curve: CapfElement.Curve,
  sha2SignedData: CapfElement.Sha2SignedData,
};

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** Raw elements for `fields`, in capfc's order. */
export function capfElements(fields: CapfFields): CapfRawElement[] {
  const out: CapfRawElement[] = [];
  for (const key of ORDER) {
    const v = fields[key];
    if (v === undefined) continue;
    out.push({ tag: TAG_OF[key], value: encodeField(key, v as never) });
  }
  return out;
}

/** A message carrying `fields` (plus any `extra` raw elements after them). */
export function capfMessage(command: number, sessionId: number, fields: CapfFields = {}, extra: CapfRawElement[] = []): CapfMessage {
  return { command, sessionId, elements: [...capfElements(fields), ...extra] };
}

function encodeField<K extends keyof CapfFields>(key: K, v: NonNullable<CapfFields[K]>): Uint8Array {
  switch (key) {
    case 'reason': case 'certificateType': case 'version': case 'authType': case 'keyType': case 'curve':
      return Uint8Array.of(v as number);
    case 'keySize':
      return new ByteWriter(2).u16(v as number).finish();
    case 'password': case 'deviceName':
      return nulString(v as string);
    case 'signedData': case 'publicKey':
      return v as Uint8Array;
    case 'certificate':
      return encodeCertificateValue(v as { type: number; der: Uint8Array });
    case 'sha2SignedData':
      return encodeHashedSignature(v as HashedSignature);
    case 'sudiData':
      return encodeSudiData(v as SudiData);
    default:
      throw new TypeError(`no encoder for ${String(key)}`);
  }
}

/**
 * Reads the known elements of `m`. A repeated element keeps its last value, as capfd's
 * dictionary does. Throws `CAPF_BAD_ELEMENT` (with the element's offset in the message) for a
 * known element whose value its type does not allow.
 */
export function readCapfFields(m: CapfMessage): CapfFields {
  const out: CapfFields = {};
  let offset = CAPF_HEADER_BYTES;
  for (const e of m.elements) {
    readOne(out, e, offset);
    offset += CAPF_ELEMENT_OVERHEAD + e.value.length;
  }
  return out;
}

function readOne(out: CapfFields, e: CapfRawElement, at: number): void {
  const v = e.value;
  const bad = (why: string): DecodeError => new DecodeError('CAPF_BAD_ELEMENT', at, `element ${e.tag}: ${why}`);
  const u8 = (): number => {
    if (v.length !== 1) throw bad(`must be 1 byte, found ${v.length}`);
    return v[0]!;
  };
  switch (e.tag) {
    case CapfElement.Reason: out.reason = u8(); break;
    case CapfElement.CertificateType: out.certificateType = u8(); break;
    case CapfElement.Version: out.version = u8(); break;
    case CapfElement.AuthType: out.authType = u8(); break;
    case CapfElement.KeyType: out.keyType = u8(); break;
    case CapfElement.Curve: out.curve = u8(); break;
    case CapfElement.KeySize:
      if (v.length !== 2) throw bad(`must be 2 bytes, found ${v.length}`);
      out.keySize = (v[0]! << 8) | v[1]!;
      break;
    case CapfElement.Password: out.password = readNulString(v, bad); break;
    case CapfElement.DeviceName: out.deviceName = readNulString(v, bad); break;
    case CapfElement.SignedData: out.signedData = v; break;
    case CapfElement.PublicKey: out.publicKey = v; break;
    case CapfElement.Certificate: out.certificate = decodeCertificateValue(v, bad); break;
    case CapfElement.Sha2SignedData: out.sha2SignedData = decodeHashedSignature(new ByteReader(v), bad, true); break;
    case CapfElement.SudiData: out.sudiData = decodeSudiData(v, bad); break;
    default: break;
  }
}

function nulString(s: string): Uint8Array {
  const body = utf8Encoder.encode(s);
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  return out;
}

function readNulString(v: Uint8Array, bad: (why: string) => DecodeError): string {
  const n = v.length - 1;
  if (n < 0 || v[n] !== 0) throw bad('not NUL-terminated');
  const body = v.subarray(0, n);
  if (body.includes(0)) throw bad('NUL inside the string');
  try {
    return utf8.decode(body);
  } catch {
    throw bad('not UTF-8');
  }
}

/** CERTIFICATE value: `01 | u16 (len + 2) | 00 | certType | DER` (formats.md §5). */
export function encodeCertificateValue(c: { type: number; der: Uint8Array }): Uint8Array {
  return new ByteWriter(c.der.length + 5).u8(1).u16(c.der.length + 2).u8(0).u8(c.type).bytes(c.der).finish();
}

function decodeCertificateValue(v: Uint8Array, bad: (why: string) => DecodeError): { type: number; der: Uint8Array } {
  if (v.length < 5) throw bad(`certificate wrapper needs 5 bytes, found ${v.length}`);
  if (v[0] !== 1 || v[3] !== 0) throw bad('certificate wrapper does not start 01 .. .. 00');
  const inner = (v[1]! << 8) | v[2]!;
  if (inner !== v.length - 3) throw bad(`certificate wrapper length ${inner} ≠ ${v.length - 3}`);
  return { type: v[4]!, der: v.subarray(5) };
}

function encodeHashedSignature(s: HashedSignature, w = new ByteWriter(s.signature.length + 3)): Uint8Array {
  w.u8(s.hash).u16(s.signature.length).bytes(s.signature);
  return w.finish();
}

function decodeHashedSignature(r: ByteReader, bad: (why: string) => DecodeError, whole: boolean): HashedSignature {
  if (r.remaining < 3) throw bad('signature block shorter than its 3-byte header');
  const hash = r.u8();
  const n = r.u16();
  if (n > r.remaining) throw bad(`signature block declares ${n} bytes, ${r.remaining} left`);
  const signature = r.bytes(n);
  if (whole && r.remaining !== 0) throw bad(`${r.remaining} bytes after the signature`);
  return { hash, signature };
}

/** SUDI_DATA value (see {@link SudiData}). */
export function encodeSudiData(s: SudiData): Uint8Array {
  const w = new ByteWriter(s.certificate.length + 3 + s.signatures.reduce((n, x) => n + 3 + x.signature.length, 0));
  w.u8(0).u16(s.certificate.length).bytes(s.certificate);
  for (const sig of s.signatures) w.u8(sig.hash).u16(sig.signature.length).bytes(sig.signature);
  return w.finish();
}

function decodeSudiData(v: Uint8Array, bad: (why: string) => DecodeError): SudiData {
  const r = new ByteReader(v);
  const first = decodeHashedSignature(r, bad, false);
  if (first.hash !== 0) throw bad(`SUDI block must start with its certificate (type 0), found type ${first.hash}`);
  const signatures: HashedSignature[] = [];
  while (r.remaining > 0) signatures.push(decodeHashedSignature(r, bad, false));
  return { certificate: first.signature, signatures };
}
