import { ByteReader, ByteWriter } from '../src/bytes/index.js';
import { DecodeError, EmulatorError } from '../src/shared/errors.js';
import { MAX_REQUEST_BYTES, Opcode, OPCODE_NAMES } from './constants.js';

/**
 * The six TFTP packets (RFC 1350 §5, RFC 2347 "Packet Formats"), as data:
 *
 * ```
 *  RRQ/WRQ  | 01/02 | filename | 0 | mode | 0 | opt1 | 0 | value1 | 0 | … |
 *  DATA     | 03    | block u16 | data (0..blksize bytes)                 |
 *  ACK      | 04    | block u16 |
 *  ERROR    | 05    | code u16  | message | 0 |
 *  OACK     | 06    | opt1 | 0 | value1 | 0 | …                          |
 * ```
 *
 * Strings are bytes mapped one to one onto code points 0–255 (latin1), so any name a client
 * sends decodes, and re-encodes to the same bytes; what names are acceptable is decided by
 * the server (file-name.ts), not by the codec. Option names keep the client's spelling:
 * RFC 2347 makes them case-insensitive, and an OACK copies the name from the request.
 */
export interface TftpOption {
  name: string;
  value: string;
}

/** RRQ (1) or WRQ (2), RFC 1350 §5, with RFC 2347 options. */
export interface RequestPacket {
  type: 'RRQ' | 'WRQ';
  filename: string;
  mode: string;
  options: TftpOption[];
}

/** DATA (3), RFC 1350 §5: a block of up to blksize bytes; a shorter one ends the file. */
export interface DataPacket {
  type: 'DATA';
  /** Wire block number, 0–65535 (it wraps, see BLOCK_MODULO). */
  block: number;
  data: Uint8Array;
}

/** ACK (4), RFC 1350 §5; ACK 0 acknowledges an OACK (RFC 2347). */
export interface AckPacket {
  type: 'ACK';
  block: number;
}

/** ERROR (5), RFC 1350 §5: never acknowledged or retransmitted. */
export interface ErrorPacket {
  type: 'ERROR';
  /** RFC 1350 error code (TftpErrorCode), 0–65535 on the wire. */
  code: number;
  message: string;
}

/** OACK (6), RFC 2347: the options the server accepted, with their values. */
export interface OackPacket {
  type: 'OACK';
  options: TftpOption[];
}

/** Any TFTP packet, discriminated by `type`. */
export type TftpPacket = RequestPacket | DataPacket | AckPacket | ErrorPacket | OackPacket;

/** Limits for {@link decodePacket}. */
export interface DecodePacketOptions {
  /** Longest RRQ/WRQ accepted (default 512, RFC 2347). */
  maxRequestBytes?: number;
}

/** Decodes one datagram. Throws {@link DecodeError} (`TRUNCATED`, `TFTP_*`) with the offset. */
export function decodePacket(bytes: Uint8Array, options: DecodePacketOptions = {}): TftpPacket {
  const r = new ByteReader(bytes);
  const opcode = r.u16('opcode');
  const type = OPCODE_NAMES[opcode];
  switch (type) {
    case 'RRQ':
    case 'WRQ': {
      const max = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
      if (bytes.length > max) {
        throw new DecodeError('TFTP_REQUEST_TOO_LONG', max, `${type} of ${bytes.length} bytes exceeds ${max}`, { details: { length: bytes.length } });
      }
      const filename = readString(r, 'filename');
      const mode = readString(r, 'mode');
      return { type, filename, mode, options: readOptions(r) };
    }
    case 'DATA':
      return { type, block: r.u16('block number'), data: r.rest() };
    case 'ACK': {
      const block = r.u16('block number');
      if (r.remaining) throw new DecodeError('TFTP_MALFORMED', r.position, `ACK has ${r.remaining} bytes after its block number`);
      return { type, block };
    }
    case 'ERROR': {
      const code = r.u16('error code');
      const message = readString(r, 'error message');
      expectPadding(r, 'ERROR message');
      return { type, code, message };
    }
    case 'OACK':
      return { type, options: readOptions(r) };
    default:
      throw new DecodeError('TFTP_UNKNOWN_OPCODE', 0, `unknown TFTP opcode ${opcode}`, { details: { opcode } });
  }
}

/** Encodes one packet. Throws `INVALID_ARGUMENT` for a string with NUL or a char above 0xFF. */
export function encodePacket(p: TftpPacket): Uint8Array {
  const w = new ByteWriter(encodedLengthPacket(p));
  w.u16(Opcode[p.type]);
  switch (p.type) {
    case 'RRQ':
    case 'WRQ':
      writeString(w, p.filename, 'filename');
      writeString(w, p.mode, 'mode');
      writeOptions(w, p.options);
      break;
    case 'DATA':
      w.u16(p.block).bytes(p.data);
      break;
    case 'ACK':
      w.u16(p.block);
      break;
    case 'ERROR':
      w.u16(p.code);
      writeString(w, p.message, 'error message');
      break;
    case 'OACK':
      writeOptions(w, p.options);
      break;
  }
  return w.finish();
}

/** The number of bytes {@link encodePacket} writes for `p`. */
export function encodedLengthPacket(p: TftpPacket): number {
  switch (p.type) {
    case 'RRQ':
    case 'WRQ':
      return 2 + p.filename.length + 1 + p.mode.length + 1 + optionsLength(p.options);
    case 'DATA':
      return 4 + p.data.length;
    case 'ACK':
      return 4;
    case 'ERROR':
      return 4 + p.message.length + 1;
    case 'OACK':
      return 2 + optionsLength(p.options);
  }
}

function optionsLength(options: readonly TftpOption[]): number {
  let n = 0;
  for (const o of options) n += o.name.length + 1 + o.value.length + 1;
  return n;
}

/** A NUL-terminated string; running out of bytes before the NUL is `TRUNCATED`. */
function readString(r: ByteReader, what: string): string {
  const start = r.position;
  const buf = r.buffer;
  const nul = buf.indexOf(0, start);
  if (nul < 0 || nul >= r.end) {
    throw new DecodeError('TRUNCATED', start, `${what} has no terminating NUL`);
  }
  const s = latin1(buf.subarray(start, nul));
  r.skip(nul - start + 1, what);
  return s;
}

/**
 * Name/value pairs to the end of the packet. Trailing NUL bytes are accepted as padding
 * (some boot ROMs pad requests); an empty option name followed by anything else is not.
 */
function readOptions(r: ByteReader): TftpOption[] {
  const out: TftpOption[] = [];
  while (r.remaining > 0) {
    if (allZero(r)) break;
    const at = r.position;
    const name = readString(r, 'option name');
    if (name.length === 0) throw new DecodeError('TFTP_MALFORMED', at, 'empty option name');
    const value = readString(r, `value of option ${name}`);
    out.push({ name, value });
  }
  return out;
}

function expectPadding(r: ByteReader, what: string): void {
  if (r.remaining && !allZero(r)) throw new DecodeError('TFTP_MALFORMED', r.position, `${r.remaining} bytes after the ${what}`);
}

function allZero(r: ByteReader): boolean {
  const buf = r.buffer;
  for (let i = r.position; i < r.end; i++) if (buf[i] !== 0) return false;
  return true;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

function writeString(w: ByteWriter, s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0xff) throw new EmulatorError('INVALID_ARGUMENT', `${what} has character U+${c.toString(16).padStart(4, '0')} at ${i}; TFTP strings are bytes 1–255`);
    w.u8(c);
  }
  w.u8(0);
}

function writeOptions(w: ByteWriter, options: readonly TftpOption[]): void {
  for (const o of options) {
    if (o.name.length === 0) throw new EmulatorError('INVALID_ARGUMENT', 'empty TFTP option name');
    writeString(w, o.name, 'option name');
    writeString(w, o.value, `value of option ${o.name}`);
  }
}
