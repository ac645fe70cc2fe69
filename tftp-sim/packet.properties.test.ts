import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectRoundTrip } from '../test/helpers/codec.js';
import { DecodeError } from '../src/shared/errors.js';
import { decodePacket, encodePacket, encodedLengthPacket, type TftpOption, type TftpPacket } from './packet.js';

/**
 * Property tests (conventions.md §4): every valid packet round-trips, and every truncation of
 * an encoded packet either throws a typed DecodeError with an offset inside the input, or (when
 * the cut falls exactly between two list items or inside DATA's payload) decodes to a packet
 * that re-encodes to exactly the truncated bytes. Cuts inside a fixed field or a string always
 * throw. Arbitrary bytes never produce any other exception.
 */
const codec = { encode: encodePacket, decode: (b: Uint8Array) => decodePacket(b, { maxRequestBytes: 65535 }), encodedLength: encodedLengthPacket };

const str = (min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.integer({ min: 1, max: 255 }), { minLength: min, maxLength: max }).map((cs) => String.fromCharCode(...cs));
const option: fc.Arbitrary<TftpOption> = fc.record({ name: str(1, 12), value: str(0, 12) });
const options = fc.array(option, { maxLength: 5 });
const u16 = fc.integer({ min: 0, max: 0xffff });

const packetArb: fc.Arbitrary<TftpPacket> = fc.oneof(
  fc.record({ type: fc.constantFrom('RRQ' as const, 'WRQ' as const), filename: str(0, 60), mode: str(0, 10), options }),
  fc.record({ type: fc.constant('DATA' as const), block: u16, data: fc.uint8Array({ maxLength: 600 }) }),
  fc.record({ type: fc.constant('ACK' as const), block: u16 }),
  fc.record({ type: fc.constant('ERROR' as const), code: u16, message: str(0, 40) }),
  fc.record({ type: fc.constant('OACK' as const), options }),
);

function expectTypedError(fn: () => unknown, length: number): DecodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    const d = e as DecodeError;
    expect(['TRUNCATED', 'TFTP_MALFORMED', 'TFTP_UNKNOWN_OPCODE', 'TFTP_REQUEST_TOO_LONG']).toContain(d.code);
    expect(d.offset).toBeGreaterThanOrEqual(0);
    expect(d.offset).toBeLessThanOrEqual(Math.max(length, 512));
    return d;
  }
  throw new Error('expected a DecodeError');
}

describe('TFTP packet codec properties', () => {
  it('round-trips arbitrary packets', () => {
    fc.assert(fc.property(packetArb, (p) => void expectRoundTrip(codec, p)), { numRuns: 500 });
  });

  it('every truncation throws a typed error, or is itself a complete packet', () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        const bytes = encodePacket(p);
        for (let cut = 0; cut < bytes.length; cut++) {
          const prefix = bytes.subarray(0, cut);
          let decoded: TftpPacket | undefined;
          try {
            decoded = codec.decode(prefix);
          } catch {
            expectTypedError(() => codec.decode(prefix), cut);
            continue;
          }
          expect(Buffer.from(encodePacket(decoded)).equals(Buffer.from(prefix))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a cut inside the header or a string always throws', () => {
    fc.assert(
      fc.property(fc.oneof(packetArb.filter((p) => p.type === 'ACK' || p.type === 'ERROR'), packetArb.filter((p) => p.type === 'RRQ' || p.type === 'WRQ')), (p) => {
        const bytes = encodePacket(p);
        // Request: up to the mode's NUL every cut is inside a string. ACK/ERROR: every cut.
        const end = p.type === 'RRQ' || p.type === 'WRQ' ? 2 + p.filename.length + 1 + p.mode.length + 1 : bytes.length;
        for (let cut = 0; cut < end; cut++) expectTypedError(() => codec.decode(bytes.subarray(0, cut)), cut);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes decode or throw DecodeError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.integer({ min: 0, max: 7 }), (body, opcode) => {
        for (const b of [body, Uint8Array.of(0, opcode, ...body)]) {
          try {
            decodePacket(b);
          } catch (e) {
            expectTypedError(() => decodePacket(b), b.length);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
