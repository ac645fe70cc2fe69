/**
 * SIP messages as the registrar needs them (RFC 3261 §7): a start line, header fields in order
 * (names as received, values unfolded and trimmed) and the body bytes.
 */
export interface SipHeader {
  name: string;
  value: string;
}

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  /** `SIP/2.0` normally; anything else is answered 505 by the registrar. */
  version: string;
  headers: SipHeader[];
  body: Uint8Array;
}

export interface SipResponse {
  kind: 'response';
  version: string;
  status: number;
  reason: string;
  headers: SipHeader[];
  body: Uint8Array;
}

export type SipMessage = SipRequest | SipResponse;

/** Compact header forms (RFC 3261 §7.3.3 and the §20 entries) → full lowercase names. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
};

/** The full lowercase name of a header, compact forms expanded (names are case-insensitive, §7.3.1). */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT_FORMS[lower] ?? lower;
}

/** Every value of header `name` in order (compact forms and case folded). */
export function headerValues(m: { headers: readonly SipHeader[] }, name: string): string[] {
  const want = canonicalName(name);
  return m.headers.filter((h) => canonicalName(h.name) === want).map((h) => h.value);
}

/** The first value of header `name`, or undefined. */
export function headerValue(m: { headers: readonly SipHeader[] }, name: string): string | undefined {
  const want = canonicalName(name);
  for (const h of m.headers) if (canonicalName(h.name) === want) return h.value;
  return undefined;
}

/**
 * Splits a header value on commas that separate field values (RFC 3261 §7.3.1: a header "may
 * be combined into a comma-separated list"), ignoring commas inside quotes and `<…>`.
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') depth++;
    else if (ch === '>') depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v.length > 0);
}

const encoder = new TextEncoder();

/** Serialises a message: start line, headers, blank line, body (CRLF line ends, RFC 3261 §7). */
export function encodeSipMessage(m: SipMessage): Uint8Array {
  const start = m.kind === 'request' ? `${m.method} ${m.uri} ${m.version}` : `${m.version} ${m.status} ${m.reason}`;
  const head = encoder.encode(`${start}\r\n${m.headers.map((h) => `${h.name}: ${h.value}\r\n`).join('')}\r\n`);
  if (m.body.length === 0) return head;
  const out = new Uint8Array(head.length + m.body.length);
  out.set(head);
  out.set(m.body, head.length);
  return out;
}
