import { SIP_MAX_BODY_BYTES, SIP_MAX_HEADER_BYTES, SIP_MAX_HEADERS } from './constants.js';
import { canonicalName, type SipHeader, type SipMessage, type SipRequest } from './message.js';
import { SipParseError } from './parse-error.js';

/**
 * The SIP message parser, enough for REGISTER (RFC 3261 §7):
 *
 * - start line: `Method SP Request-URI SP SIP-Version` or `SIP-Version SP Status-Code SP
 *   Reason-Phrase` (§7.1, §7.2), single spaces, method a token;
 * - header fields `name HCOLON value`, name a token, folding lines (starting with SP or HTAB)
 *   joined to the previous value with one space (§7.3.1: "header fields can be extended over
 *   multiple lines by preceding each extra line with at least one SP or horizontal tab");
 * - lines end in CRLF; a bare CR or LF inside the head is malformed;
 * - Content-Length: decimal, repeated only with the same value (§20.14).
 *
 * Bounded: at most `maxHeaders` fields and `maxHeaderBytes` of head. Every failure is a
 * {@link SipParseError}; nothing else is thrown for any input.
 */
export interface SipLimits {
  maxHeaderBytes: number;
  maxHeaders: number;
  maxBodyBytes: number;
}

export const DEFAULT_SIP_LIMITS: SipLimits = { maxHeaderBytes: SIP_MAX_HEADER_BYTES, maxHeaders: SIP_MAX_HEADERS, maxBodyBytes: SIP_MAX_BODY_BYTES };

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const REQUEST_LINE = /^([A-Za-z0-9\-.!%*_+`'~]+) ([^ ]+) ([Ss][Ii][Pp]\/[0-9]+\.[0-9]+)$/;
const STATUS_LINE = /^([Ss][Ii][Pp]\/[0-9]+\.[0-9]+) ([0-9]{3}) (.*)$/;

/** Latin-1 text of bytes: one char per byte, so string indexes are byte offsets. */
function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

function utf8(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

/**
 * Parses a head: the bytes from the start line up to, not including, the empty line (that is,
 * without the final CRLF CRLF). `base` is the head's offset in the stream, for error offsets.
 */
export function parseSipHead(head: Uint8Array, limits: SipLimits = DEFAULT_SIP_LIMITS, base = 0): SipMessage {
  const text = latin1(head);
  const lines: Array<{ text: string; at: number }> = [];
  let at = 0;
  for (;;) {
    const end = text.indexOf('\r\n', at);
    const line = end < 0 ? text.slice(at) : text.slice(at, end);
    const stray = line.search(/[\r\n]/);
    if (stray >= 0) throw new SipParseError('SIP_BAD_HEADER', base + at + stray, 'bare CR or LF inside the message head (lines end in CRLF)');
    lines.push({ text: line, at });
    if (end < 0) break;
    at = end + 2;
  }
  const first = lines[0]!;
  const headers: SipHeader[] = [];
  let message: SipMessage;
  const req = REQUEST_LINE.exec(first.text);
  if (req) {
    message = { kind: 'request', method: req[1]!, uri: utf8(req[2]!), version: req[3]!.toUpperCase(), headers, body: new Uint8Array(0) };
  } else {
    const st = STATUS_LINE.exec(first.text);
    if (!st) throw new SipParseError('SIP_BAD_START_LINE', base + first.at, `not a SIP request or status line: ${JSON.stringify(first.text.slice(0, 80))}`);
    message = { kind: 'response', version: st[1]!.toUpperCase(), status: Number(st[2]), reason: utf8(st[3]!), headers, body: new Uint8Array(0) };
  }
  const request = message.kind === 'request' ? message : undefined;
  for (let i = 1; i < lines.length; i++) {
    const { text: line, at: lineAt } = lines[i]!;
    if (line.length === 0) throw new SipParseError('SIP_BAD_HEADER', base + lineAt, 'empty line inside the head', withRequest(request));
    if (line[0] === ' ' || line[0] === '\t') {
      const prev = headers[headers.length - 1];
      if (!prev) throw new SipParseError('SIP_BAD_HEADER', base + lineAt, 'continuation line before the first header', withRequest(request));
      prev.value = `${prev.value} ${utf8(line.trim())}`.trim();
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).replace(/[ \t]+$/, '');
    if (colon < 0 || !TOKEN.test(name)) {
      throw new SipParseError('SIP_BAD_HEADER', base + lineAt, `not a header field: ${JSON.stringify(line.slice(0, 60))}`, withRequest(request));
    }
    if (headers.length >= limits.maxHeaders) {
      throw new SipParseError('SIP_TOO_MANY_HEADERS', base + lineAt, `more than ${limits.maxHeaders} header fields`, withRequest(request));
    }
    headers.push({ name, value: utf8(line.slice(colon + 1).trim()) });
  }
  return message;
}

function withRequest(request: SipRequest | undefined): { request?: SipRequest } {
  return request ? { request } : {};
}

/**
 * The Content-Length of a parsed head: a number, `undefined` when absent, or a
 * `SIP_BAD_CONTENT_LENGTH` error for a non-decimal value or two different values.
 */
export function contentLengthOf(m: SipMessage, at = 0): number | undefined {
  let found: number | undefined;
  for (const h of m.headers) {
    if (canonicalName(h.name) !== 'content-length') continue;
    if (!/^[0-9]{1,10}$/.test(h.value)) {
      throw new SipParseError('SIP_BAD_CONTENT_LENGTH', at, `Content-Length ${JSON.stringify(h.value.slice(0, 20))} is not a decimal number`, withRequest(m.kind === 'request' ? m : undefined));
    }
    const n = Number(h.value);
    if (found !== undefined && found !== n) {
      throw new SipParseError('SIP_BAD_CONTENT_LENGTH', at, `two Content-Length values, ${found} and ${n}`, withRequest(m.kind === 'request' ? m : undefined));
    }
    found = n;
  }
  return found;
}

/** Index of the CRLF CRLF that ends the head, searching from `from`, or -1. */
export function findHeadEnd(b: Uint8Array, from = 0): number {
  for (let i = Math.max(0, from); i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

/**
 * Parses one complete message held in `bytes` (a datagram, or a frame the framer cut). Leading
 * CRLFs are skipped (§7.5). Without Content-Length the body is the rest (§18.3, message-oriented
 * transports); with it, the rest must be exactly that long.
 */
export function parseSipMessage(bytes: Uint8Array, limits: SipLimits = DEFAULT_SIP_LIMITS): SipMessage {
  let start = 0;
  while (start + 1 < bytes.length && bytes[start] === 13 && bytes[start + 1] === 10) start += 2;
  const end = findHeadEnd(bytes, start);
  if (end < 0) {
    if (bytes.length - start > limits.maxHeaderBytes) throw new SipParseError('SIP_HEADER_TOO_LARGE', start, `no end of head within ${limits.maxHeaderBytes} bytes`);
    throw new SipParseError('SIP_BAD_HEADER', bytes.length, 'message head does not end with an empty line');
  }
  if (end + 4 - start > limits.maxHeaderBytes) throw new SipParseError('SIP_HEADER_TOO_LARGE', start, `head of ${end + 4 - start} bytes exceeds ${limits.maxHeaderBytes}`);
  const m = parseSipHead(bytes.subarray(start, end), limits, start);
  const rest = bytes.subarray(end + 4);
  const declared = contentLengthOf(m, start);
  const request = m.kind === 'request' ? { request: m } : {};
  if (declared !== undefined && declared > limits.maxBodyBytes) throw new SipParseError('SIP_MESSAGE_TOO_LARGE', end + 4, `body of ${declared} bytes exceeds ${limits.maxBodyBytes}`, request);
  if (declared !== undefined && declared !== rest.length) {
    throw new SipParseError('SIP_BAD_CONTENT_LENGTH', end + 4, `Content-Length ${declared} but ${rest.length} body bytes`, request);
  }
  if (rest.length > limits.maxBodyBytes) throw new SipParseError('SIP_MESSAGE_TOO_LARGE', end + 4, `body of ${rest.length} bytes exceeds ${limits.maxBodyBytes}`, request);
  m.body = new Uint8Array(rest);
  return m;
}
