import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSample, SAMPLE } from '../../test/helpers/samples.js';
import { expectRoundTrip } from '../../test/helpers/codec.js';
import { DecodeError } from '../shared/errors.js';
import { ByteReader } from '../bytes/index.js';
import {
  decodeRecord, decodeTrustList, encodeRecordBytes, encodedLengthRecord, encodeTrustList, encodedLengthTrustList,
  parseForVerification, parseTrustList, verifyTrustList, type Dialect, type TrustList, type TrustListHeader, type TrustListRecord,
} from './index.js';

/**
 * Property tests (fast-check): codecs round-trip arbitrary valid values, and no input — a
 * truncation or a flipped byte of a real file, or arbitrary bytes — ends in anything but a
 * typed DecodeError or a verification result. A damaged file must never verify.
 */

const name = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 })).filter((s) => !s.includes('\u0000'));
const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max });

const recordArb: fc.Arbitrary<TrustListRecord> = fc.record(
  {
    role: fc.constantFrom(0, 1, 2, 3, 4, 7, 21, 300),
    dnsName: name,
    subject: name,
    issuer: name,
    serial: bytes(1, 20),
    publicKey: bytes(0, 300),
    signature: bytes(0, 256),
    certificate: bytes(0, 600),
    ipAddress: fc.oneof(bytes(4, 4), bytes(16, 16)),
  },
  { requiredKeys: ['role'] },
);

const headerArb: fc.Arbitrary<TrustListHeader> = fc.record({
  version: fc.record({ major: fc.integer({ min: 0, max: 255 }), minor: fc.integer({ min: 0, max: 255 }) }),
  headerLength: fc.constant(0),
  signerName: name,
  signerSerial: bytes(0, 20),
  signerIssuer: name,
  digest: fc.integer({ min: 0, max: 255 }),
  signatureAlgorithm: fc.integer({ min: 0, max: 255 }),
  modulusCode: fc.integer({ min: 0, max: 255 }),
  signature: bytes(0, 512),
  filename: name,
  timestamp: fc.integer({ min: 0, max: 0xffffffff }),
});

const listArb: fc.Arbitrary<TrustList> = fc.record({
  header: headerArb,
  records: fc.array(recordArb, { maxLength: 6 }),
  dialect: fc.constantFrom<Dialect>('cucm', 'certutils'),
});

const listCodec = { encode: encodeTrustList, decode: decodeTrustList, encodedLength: encodedLengthTrustList };

describe('trust-list codec properties', () => {
  it('round-trips arbitrary lists in both dialects', () => {
    fc.assert(
      fc.property(listArb, (list) => {
        const bytes = encodeTrustList(list);
        expect(bytes.length).toBe(encodedLengthTrustList(list));
        expect(bytes.length % 4 === 0 || list.records.length > 0).toBe(true);
        const decoded = decodeTrustList(bytes);
        expect(decoded.header).toEqual({ ...list.header, headerLength: decoded.header.headerLength });
        expect(decoded.header.headerLength % 4).toBe(0);
        expect(decoded.records).toEqual(list.records);
        expectRoundTrip(listCodec, decoded);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips arbitrary records through the record codec', () => {
    const recordCodec = {
      encode: (r: TrustListRecord) => encodeRecordBytes(r),
      decode: (b: Uint8Array) => decodeRecord(new ByteReader(b)).record,
      encodedLength: (r: TrustListRecord) => encodedLengthRecord(r),
    };
    fc.assert(fc.property(recordArb, (r) => void expectRoundTrip(recordCodec, r)), { numRuns: 300 });
  });

  it('refuses every truncation of an encoded list with a typed error or decodes fewer records', () => {
    fc.assert(
      fc.property(listArb, fc.nat(), (list, cut) => {
        const bytes = encodeTrustList(list);
        const n = cut % bytes.length;
        try {
          const d = decodeTrustList(bytes.subarray(0, n));
          expect(d.records.length).toBeLessThan(list.records.length);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives arbitrary bytes a typed error or a decoded list, never anything else', () => {
    fc.assert(
      fc.property(bytes(0, 400), (b) => {
        try {
          decodeTrustList(b);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('real samples under damage', () => {
  const samples = [readSample(SAMPLE.cucmCtl), readSample(SAMPLE.certutilsItl)];

  /** A typed error or a result; never VALID, since every byte but the signature is signed. */
  function outcome(b: Uint8Array): string {
    try {
      return verifyTrustList(b).reason;
    } catch (e) {
      expect(e).toBeInstanceOf(DecodeError);
      return (e as DecodeError).code;
    }
  }

  it('every truncation of each sample is a typed error or a failed verification', () => {
    for (const s of samples) {
      const seen = new Set<string>();
      for (let n = 0; n < s.length; n++) {
        const o = outcome(s.subarray(0, n));
        expect(o).not.toBe('VALID');
        seen.add(o);
      }
      expect(seen.has('TRUNCATED')).toBe(true);
      expect(seen.has('SIGNATURE_INVALID')).toBe(true);
    }
  });

  it('the verifier\'s lighter parse accepts and refuses exactly what the full decoder does', () => {
    const codeOf = (f: () => unknown): string => {
      try {
        f();
        return 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(DecodeError);
        return `${(e as DecodeError).code}@${(e as DecodeError).offset}`;
      }
    };
    fc.assert(
      fc.property(fc.constantFrom(0, 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }), fc.nat(), (which, flips, cut) => {
        const copy = samples[which]!.slice(0, samples[which]!.length - (cut % 50));
        for (const [pos, x] of flips) copy[pos % copy.length]! ^= x;
        expect(codeOf(() => parseForVerification(copy))).toBe(codeOf(() => parseTrustList(copy)));
      }),
      { numRuns: 3000 },
    );
  });

  it('random byte flips give a typed error or a failed verification', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (which, flips) => {
        const copy = samples[which]!.slice();
        for (const [pos, x] of flips) copy[pos % copy.length]! ^= x;
        expect(outcome(copy)).not.toBe('VALID');
      }),
      { numRuns: 3000 },
    );
  });
});
