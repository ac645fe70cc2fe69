import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectRoundTrip } from '../../test/helpers/codec.js';
import { DecodeError, isEmulatorError } from '../shared/errors.js';
import { capfMessage, readCapfFields, type CapfFields } from './fields.js';
import { CapfFramer } from './framer.js';
import { decodeCapfMessage, encodeCapfMessage, encodedLengthCapfMessage, type CapfMessage } from './message.js';
import { CapfCommand, CapfElement } from './tables.js';

const codec = { encode: encodeCapfMessage, decode: decodeCapfMessage, encodedLength: encodedLengthCapfMessage };

const rawMessage: fc.Arbitrary<CapfMessage> = fc.record({
  command: fc.integer({ min: 0, max: 255 }),
  sessionId: fc.integer({ min: 0, max: 0xffffffff }),
  elements: fc.array(fc.record({ tag: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 64 }) }), { maxLength: 8 }),
});

const name = fc.string({ maxLength: 24 }).filter((s) => !s.includes('\u0000'));
const bytes = fc.uint8Array({ minLength: 0, maxLength: 80 });
const fieldsArb: fc.Arbitrary<CapfFields> = fc.record({
  reason: fc.integer({ min: 0, max: 255 }),
  certificateType: fc.integer({ min: 0, max: 255 }),
  certificate: fc.record({ type: fc.integer({ min: 0, max: 255 }), der: bytes }),
  signedData: bytes,
  version: fc.integer({ min: 0, max: 255 }),
  authType: fc.integer({ min: 0, max: 255 }),
  publicKey: bytes,
  keySize: fc.integer({ min: 0, max: 0xffff }),
  password: name,
  deviceName: name,
  sudiData: fc.record({ certificate: bytes, signatures: fc.array(fc.record({ hash: fc.integer({ min: 0, max: 255 }), signature: bytes }), { maxLength: 3 }) }),
  keyType: fc.integer({ min: 0, max: 255 }),
  curve: fc.integer({ min: 0, max: 255 }),
  sha2SignedData: fc.record({ hash: fc.integer({ min: 0, max: 255 }), signature: bytes }),
}, { requiredKeys: [] });

describe('CAPF message codec (formats.md §5)', () => {
  it('encodes capfd\'s AUTH_REQ byte for byte', () => {
    const m = capfMessage(CapfCommand.AuthReq, 1, { version: 3, authType: 0 });
    expect(Buffer.from(encodeCapfMessage(m)).toString('hex')).toBe('5501' + '00000001' + '0008' + '07000103' + '08000100');
    expectRoundTrip(codec, m);
  });

  it('wraps CERTIFICATE as 01 | len+2 | 00 | type | DER and reads it back', () => {
    const der = Uint8Array.of(0x30, 0x03, 1, 2, 3);
    const bytes = encodeCapfMessage(capfMessage(CapfCommand.StoreCertReq, 7, { certificateType: 1, certificate: { type: 1, der } }));
    expect(Buffer.from(bytes.subarray(12)).toString('hex')).toBe('04000a' + '01000700' + '01' + '3003010203');
    expect(readCapfFields(decodeCapfMessage(bytes)).certificate).toEqual({ type: 1, der });
  });

  it('round-trips any element list, unknown tags included', () => {
    fc.assert(fc.property(rawMessage, (m) => void expectRoundTrip(codec, m)), { numRuns: 300 });
  });

  it('round-trips typed fields through elements', () => {
    fc.assert(fc.property(fieldsArb, fc.integer({ min: 0, max: 0xffffffff }), (f, sid) => {
      const bytes = encodeCapfMessage(capfMessage(CapfCommand.AuthResp, sid, f));
      expect(readCapfFields(decodeCapfMessage(bytes))).toEqual(f);
    }), { numRuns: 300 });
  });

  it('throws a typed error for every truncation and never hangs', () => {
    fc.assert(fc.property(rawMessage, fc.nat(), (m, cut) => {
      const bytes = encodeCapfMessage(m);
      const n = cut % bytes.length;
      try {
        decodeCapfMessage(bytes.subarray(0, n));
        return false;
      } catch (err) {
        return err instanceof DecodeError && ['TRUNCATED', 'CAPF_BAD_PROTOCOL'].includes(err.code);
      }
    }), { numRuns: 300 });
  });

  it('reports an element that overruns its area, and stray trailing bytes', () => {
    const bad = Uint8Array.of(0x55, 1, 0, 0, 0, 1, 0, 4, 7, 0, 5, 3);
    expect(() => decodeCapfMessage(bad)).toThrow(expect.objectContaining({ code: 'CAPF_ELEMENT_OVERRUN', offset: 8 }));
    const ok = encodeCapfMessage(capfMessage(1, 1, { version: 3 }));
    expect(() => decodeCapfMessage(Uint8Array.of(...ok, 0))).toThrow(expect.objectContaining({ code: 'CAPF_ELEMENT_OVERRUN' }));
  });

  it('ignores unknown and opaque elements when reading fields', () => {
    const m: CapfMessage = {
      command: CapfCommand.AuthResp, sessionId: 1,
      elements: [{ tag: 99, value: Uint8Array.of(1, 2, 3) }, { tag: CapfElement.ReasonInfo, value: Uint8Array.of(0x41) }, { tag: CapfElement.Version, value: Uint8Array.of(3) }],
    };
    expect(readCapfFields(decodeCapfMessage(encodeCapfMessage(m)))).toEqual({ version: 3 });
  });

  it('rejects known elements with impossible values (CAPF_BAD_ELEMENT)', () => {
    const cases: Array<[number, number[]]> = [
      [CapfElement.Reason, [1, 2]],
      [CapfElement.KeySize, [8]],
      [CapfElement.DeviceName, [0x53, 0x45, 0x50]],
      [CapfElement.DeviceName, [0x53, 0, 0x50, 0]],
      [CapfElement.Certificate, [2, 0, 2, 0, 1]],
      [CapfElement.Sha2SignedData, [3, 0, 9, 1]],
      [CapfElement.SudiData, [1, 0, 0]],
    ];
    for (const [tag, value] of cases) {
      const m: CapfMessage = { command: 2, sessionId: 1, elements: [{ tag: CapfElement.Version, value: Uint8Array.of(3) }, { tag, value: Uint8Array.from(value) }] };
      expect(() => readCapfFields(m), `tag ${tag}`).toThrow(expect.objectContaining({ code: 'CAPF_BAD_ELEMENT', offset: 12 }));
    }
  });
});

describe('CapfFramer', () => {
  const two = [
    encodeCapfMessage(capfMessage(CapfCommand.AuthReq, 9, { version: 3, authType: 0 })),
    encodeCapfMessage(capfMessage(CapfCommand.KeyGenReq, 9, { keyType: 0, keySize: 2048 }, [{ tag: 99, value: Uint8Array.of(1, 2) }])),
  ];
  const stream = Uint8Array.from([...two[0]!, ...two[1]!]);

  it('gives the same messages however the stream is split', () => {
    const whole = new CapfFramer().push(stream);
    expect(whole).toHaveLength(2);
    for (let i = 1; i < stream.length; i++) {
      const f = new CapfFramer();
      const got = [...f.push(stream.subarray(0, i)), ...f.push(stream.subarray(i))];
      expect(got, `split at ${i}`).toEqual(whole);
      expect(f.buffered).toBe(0);
    }
  });

  it('gives the same messages fed one byte at a time', () => {
    const f = new CapfFramer();
    const got = [...stream].flatMap((b) => f.push(Uint8Array.of(b)));
    expect(got.map((m) => m.command)).toEqual([CapfCommand.AuthReq, CapfCommand.KeyGenReq]);
  });

  it('fails at the first byte of garbage, with the stream offset', () => {
    const f = new CapfFramer();
    f.push(two[0]!);
    expect(() => f.push(Uint8Array.of(0x16, 3, 1))).toThrow(expect.objectContaining({ code: 'CAPF_BAD_PROTOCOL', offset: two[0]!.length }));
  });

  it('refuses a declared frame over the cap before buffering it', () => {
    const f = new CapfFramer({ maxFrameBytes: 100 });
    expect(() => f.push(Uint8Array.of(0x55, 1, 0, 0, 0, 1, 0xff, 0xff))).toThrow(expect.objectContaining({ code: 'CAPF_FRAME_TOO_LARGE' }));
  });

  it('only ever throws typed errors on arbitrary input', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), (chunks) => {
      const f = new CapfFramer({ maxFrameBytes: 256 });
      try {
        for (const c of chunks) f.push(Uint8Array.of(0x55, ...c));
      } catch (err) {
        expect(isEmulatorError(err)).toBe(true);
      }
    }), { numRuns: 500 });
  });
});
