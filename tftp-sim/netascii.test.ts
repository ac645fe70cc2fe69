import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromNetascii, toNetascii } from './netascii.js';

const b = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

describe('netascii (RFC 1350, RFC 764 NVT line ends)', () => {
  it('sends LF as CR LF and a bare CR as CR NUL', () => {
    expect(s(toNetascii(b('a\nb\rc\r\n')))).toBe('a\r\nb\r\0c\r\0\r\n');
    expect(s(fromNetascii(b('a\r\nb\r\0c\r\0\r\n')))).toBe('a\nb\rc\r\n');
  });
  it('keeps a CR followed by anything else, and a trailing CR', () => {
    expect(s(fromNetascii(b('a\rb\r')))).toBe('a\rb\r');
  });
  it('round-trips any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (x) => {
      expect(Buffer.from(fromNetascii(toNetascii(x))).equals(Buffer.from(x))).toBe(true);
    }));
  });
});
