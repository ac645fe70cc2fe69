import { ByteReader, ByteWriter } from '../bytes/index.js';
import { DecodeError, EmulatorError } from '../shared/errors.js';
import { CAPF_ELEMENT_OVERHEAD, CAPF_HEADER_BYTES, CAPF_PROTOCOL_ID } from './constants.js';

/**
 * The CAPF message: an 8-byte header and a list of TLV elements (formats.md §5).
 *
 * ```
 * offset size field
 *      0    1 protocol id = 0x55
 *      1    1 command (tables.ts CapfCommand)
 *      2    4 session id, u32 BE, chosen by the server and echoed by the phone
 *      6    2 length of the element area, u16 BE
 *      8    … elements: tag u8 | length u16 BE | value
 * ```
 *
 * This layer keeps elements raw and in order, unknown tags included (they are tolerated and
 * re-encoded byte for byte); `fields.ts` gives the known ones their types.
 */
export interface CapfRawElement {
  tag: number;
  value: Uint8Array;
}

export interface CapfMessage {
  command: number;
  sessionId: number;
  elements: CapfRawElement[];
}

const MAX_AREA = 0xffff;

/** Bytes of the element area of `m`. */
function areaLength(m: CapfMessage): number {
  let n = 0;
  for (const e of m.elements) n += CAPF_ELEMENT_OVERHEAD + e.value.length;
  return n;
}

export function encodedLengthCapfMessage(m: CapfMessage): number {
  return CAPF_HEADER_BYTES + areaLength(m);
}

/**
 * Encodes a whole message into one buffer, so that a sender can hand it to a single
 * `socket.write`: "request header and the elements must go out in a single write, or the phone
 * stalls" (formats.md §5, capfd comment).
 */
export function encodeCapfMessage(m: CapfMessage): Uint8Array {
  const area = areaLength(m);
  if (area > MAX_AREA) throw new EmulatorError('TLV_VALUE_TOO_LONG', `CAPF element area of ${area} bytes exceeds ${MAX_AREA}`);
  const w = new ByteWriter(CAPF_HEADER_BYTES + area);
  w.u8(CAPF_PROTOCOL_ID).u8(m.command).u32(m.sessionId).u16(area);
  for (const e of m.elements) w.u8(e.tag).u16(e.value.length).bytes(e.value);
  return w.finish();
}

/** Reads the 8-byte header; throws `CAPF_BAD_PROTOCOL` at once on a wrong first byte. */
export function decodeCapfHeader(bytes: Uint8Array): { command: number; sessionId: number; length: number } {
  const r = new ByteReader(bytes);
  const id = r.u8('protocol id');
  if (id !== CAPF_PROTOCOL_ID) {
    throw new DecodeError('CAPF_BAD_PROTOCOL', 0, `protocol id 0x${id.toString(16).padStart(2, '0')} is not CAPF (0x55)`);
  }
  const command = r.u8('command');
  const sessionId = r.u32('session id');
  const length = r.u16('element-area length');
  return { command, sessionId, length };
}

/**
 * Decodes exactly one message. Throws `TRUNCATED` when the input ends before the declared element
 * area does, and `CAPF_ELEMENT_OVERRUN` when an element runs past that area or bytes follow it.
 * Element values are views into `bytes`.
 */
export function decodeCapfMessage(bytes: Uint8Array): CapfMessage {
  const { command, sessionId, length } = decodeCapfHeader(bytes);
  const end = CAPF_HEADER_BYTES + length;
  if (bytes.length < end) {
    throw new DecodeError('TRUNCATED', 6, `element area declares ${length} bytes but ${bytes.length - CAPF_HEADER_BYTES} follow the header`);
  }
  if (bytes.length > end) {
    throw new DecodeError('CAPF_ELEMENT_OVERRUN', end, `${bytes.length - end} bytes follow the declared element area`);
  }
  const r = new ByteReader(bytes, CAPF_HEADER_BYTES, end);
  const elements: CapfRawElement[] = [];
  while (r.remaining > 0) {
    const at = r.position;
    if (r.remaining < CAPF_ELEMENT_OVERHEAD) {
      throw new DecodeError('CAPF_ELEMENT_OVERRUN', at, `${r.remaining} stray bytes at the end of the element area`);
    }
    const tag = r.u8('element tag');
    const n = r.u16('element length');
    if (n > r.remaining) {
      throw new DecodeError('CAPF_ELEMENT_OVERRUN', at, `element ${tag} declares ${n} bytes, ${r.remaining} left in the element area`);
    }
    elements.push({ tag, value: r.bytes(n) });
  }
  return { command, sessionId, elements };
}

/** The first element with `tag`, or undefined. */
export function findElement(m: CapfMessage, tag: number): CapfRawElement | undefined {
  return m.elements.find((e) => e.tag === tag);
}
