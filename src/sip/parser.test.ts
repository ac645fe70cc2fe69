import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEmulatorError } from '../shared/errors.js';
import { SipFramer } from './framer.js';
import { encodeSipMessage, headerValue, headerValues, splitList } from './message.js';
import { SipParseError } from './parse-error.js';
import { parseSipMessage } from './parser.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

const REGISTER = [
  'REGISTER sip:10.0.0.1 SIP/2.0',
  'Via: SIP/2.0/TLS 10.0.0.9:51234;branch=z9hG4bK1, SIP/2.0/TLS 10.0.0.8;branch=z9hG4bK0',
  'From: "Line 1" <sip:1001@10.0.0.1>;tag=abc',
  'To: <sip:1001@10.0.0.1>',
  'i: call-1@10.0.0.9',
  'CSeq: 101 REGISTER',
  'Contact: <sip:x@10.0.0.9:51234;transport=tls>;+u.sip!devicename.ccm.cisco.com="SEP001122334455"',
  'Supported: replaces,',
  ' join,\tsdp-anat',
  'l: 5',
  '',
  'hello',
].join('\r\n');

describe('SIP parser (RFC 3261 §7)', () => {
  it('parses a REGISTER: compact forms, comma lists, folded lines, body by Content-Length', () => {
    const m = parseSipMessage(enc(REGISTER));
    expect(m).toMatchObject({ kind: 'request', method: 'REGISTER', uri: 'sip:10.0.0.1', version: 'SIP/2.0' });
    expect(headerValue(m, 'call-id')).toBe('call-1@10.0.0.9');
    expect(headerValue(m, 'Content-Length')).toBe('5');
    expect(headerValue(m, 'supported')).toBe('replaces, join,\tsdp-anat');
    expect(headerValues(m, 'via').flatMap(splitList)).toHaveLength(2);
    expect(new TextDecoder().decode(m.body)).toBe('hello');
  });

  it('parses a status line and re-encodes messages it parsed', () => {
    const m = parseSipMessage(enc('SIP/2.0 200 OK\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n'));
    expect(m).toMatchObject({ kind: 'response', status: 200, reason: 'OK' });
    expect(parseSipMessage(encodeSipMessage(m))).toEqual(m);
  });

  it.each([
    ['garbage start line', 'HELLO\r\n\r\n', 'SIP_BAD_START_LINE'],
    ['two spaces in the request line', 'REGISTER  sip:a SIP/2.0\r\n\r\n', 'SIP_BAD_START_LINE'],
    ['header without a colon', 'REGISTER sip:a SIP/2.0\r\nVia x\r\n\r\n', 'SIP_BAD_HEADER'],
    ['continuation before any header', 'REGISTER sip:a SIP/2.0\r\n folded\r\n\r\n', 'SIP_BAD_HEADER'],
    ['bare LF line end', 'REGISTER sip:a SIP/2.0\nVia: x\r\n\r\n', 'SIP_BAD_HEADER'],
    ['non-decimal Content-Length', 'REGISTER sip:a SIP/2.0\r\nContent-Length: 1e3\r\n\r\n', 'SIP_BAD_CONTENT_LENGTH'],
    ['two different Content-Lengths', 'REGISTER sip:a SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nx', 'SIP_BAD_CONTENT_LENGTH'],
    ['body shorter than Content-Length', 'REGISTER sip:a SIP/2.0\r\nContent-Length: 9\r\n\r\nx', 'SIP_BAD_CONTENT_LENGTH'],
    ['no end of head', 'REGISTER sip:a SIP/2.0\r\nVia: x\r\n', 'SIP_BAD_HEADER'],
  ])('rejects %s with a typed error', (_name, text, code) => {
    expect(() => parseSipMessage(enc(text))).toThrow(expect.objectContaining({ code }));
  });

  it('bounds the header count and the head size', () => {
    const many = `REGISTER sip:a SIP/2.0\r\n${'X-A: 1\r\n'.repeat(10)}\r\n`;
    expect(() => parseSipMessage(enc(many), { maxHeaders: 9, maxHeaderBytes: 8192, maxBodyBytes: 10 })).toThrow(expect.objectContaining({ code: 'SIP_TOO_MANY_HEADERS' }));
    expect(() => parseSipMessage(enc(many), { maxHeaders: 64, maxHeaderBytes: 50, maxBodyBytes: 10 })).toThrow(expect.objectContaining({ code: 'SIP_HEADER_TOO_LARGE', status: 513 }));
  });

  it('never throws anything but a SipParseError, whatever the bytes', () => {
    const pieces = fc.constantFrom('REGISTER sip:a SIP/2.0', 'SIP/2.0 200 OK', 'Via: x', ' fold', 'Content-Length: 3', 'l: 99999999999', ':', '\r\n', '\r', '\n', 'é', '\u0000');
    const arb = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.array(pieces, { maxLength: 30 }).map((p) => enc(p.join(''))));
    fc.assert(fc.property(arb, (b) => {
      try {
        parseSipMessage(b, { maxHeaders: 8, maxHeaderBytes: 200, maxBodyBytes: 50 });
      } catch (err) {
        expect(err).toBeInstanceOf(SipParseError);
      }
    }), { numRuns: 2000 });
  });
});

describe('SipFramer (RFC 3261 §18.3)', () => {
  const two = `\r\n\r\n${REGISTER}SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n`;
  const bytes = enc(two);

  it('gives the same messages however the stream is split (every offset), skipping leading CRLFs', () => {
    const whole = new SipFramer().push(bytes);
    expect(whole.map((m) => m.kind)).toEqual(['request', 'response']);
    for (let i = 1; i < bytes.length; i++) {
      const f = new SipFramer();
      const got = [...f.push(bytes.subarray(0, i)), ...f.push(bytes.subarray(i))];
      expect(got, `split at ${i}`).toEqual(whole);
      expect(f.buffered).toBe(0);
    }
  });

  it('gives the same messages one byte at a time', () => {
    const f = new SipFramer();
    expect([...bytes].flatMap((b) => f.push(Uint8Array.of(b)))).toEqual(new SipFramer().push(bytes));
  });

  it('requires Content-Length on a stream and keeps the parsed request for the 400', () => {
    const f = new SipFramer();
    try {
      f.push(enc('REGISTER sip:a SIP/2.0\r\nCall-ID: 7\r\n\r\n'));
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'SIP_BAD_CONTENT_LENGTH', status: 400 });
      expect((err as SipParseError).request?.method).toBe('REGISTER');
    }
  });

  it('refuses an oversize body before buffering it (513) and an endless head (513)', () => {
    expect(() => new SipFramer({ maxBodyBytes: 100 }).push(enc('REGISTER sip:a SIP/2.0\r\nContent-Length: 101\r\n\r\n'))).toThrow(expect.objectContaining({ code: 'SIP_MESSAGE_TOO_LARGE', status: 513 }));
    const f = new SipFramer({ maxHeaderBytes: 64 });
    f.push(enc('REGISTER sip:a SIP/2.0\r\n'));
    expect(() => f.push(enc('X: '.padEnd(80, 'a')))).toThrow(expect.objectContaining({ code: 'SIP_HEADER_TOO_LARGE' }));
  });

  it('only ever throws typed errors on arbitrary chunked input, and holds at most the caps', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 8 }), (chunks) => {
      const f = new SipFramer({ maxHeaderBytes: 256, maxBodyBytes: 64, maxHeaders: 8 });
      try {
        for (const c of chunks) {
          f.push(c);
          expect(f.buffered).toBeLessThanOrEqual(256 + 64 + 120);
        }
      } catch (err) {
        expect(isEmulatorError(err)).toBe(true);
        expect(err).toBeInstanceOf(SipParseError);
      }
    }), { numRuns: 1000 });
  });
});
