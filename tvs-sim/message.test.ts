import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectRoundTrip } from '../test/helpers/codec.js';
import { tvsMessageArb } from '../test/tvs-arbitraries.js';
import { DecodeError, EmulatorError } from '../src/shared/errors.js';
import { decodeTvsMessage, encodedLengthTvsMessage, encodeTvsMessage, type TvsMessage } from './index.js';

const codec = { encode: encodeTvsMessage, decode: (b: Uint8Array) => decodeTvsMessage(b), encodedLength: encodedLengthTvsMessage };

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('TVS message codec', () => {
  it('encodes the 10-byte header and TLV elements exactly as tvsd lays them out', () => {
    // A tvsd VERIFY_RESPONSE for a valid certificate: STATUS 0, ROLES {SAST, TFTP}, TTL 86400.
    const m: TvsMessage = {
      command: 2,
      reserved: 0,
      sessionId: 0x01020304,
      elements: [
        { tag: 7, value: Uint8Array.of(0) },
        { tag: 8, value: Uint8Array.of(0, 3) },
        { tag: 9, value: Uint8Array.of(0, 1, 0x51, 0x80) },
      ],
    };
    const bytes = expectRoundTrip(codec, m);
    expect(Buffer.from(bytes).toString('hex')).toBe('57 01 02 00 01020304 0010 07 0001 00 08 0002 0003 09 0004 00015180'.replace(/ /g, ''));
  });

  it('keeps unknown elements, their order and the reserved byte', () => {
    const bytes = hex('57 01 01 f5 00000001 000b  63 0002 abcd  01 0003 01 4142');
    const m = decodeTvsMessage(bytes);
    expect(m.reserved).toBe(0xf5);
    expect(m.elements.map((e) => e.tag)).toEqual([0x63, 1]);
    expect(Buffer.from(encodeTvsMessage(m)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('round-trips any message (fast-check)', () => {
    fc.assert(fc.property(tvsMessageArb, (m) => void expectRoundTrip(codec, m)), { numRuns: 300 });
  });

  it('throws a typed error for every truncation, never anything else (fast-check)', () => {
    fc.assert(
      fc.property(tvsMessageArb, fc.nat(), (m, cut) => {
        const bytes = encodeTvsMessage(m);
        const n = cut % bytes.length;
        let err: unknown;
        try {
          decodeTvsMessage(bytes.subarray(0, n));
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(DecodeError);
        expect((err as DecodeError).code).toBe('TRUNCATED');
      }),
      { numRuns: 300 },
    );
  });

  it('never throws anything but a DecodeError on arbitrary bytes (fast-check)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }).map((b) => Uint8Array.of(0x57, 1, ...b))), (b) => {
        try {
          decodeTvsMessage(b);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('checks every length against what remains', () => {
    // Element declares 5 bytes but the element area holds 2 after its header.
    expect(() => decodeTvsMessage(hex('57 01 01 00 00000001 0005 02 0005 aabb'))).toThrowError(expect.objectContaining({ code: 'TVS_MALFORMED', offset: 10 }));
    // Element header itself cut by the element area.
    expect(() => decodeTvsMessage(hex('57 01 01 00 00000001 0002 02 00'))).toThrowError(expect.objectContaining({ code: 'TRUNCATED' }));
    // Bytes after the declared element area.
    expect(() => decodeTvsMessage(hex('57 01 01 00 00000001 0000 ff'))).toThrowError(expect.objectContaining({ code: 'TVS_MALFORMED', offset: 10 }));
  });

  it('refuses a foreign protocol id, version, and frames over the cap', () => {
    expect(() => decodeTvsMessage(hex('16 03 01 00 00000001 0000'))).toThrowError(expect.objectContaining({ code: 'TVS_BAD_PROTOCOL', offset: 0 }));
    expect(() => decodeTvsMessage(hex('57 02 01 00 00000001 0000'))).toThrowError(expect.objectContaining({ code: 'TVS_BAD_VERSION', offset: 1 }));
    const big = encodeTvsMessage({ command: 1, reserved: 0, sessionId: 1, elements: [{ tag: 2, value: new Uint8Array(100) }] });
    expect(() => decodeTvsMessage(big, { maxFrameBytes: 100 })).toThrowError(expect.objectContaining({ code: 'TVS_FRAME_TOO_LARGE', offset: 8 }));
    expect(decodeTvsMessage(big, { maxFrameBytes: big.length }).elements[0]!.value.length).toBe(100);
  });

  it('refuses to encode an element area past 65535 bytes', () => {
    const m: TvsMessage = { command: 1, reserved: 0, sessionId: 1, elements: [{ tag: 2, value: new Uint8Array(0xffff - 3) }] };
    expect(encodeTvsMessage(m).length).toBe(10 + 0xffff);
    m.elements.push({ tag: 9, value: new Uint8Array(0) });
    expect(() => encodeTvsMessage(m)).toThrowError(expect.objectContaining({ code: 'TLV_VALUE_TOO_LONG' }));
    expect(() => encodeTvsMessage({ command: 256, reserved: 0, sessionId: 0, elements: [] })).toThrowError(EmulatorError);
  });
});
