import { randomBytes } from 'node:crypto';
import { encodeSipMessage, headerValue, headerValues, type SipHeader, type SipRequest } from './message.js';

/**
 * Builds a response to a request as a UAS must (RFC 3261 §8.2.6.2): Via values copied in order,
 * From, Call-ID and CSeq copied, To copied with a tag added when the request had none. Then the
 * extra headers, and `Content-Length: 0` (a registrar never sends a body).
 */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  405: 'Method Not Allowed',
  423: 'Interval Too Brief',
  500: 'Server Internal Error',
  505: 'Version Not Supported',
  513: 'Message Too Large',
};

export interface ResponseOptions {
  /** Reason phrase; defaults to the RFC 3261 §21 phrase. */
  reason?: string;
  headers?: readonly SipHeader[];
  /** To tag to add when the request's To has none (random 8 hex by default). */
  toTag?: string;
}

export function buildResponse(request: Pick<SipRequest, 'headers'>, status: number, options: ResponseOptions = {}): Uint8Array {
  const headers: SipHeader[] = [];
  for (const v of headerValues(request, 'via')) headers.push({ name: 'Via', value: v });
  const from = headerValue(request, 'from');
  if (from !== undefined) headers.push({ name: 'From', value: from });
  const to = headerValue(request, 'to');
  if (to !== undefined) headers.push({ name: 'To', value: /;\s*tag=/i.test(to) ? to : `${to};tag=${options.toTag ?? randomBytes(4).toString('hex')}` });
  const callId = headerValue(request, 'call-id');
  if (callId !== undefined) headers.push({ name: 'Call-ID', value: callId });
  const cseq = headerValue(request, 'cseq');
  if (cseq !== undefined) headers.push({ name: 'CSeq', value: cseq });
  headers.push(...(options.headers ?? []), { name: 'Content-Length', value: '0' });
  return encodeSipMessage({ kind: 'response', version: 'SIP/2.0', status, reason: options.reason ?? REASON_PHRASES[status] ?? 'Unknown', headers, body: new Uint8Array(0) });
}

/** RFC 1123 date for the Date header (RFC 3261 §20.17; §10.3 step 8: a 200 SHOULD carry one). */
export function sipDate(ms: number): string {
  return new Date(ms).toUTCString();
}
