import { describe, expect, it } from 'vitest';
import { readSample, SAMPLE } from '../../test/helpers/samples.js';
import { expectRoundTrip } from '../../test/helpers/codec.js';
import { DecodeError } from '../shared/errors.js';
import { decodeTrustList, encodeTrustList, encodedLengthTrustList, parseSignedFile } from './index.js';

/**
 * Malformed input, one rule at a time. Offsets come from the CUCM CTL layout in formats.md
 * §1.3 ("Canonical CUCM order"): tag 2 value at 8, container 3 at 10, signer name at 13,
 * digest at 143, signature at 158, filename at 289, padding at 311, first record at 312.
 */
const ctl = readSample(SAMPLE.cucmCtl);

function patched(edit: (b: Uint8Array) => Uint8Array | void): Uint8Array {
  const copy = ctl.slice();
  return edit(copy) ?? copy;
}

function u16(b: Uint8Array, at: number, v: number): void {
  b[at] = v >> 8;
  b[at + 1] = v & 0xff;
}

const cases: Array<[string, () => Uint8Array, string, number]> = [
  ['empty input', () => new Uint8Array(0), 'TRUNCATED', 0],
  ['a first tag other than VERSION', () => patched((b) => void (b[0] = 2)), 'TLV_UNEXPECTED_TAG', 0],
  ['a version of 3 bytes', () => patched((b) => u16(b, 1, 3)), 'TLV_BAD_LENGTH', 0],
  ['a header length below 10', () => patched((b) => u16(b, 8, 6)), 'TRUSTLIST_HEADER_LENGTH', 5],
  ['a header length past the end of the file', () => patched((b) => b.subarray(0, 300)), 'TRUNCATED', 300],
  ['a header element running past the header length', () => patched((b) => u16(b, 8, 300)), 'TRUSTLIST_HEADER_OVERRUN', 289],
  ['a header tag twice', () => patched((b) => void (b[289] = 4)), 'TLV_DUPLICATE_TAG', 289],
  ['a header without a filename', () => patched((b) => void (b[289] = 99)), 'TRUSTLIST_MISSING_TAG', 312],
  ['a signer name without its NUL', () => patched((b) => void (b[13 + 3 + 54] = 0x41)), 'TLV_BAD_STRING', 13],
  ['a signer name that is not UTF-8', () => patched((b) => void (b[16] = 0xff)), 'TLV_BAD_STRING', 13],
  ['a record not opening with tag 1', () => patched((b) => void (b[312] = 2)), 'TLV_UNEXPECTED_TAG', 312],
  ['a record length below 5', () => patched((b) => u16(b, 315, 4)), 'TRUSTLIST_RECORD_LENGTH', 312],
  ['a record length past the end of the file', () => patched((b) => u16(b, 315, 0xffff)), 'TRUNCATED', 312],
  ['a record element running past the record length', () => patched((b) => u16(b, 315, 1147 - 100)), 'TRUSTLIST_RECORD_LENGTH', 312 + 5 + 14 + 58 + 5 + 58 + 11 + 143 + 131],
];

/**
 * A file written element by element, bypassing our encoder, so that any element can carry any
 * length. Header defaults are a minimal valid header (1024-bit signature of zeros).
 */
function rawFile(header: Map<number, Uint8Array>, record: Array<[number, Uint8Array]>): Uint8Array {
  const str = (s: string): Uint8Array => new Uint8Array(Buffer.from(`${s}\0`));
  const defaults: Array<[number, Uint8Array]> = [
    [4, str('CN=x')], [5, Uint8Array.of(1)], [6, str('CN=x')], [8, Uint8Array.of(1)],
    [10, Uint8Array.of(0)], [11, Uint8Array.of(1)], [12, new Uint8Array(128)], [14, str('ITLFile.tlv')], [15, Uint8Array.of(0, 0, 0, 1)],
  ];
  const el = (t: number, v: Uint8Array): Buffer => Buffer.concat([Buffer.of(t, v.length >> 8, v.length & 0xff), v]);
  const body = Buffer.concat(defaults.map(([t, v]) => el(t, header.get(t) ?? v)));
  let head = Buffer.concat([el(1, Uint8Array.of(1, 2)), el(2, Uint8Array.of(0, 0)), body]);
  while (head.length % 4) head = Buffer.concat([head, Buffer.of(13)]);
  head.writeUInt16BE(head.length, 8);
  const recBody = Buffer.concat(record.map(([t, v]) => el(t, v)));
  const rec = Buffer.concat([Buffer.of(1, 0, 2, (recBody.length + 5) >> 8, (recBody.length + 5) & 0xff), recBody]);
  return new Uint8Array(Buffer.concat([head, rec]));
}

describe('decodeTrustList on malformed input', () => {
  it.each(cases)('refuses %s', (_name, input, code, offset) => {
    let err: unknown;
    try {
      decodeTrustList(input());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).code).toBe(code);
    expect((err as DecodeError).offset).toBe(offset);
  });

  const badLengths: Array<[string, Array<[number, Uint8Array]>, Array<[number, Uint8Array]>]> = [
    ['a digest of 2 bytes', [[8, Uint8Array.of(1, 0)]], []],
    ['a timestamp of 3 bytes', [[15, Uint8Array.of(1, 2, 3)]], []],
    ['a role of 3 bytes', [], [[4, Uint8Array.of(0, 0, 0)]]],
    ['an IP address of 5 bytes', [], [[4, Uint8Array.of(0, 0)], [10, new Uint8Array(5)]]],
  ];
  it.each(badLengths)('refuses %s with TLV_BAD_LENGTH', (_name, headerOverrides, record) => {
    const bytes = rawFile(new Map(headerOverrides), record);
    expect(() => decodeTrustList(bytes)).toThrowError(expect.objectContaining({ code: 'TLV_BAD_LENGTH' }));
  });

  it('accepts the same raw file when every length is right', () => {
    const list = decodeTrustList(rawFile(new Map(), [[4, Uint8Array.of(0, 7)], [10, Uint8Array.of(10, 0, 0, 1)]]));
    expect(list.records[0]!.role).toBe(7);
    expect(list.header.signerName).toBe('CN=x');
  });

  it('caps the file size and the record count', () => {
    expect(() => decodeTrustList(ctl, { maxBytes: 4096 })).toThrowError(expect.objectContaining({ code: 'TRUSTLIST_TOO_LARGE' }));
    expect(() => decodeTrustList(ctl, { maxRecords: 5 })).toThrowError(expect.objectContaining({ code: 'TRUSTLIST_TOO_MANY_RECORDS', offset: ctl.length - 1143 }));
    expect(() => parseSignedFile(ctl, 1000)).toThrowError(expect.objectContaining({ code: 'TRUSTLIST_TOO_LARGE' }));
  });
});

describe('tolerance', () => {
  const codec = { encode: encodeTrustList, decode: decodeTrustList, encodedLength: encodedLengthTrustList };

  it('keeps unknown header and record tags in place and re-encodes them', () => {
    const list = decodeTrustList(ctl);
    const layout = structuredClone(list.layout!);
    layout.header.order.splice(layout.header.order.indexOf(15) + 1, 0, 20);
    layout.header.unknown.push({ tag: 20, value: Uint8Array.of(1, 2, 3) });
    layout.records[2]!.order.splice(3, 0, 42);
    layout.records[2]!.unknown.push({ tag: 42, value: Uint8Array.of(9) });
    const bytes = encodeTrustList({ ...list, layout });
    const back = decodeTrustList(bytes);
    expect(back.layout!.header.unknown).toEqual([{ tag: 20, value: Uint8Array.of(1, 2, 3) }]);
    expect(back.layout!.records[2]!.unknown).toEqual([{ tag: 42, value: Uint8Array.of(9) }]);
    expect(back.header.headerLength).toBe(312 + 6);
    expectRoundTrip(codec, back);
  });
});
