import { DecodeError, EmulatorError } from '../src/shared/errors.js';
import { DEVICE_NAME_PATTERN } from './constants.js';
import { elementOffset, type TvsElement, type TvsMessage } from './message.js';
import { DEVICE_NAME_PREFIX, TvsCommand, TvsElementTag as E, TvsStatus, responseCommandFor } from './tags.js';

/**
 * What TVS requests and answers mean, on top of the byte-exact message codec (formats.md §4.2,
 * phone-behaviour.md TVS-4). Both query styles are read:
 *
 * - tvsd style: VERIFY_REQUEST (1) with DEVICE_NAME (1) and the whole DER CERTIFICATE (2);
 * - Cisco style: QUERY_REQUEST (3) with DEVICE_NAME and the subject DN (element 3).
 *
 * Unknown elements are tolerated and handed back in `unknown`.
 */

/** A request as the server sees it. */
export interface TvsRequest {
  command: number;
  sessionId: number;
  /** DEVICE_NAME without its leading byte, e.g. `CP-8861-SEP001122334455`. */
  deviceName?: string;
  /** The byte before the name (0x01 from every known sender). */
  deviceNamePrefix?: number;
  /** CERTIFICATE: DER of the certificate asked about. */
  certificate?: Uint8Array;
  /** Element 3: the subject DN asked about (Cisco QUERY_CERT_REQ style), without a trailing NUL. */
  subject?: string;
  unknown: TvsElement[];
}

/** An answer as the client sees it. */
export interface TvsResponse {
  command: number;
  sessionId: number;
  /** STATUS byte: 0 valid; 1 (or anything else) invalid. */
  status: number;
  roles?: number[];
  ttlSeconds?: number;
  /** CERTIFICATE elements (query answers carry the certificate found). */
  certificates: Uint8Array[];
  unknown: TvsElement[];
}

const ascii = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** `CP-<model>-SEP<MAC>` from a model number and a MAC in any common notation. */
export function tvsDeviceName(model: string | number, mac: string): string {
  const hex = mac.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  const name = `CP-${model}-SEP${hex}`;
  if (!DEVICE_NAME_PATTERN.test(name)) throw new EmulatorError('INVALID_ARGUMENT', `"${name}" is not a TVS device name (CP-<4 digits or letters>-SEP<12 hex>)`);
  return name;
}

/** Builds a request. `subject` makes it a Cisco-style QUERY_REQUEST unless `command` says otherwise. */
export function buildTvsRequest(o: { sessionId: number; deviceName?: string; certificate?: Uint8Array; subject?: string; command?: number }): TvsMessage {
  const elements: TvsElement[] = [];
  if (o.deviceName !== undefined) elements.push({ tag: E.DeviceName, value: deviceNameValue(o.deviceName) });
  if (o.certificate !== undefined) elements.push({ tag: E.Certificate, value: o.certificate });
  if (o.subject !== undefined) elements.push({ tag: E.Subject, value: encoder.encode(o.subject) });
  const command = o.command ?? (o.certificate === undefined && o.subject !== undefined ? TvsCommand.QueryRequest : TvsCommand.VerifyRequest);
  return { command, reserved: 0, sessionId: o.sessionId, elements };
}

function deviceNameValue(name: string): Uint8Array {
  if (!/^[\x20-\x7e]*$/.test(name)) throw new EmulatorError('INVALID_ARGUMENT', `TVS device name must be printable ASCII: ${JSON.stringify(name)}`);
  const v = new Uint8Array(name.length + 1);
  v[0] = DEVICE_NAME_PREFIX;
  for (let i = 0; i < name.length; i++) v[i + 1] = name.charCodeAt(i);
  return v;
}

/**
 * Reads a request. Throws `TVS_UNEXPECTED_COMMAND` for a command other than 1 or 3,
 * `TVS_MALFORMED` for a bad or repeated known element, and `TVS_MISSING_ELEMENT` when neither a
 * certificate nor a subject says what to verify.
 *
 * @note A known element twice is refused rather than "first wins": two certificates in one
 * request would make the answer ambiguous, and tvsd would silently keep the last.
 */
export function parseTvsRequest(m: TvsMessage): TvsRequest {
  if (m.command !== TvsCommand.VerifyRequest && m.command !== TvsCommand.QueryRequest) {
    throw new DecodeError('TVS_UNEXPECTED_COMMAND', 2, `command ${m.command} is not VERIFY_REQUEST (1) or QUERY_REQUEST (3)`);
  }
  const out: TvsRequest = { command: m.command, sessionId: m.sessionId, unknown: [] };
  const seen = new Set<number>();
  m.elements.forEach((e, i) => {
    const at = elementOffset(m, i);
    if (e.tag !== E.DeviceName && e.tag !== E.Certificate && e.tag !== E.Subject) {
      out.unknown.push(e);
      return;
    }
    if (seen.has(e.tag)) throw new DecodeError('TVS_MALFORMED', at, `TVS request element ${e.tag} appears twice`);
    seen.add(e.tag);
    if (e.tag === E.DeviceName) {
      if (e.value.length < 2) throw new DecodeError('TVS_MALFORMED', at, 'DEVICE_NAME is empty');
      const name = e.value.subarray(1);
      if (!name.every((b) => b >= 0x20 && b <= 0x7e)) throw new DecodeError('TVS_MALFORMED', at, 'DEVICE_NAME is not printable ASCII');
      out.deviceNamePrefix = e.value[0]!;
      out.deviceName = ascii.decode(name);
    } else if (e.tag === E.Certificate) {
      if (e.value.length === 0) throw new DecodeError('TVS_MALFORMED', at, 'CERTIFICATE is empty');
      out.certificate = e.value;
    } else {
      const end = e.value.length > 0 && e.value[e.value.length - 1] === 0 ? e.value.length - 1 : e.value.length;
      try {
        out.subject = utf8.decode(e.value.subarray(0, end));
      } catch (cause) {
        throw new DecodeError('TVS_MALFORMED', at, 'subject (element 3) is not UTF-8', { cause });
      }
      if (out.subject.length === 0) throw new DecodeError('TVS_MALFORMED', at, 'subject (element 3) is empty');
    }
  });
  if (out.certificate === undefined && out.subject === undefined) {
    throw new DecodeError('TVS_MISSING_ELEMENT', 0, 'TVS request has neither CERTIFICATE (2) nor subject (3)');
  }
  return out;
}

/**
 * Builds an answer in tvsd's element order: STATUS, then (Cisco query style) CERTIFICATE(s),
 * then ROLES and TTL only when valid. Throws `INVALID_ARGUMENT` for a role above 255 or a TTL
 * outside u32.
 */
export function buildTvsResponse(o: { requestCommand: number; sessionId: number; valid: boolean; roles?: readonly number[]; ttlSeconds?: number; certificates?: readonly Uint8Array[] }): TvsMessage {
  const elements: TvsElement[] = [{ tag: E.Status, value: Uint8Array.of(o.valid ? TvsStatus.Valid : TvsStatus.Invalid) }];
  if (o.valid) {
    for (const c of o.certificates ?? []) elements.push({ tag: E.Certificate, value: c });
    const roles = o.roles ?? [];
    for (const r of roles) {
      if (!Number.isInteger(r) || r < 0 || r > 0xff) throw new EmulatorError('INVALID_ARGUMENT', `TVS role ${r} does not fit one byte`);
    }
    elements.push({ tag: E.Roles, value: Uint8Array.from(roles) });
    if (o.ttlSeconds !== undefined) {
      const t = o.ttlSeconds;
      if (!Number.isInteger(t) || t < 0 || t > 0xffffffff) throw new EmulatorError('INVALID_ARGUMENT', `TVS TTL ${t} is not a u32`);
      const v = new Uint8Array(4);
      new DataView(v.buffer).setUint32(0, t);
      elements.push({ tag: E.Ttl, value: v });
    }
  }
  return { command: responseCommandFor(o.requestCommand), reserved: 0, sessionId: o.sessionId, elements };
}

/**
 * Reads an answer. Throws `TVS_MISSING_ELEMENT` without STATUS and `TVS_MALFORMED` for a
 * STATUS that is not one byte, a TTL that is not four, or either of them twice. The command
 * and session id are the caller's to check against its request.
 */
export function parseTvsResponse(m: TvsMessage): TvsResponse {
  let status: number | undefined;
  const out: Omit<TvsResponse, 'status'> = { command: m.command, sessionId: m.sessionId, certificates: [], unknown: [] };
  m.elements.forEach((e, i) => {
    const at = elementOffset(m, i);
    switch (e.tag) {
      case E.Status:
        if (status !== undefined) throw new DecodeError('TVS_MALFORMED', at, 'STATUS appears twice');
        if (e.value.length !== 1) throw new DecodeError('TVS_MALFORMED', at, `STATUS must be 1 byte, found ${e.value.length}`);
        status = e.value[0]!;
        break;
      case E.Roles:
        if (out.roles !== undefined) throw new DecodeError('TVS_MALFORMED', at, 'ROLES appears twice');
        out.roles = [...e.value];
        break;
      case E.Ttl:
        if (out.ttlSeconds !== undefined) throw new DecodeError('TVS_MALFORMED', at, 'TTL appears twice');
        if (e.value.length !== 4) throw new DecodeError('TVS_MALFORMED', at, `TTL must be 4 bytes, found ${e.value.length}`);
        out.ttlSeconds = new DataView(e.value.buffer, e.value.byteOffset, 4).getUint32(0);
        break;
      case E.Certificate:
        out.certificates.push(e.value);
        break;
      default:
        out.unknown.push(e);
    }
  });
  if (status === undefined) throw new DecodeError('TVS_MISSING_ELEMENT', 0, 'TVS answer has no STATUS (7)');
  return { ...out, status };
}
