import { ByteReader, ByteWriter } from '../src/bytes/index.js';
import { DecodeError, EmulatorError } from '../src/shared/errors.js';
import { MAX_TVS_MESSAGE_BYTES, TVS_ELEMENT_OVERHEAD, TVS_HEADER_BYTES, TVS_PROTOCOL_ID, TVS_PROTOCOL_VERSION } from './constants.js';

/**
 * The TVS message codec (formats.md §4.2, from tvsd/tvsc in usecallmanagernz/daemons).
 *
 * ```
 * offset  size  field
 *   0      1    protocol id = 0x57
 *   1      1    protocol version = 1
 *   2      1    command (tags.ts TvsCommand)
 *   3      1    reserved (0; the first tvsd answered 245 here)
 *   4      4    session id, u32be, chosen by the client and echoed by the server
 *   8      2    length of the element area, u16be
 *  10      …    elements: tag u8 | length u16be | value
 * ```
 *
 * This layer is byte-exact: every element, known or not, is kept in wire order, so
 * `encode(decode(bytes))` gives back the same bytes. Meaning (which elements a request needs,
 * what STATUS says) is read by `elements.ts`.
 */

/** One element as it travels (`tag u8 | length u16be | value`). `value` is a view into the decoded input. */
export interface TvsElement {
  tag: number;
  value: Uint8Array;
}

/** A decoded message. Protocol id and version are not stored: decoding refuses others. */
export interface TvsMessage {
  command: number;
  /** Header byte 3, kept so that unusual senders round-trip. */
  reserved: number;
  sessionId: number;
  elements: TvsElement[];
}

/** The fixed 10-byte header, with the element-area length it declares. */
export interface TvsHeader {
  command: number;
  reserved: number;
  sessionId: number;
  elementsLength: number;
}

/** Bytes {@link encodeTvsMessage} will write: the header plus 3 + length per element. */
export function encodedLengthTvsMessage(m: TvsMessage): number {
  let n = TVS_HEADER_BYTES;
  for (const e of m.elements) n += TVS_ELEMENT_OVERHEAD + e.value.length;
  return n;
}

/** Encodes a message. Throws `TLV_VALUE_TOO_LONG` when it cannot fit the u16 lengths. */
export function encodeTvsMessage(m: TvsMessage): Uint8Array {
  const total = encodedLengthTvsMessage(m);
  if (total > MAX_TVS_MESSAGE_BYTES) {
    throw new EmulatorError('TLV_VALUE_TOO_LONG', `TVS element area of ${total - TVS_HEADER_BYTES} bytes exceeds 65535`);
  }
  const w = new ByteWriter(total);
  w.u8(TVS_PROTOCOL_ID).u8(TVS_PROTOCOL_VERSION).u8(m.command).u8(m.reserved).u32(m.sessionId).u16(total - TVS_HEADER_BYTES);
  for (const e of m.elements) w.u8(e.tag).u16(e.value.length).bytes(e.value);
  return w.finish();
}

/**
 * Checks the first bytes of a message as soon as they arrive, so that a framer can refuse
 * garbage at its first byte instead of waiting for a length. `base` is added to offsets.
 */
export function checkTvsPrefix(bytes: Uint8Array, base = 0): void {
  if (bytes.length > 0 && bytes[0] !== TVS_PROTOCOL_ID) {
    throw new DecodeError('TVS_BAD_PROTOCOL', base, `protocol id 0x${bytes[0]!.toString(16).padStart(2, '0')} is not 0x57`);
  }
  if (bytes.length > 1 && bytes[1] !== TVS_PROTOCOL_VERSION) {
    throw new DecodeError('TVS_BAD_VERSION', base + 1, `protocol version ${bytes[1]} is not 1`);
  }
}

/** Reads and checks the 10-byte header at `r.position`. */
export function decodeTvsHeader(r: ByteReader, maxFrameBytes = MAX_TVS_MESSAGE_BYTES): TvsHeader {
  const start = r.position;
  checkTvsPrefix(r.buffer.subarray(start, Math.min(r.end, start + 2)), start);
  r.skip(2, 'TVS header');
  const command = r.u8('TVS command');
  const reserved = r.u8('TVS reserved byte');
  const sessionId = r.u32('TVS session id');
  const elementsLength = r.u16('TVS element-area length');
  if (TVS_HEADER_BYTES + elementsLength > maxFrameBytes) {
    throw new DecodeError('TVS_FRAME_TOO_LARGE', start + 8, `TVS message of ${TVS_HEADER_BYTES + elementsLength} bytes exceeds the ${maxFrameBytes}-byte cap`, {
      details: { declared: TVS_HEADER_BYTES + elementsLength, cap: maxFrameBytes },
    });
  }
  return { command, reserved, sessionId, elementsLength };
}

/** Reads elements until the end of `r`'s window; every length is checked against it. */
export function decodeTvsElements(r: ByteReader): TvsElement[] {
  const out: TvsElement[] = [];
  while (r.remaining > 0) {
    const at = r.position;
    const tag = r.u8('TVS element tag');
    const length = r.u16(`length of TVS element ${tag}`);
    if (length > r.remaining) {
      throw new DecodeError('TVS_MALFORMED', at, `TVS element ${tag} declares ${length} bytes but the element area has ${r.remaining} left`);
    }
    out.push({ tag, value: r.bytes(length) });
  }
  return out;
}

/** Limits for {@link decodeTvsMessage}. */
export interface TvsDecodeOptions {
  /** Refuse messages larger than this (default: the format's maximum, 65 545 bytes). */
  maxFrameBytes?: number;
}

/**
 * Decodes exactly one message. Throws `TRUNCATED` when the input is shorter than its header
 * says, `TVS_MALFORMED` when bytes follow it, and the header codes of {@link decodeTvsHeader}.
 */
export function decodeTvsMessage(bytes: Uint8Array, options: TvsDecodeOptions = {}): TvsMessage {
  const r = new ByteReader(bytes);
  const header = decodeTvsHeader(r, options.maxFrameBytes);
  if (header.elementsLength > r.remaining) {
    throw new DecodeError('TRUNCATED', 8, `TVS element area declares ${header.elementsLength} bytes but ${r.remaining} remain`, {
      details: { needed: header.elementsLength, remaining: r.remaining },
    });
  }
  if (header.elementsLength < r.remaining) {
    throw new DecodeError('TVS_MALFORMED', TVS_HEADER_BYTES + header.elementsLength, `${r.remaining - header.elementsLength} bytes follow the TVS message`);
  }
  const elements = decodeTvsElements(r.sub(header.elementsLength, 'TVS element area'));
  return { command: header.command, reserved: header.reserved, sessionId: header.sessionId, elements };
}

/** Absolute offset of element `index` in the encoded message (for error reports). */
export function elementOffset(m: TvsMessage, index: number): number {
  let at = TVS_HEADER_BYTES;
  for (let i = 0; i < index && i < m.elements.length; i++) at += TVS_ELEMENT_OVERHEAD + m.elements[i]!.value.length;
  return at;
}
