import { describe, expect, it } from 'vitest';
import { expectRoundTrip } from '../test/helpers/codec.js';
import { decodePacket, encodePacket, encodedLengthPacket, type TftpPacket } from './packet.js';

/** Hand-built datagrams, byte for byte from the layouts in RFC 1350 §5 and RFC 2347. */
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const codec = { encode: encodePacket, decode: (b: Uint8Array) => decodePacket(b), encodedLength: encodedLengthPacket };

const GOLDEN: Array<{ name: string; wire: Uint8Array; packet: TftpPacket }> = [
  {
    name: 'RRQ with blksize and tsize (RFC 2347 example layout)',
    wire: hex(`0001 ${ascii('ITLSEP001122334455.tlv')}00 ${ascii('octet')}00 ${ascii('blksize')}00 ${ascii('1428')}00 ${ascii('tsize')}00 3000`),
    packet: { type: 'RRQ', filename: 'ITLSEP001122334455.tlv', mode: 'octet', options: [{ name: 'blksize', value: '1428' }, { name: 'tsize', value: '0' }] },
  },
  { name: 'WRQ without options', wire: hex(`0002 ${ascii('x')}00 ${ascii('NetASCII')}00`), packet: { type: 'WRQ', filename: 'x', mode: 'NetASCII', options: [] } },
  { name: 'DATA block 1', wire: hex('0003 0001 deadbeef'), packet: { type: 'DATA', block: 1, data: hex('deadbeef') } },
  { name: 'empty DATA block 65535', wire: hex('0003 ffff'), packet: { type: 'DATA', block: 65535, data: new Uint8Array(0) } },
  { name: 'ACK 0', wire: hex('0004 0000'), packet: { type: 'ACK', block: 0 } },
  { name: 'ERROR 1', wire: hex(`0005 0001 ${ascii('File not found')}00`), packet: { type: 'ERROR', code: 1, message: 'File not found' } },
  { name: 'OACK', wire: hex(`0006 ${ascii('BLKSIZE')}00 ${ascii('512')}00`), packet: { type: 'OACK', options: [{ name: 'BLKSIZE', value: '512' }] } },
];

describe('TFTP packet codec: golden datagrams', () => {
  it.each(GOLDEN)('$name', ({ wire, packet }) => {
    expect(decodePacket(wire)).toEqual(packet);
    expect(Buffer.from(encodePacket(packet)).toString('hex')).toBe(Buffer.from(wire).toString('hex'));
    expectRoundTrip(codec, packet);
  });

  it('keeps any byte 1–255 in names (latin1), so what a client sent is what the server checks', () => {
    const p: TftpPacket = { type: 'RRQ', filename: 'caf\u00e9/\u00ff\u0001', mode: 'octet', options: [] };
    expectRoundTrip(codec, p);
  });

  it('accepts NUL padding after the last option and after an ERROR message', () => {
    expect(decodePacket(hex(`0001 ${ascii('f')}00 ${ascii('octet')}00 000000`))).toEqual({ type: 'RRQ', filename: 'f', mode: 'octet', options: [] });
    expect(decodePacket(hex(`0005 0000 ${ascii('x')}00 0000`))).toEqual({ type: 'ERROR', code: 0, message: 'x' });
  });
});

describe('TFTP packet codec: malformed input gives a typed error with an offset', () => {
  const cases: Array<{ name: string; wire: string; code: string; offset: number }> = [
    { name: 'empty datagram', wire: '', code: 'TRUNCATED', offset: 0 },
    { name: 'one byte', wire: '00', code: 'TRUNCATED', offset: 0 },
    { name: 'opcode 0', wire: '0000 0001', code: 'TFTP_UNKNOWN_OPCODE', offset: 0 },
    { name: 'opcode 7', wire: '0007', code: 'TFTP_UNKNOWN_OPCODE', offset: 0 },
    { name: 'opcode 0x0100 (byte-swapped RRQ)', wire: `0100 ${ascii('f')}00`, code: 'TFTP_UNKNOWN_OPCODE', offset: 0 },
    { name: 'RRQ filename without NUL', wire: `0001 ${ascii('abc')}`, code: 'TRUNCATED', offset: 2 },
    { name: 'RRQ without mode', wire: `0001 ${ascii('abc')}00`, code: 'TRUNCATED', offset: 6 },
    { name: 'RRQ option without value', wire: `0001 ${ascii('f')}00 ${ascii('octet')}00 ${ascii('blksize')}00`, code: 'TRUNCATED', offset: 18 },
    { name: 'RRQ empty option name before more bytes', wire: `0001 ${ascii('f')}00 ${ascii('octet')}00 00 ${ascii('x')}00`, code: 'TFTP_MALFORMED', offset: 10 },
    { name: 'DATA without block number', wire: '0003 00', code: 'TRUNCATED', offset: 2 },
    { name: 'ACK with a trailing byte', wire: '0004 0001 00', code: 'TFTP_MALFORMED', offset: 4 },
    { name: 'ERROR message without NUL', wire: `0005 0001 ${ascii('nope')}`, code: 'TRUNCATED', offset: 4 },
    { name: 'ERROR with bytes after the NUL', wire: `0005 0001 ${ascii('x')}00 41`, code: 'TFTP_MALFORMED', offset: 6 },
  ];
  it.each(cases)('$name → $code at $offset', ({ wire, code, offset }) => {
    expect(() => decodePacket(hex(wire))).toThrowError(expect.objectContaining({ name: 'DecodeError', code, offset }));
  });

  it('refuses a request over 512 bytes (RFC 2347) unless the limit is raised', () => {
    const long = encodePacket({ type: 'RRQ', filename: 'f'.repeat(600), mode: 'octet', options: [] });
    expect(() => decodePacket(long)).toThrowError(expect.objectContaining({ code: 'TFTP_REQUEST_TOO_LONG', offset: 512 }));
    expect(decodePacket(long, { maxRequestBytes: 1024 })).toMatchObject({ type: 'RRQ' });
    const exactly512 = encodePacket({ type: 'RRQ', filename: 'f'.repeat(512 - 2 - 1 - 6), mode: 'octet', options: [] });
    expect(exactly512.length).toBe(512);
    expect(decodePacket(exactly512)).toMatchObject({ type: 'RRQ' });
  });

  it('refuses to encode strings a NUL-terminated field cannot carry', () => {
    expect(() => encodePacket({ type: 'RRQ', filename: 'a\u0000b', mode: 'octet', options: [] })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encodePacket({ type: 'ERROR', code: 0, message: '\u20ac' })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encodePacket({ type: 'OACK', options: [{ name: '', value: '1' }] })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encodePacket({ type: 'ACK', block: 65536 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
