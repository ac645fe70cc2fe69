import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../src/shared/errors.js';
import { tvsMessageArb } from '../test/tvs-arbitraries.js';
import { buildTvsRequest, encodeTvsMessage, TvsFramer, type TvsMessage } from './index.js';

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function feed(framer: TvsFramer, chunks: Uint8Array[]): TvsMessage[] {
  return chunks.flatMap((c) => framer.push(c));
}

const request = encodeTvsMessage(buildTvsRequest({ sessionId: 7, deviceName: 'CP-8861-SEP001122334455', certificate: new Uint8Array(300).fill(0x30) }));
const answer = encodeTvsMessage({ command: 2, reserved: 0, sessionId: 7, elements: [{ tag: 7, value: Uint8Array.of(1) }] });

describe('TvsFramer', () => {
  it('gives identical messages whatever byte offset the input is split at', () => {
    const stream = concat(request, answer);
    const whole = new TvsFramer().push(stream);
    expect(whole.map((m) => m.command)).toEqual([1, 2]);
    for (let at = 1; at < stream.length; at++) {
      const framer = new TvsFramer();
      const got = feed(framer, [stream.subarray(0, at), stream.subarray(at)]);
      expect(got, `split at ${at}`).toEqual(whole);
      expect(framer.buffered).toBe(0);
    }
  });

  it('gives the same messages one byte at a time, and for any chunking of any messages (fast-check)', () => {
    const stream = concat(request, answer);
    expect(feed(new TvsFramer(), [...stream].map((b) => Uint8Array.of(b)))).toEqual(new TvsFramer().push(stream));
    fc.assert(
      fc.property(fc.array(tvsMessageArb, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 6 }), (messages, cuts) => {
        const bytes = concat(...messages.map(encodeTvsMessage));
        const points = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((p, i, all) => bytes.subarray(p, all[i + 1] ?? bytes.length));
        const framer = new TvsFramer({ maxFrameBytes: 65545 });
        expect(feed(framer, chunks)).toEqual(messages);
        expect(framer.buffered).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps its own copy of a partial message when the caller reuses its chunk', () => {
    const framer = new TvsFramer();
    const chunk = Buffer.from(request.subarray(0, 20));
    expect(framer.push(chunk)).toEqual([]);
    chunk.fill(0xee);
    const [m] = framer.push(request.subarray(20));
    expect(m!.sessionId).toBe(7);
  });

  it('refuses garbage at its first byte, without waiting for a header', () => {
    const framer = new TvsFramer();
    expect(framer.push(Uint8Array.of(0x57))).toEqual([]);
    expect(() => framer.push(Uint8Array.of(2))).toThrowError(expect.objectContaining({ code: 'TVS_BAD_VERSION', offset: 1 }));
    expect(() => framer.push(Uint8Array.of(1))).toThrowError(expect.objectContaining({ code: 'INVALID_STATE' }));
    expect(() => new TvsFramer().push(Buffer.from('GET / HTTP/1.1\r\n'))).toThrowError(expect.objectContaining({ code: 'TVS_BAD_PROTOCOL', offset: 0 }));
  });

  it('reports stream offsets for an error in a later message', () => {
    const framer = new TvsFramer();
    let err: unknown;
    try {
      framer.push(concat(answer, Uint8Array.of(0x16, 3, 1)));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect(err).toMatchObject({ code: 'TVS_BAD_PROTOCOL', offset: answer.length });
  });

  it('caps the frame size as soon as the header is in, buffering nothing more', () => {
    const framer = new TvsFramer({ maxFrameBytes: 64 });
    const header = Uint8Array.of(0x57, 1, 1, 0, 0, 0, 0, 1, 0xff, 0xff);
    expect(framer.push(header.subarray(0, 9))).toEqual([]);
    expect(() => framer.push(header.subarray(9))).toThrowError(expect.objectContaining({ code: 'TVS_FRAME_TOO_LARGE', offset: 8 }));
    expect(framer.buffered).toBe(0);
    expect(() => new TvsFramer({ maxFrameBytes: 9 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new TvsFramer({ maxFrameBytes: 70000 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('never throws anything but a DecodeError, and never holds more than the cap (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }).map((b) => (b.length > 0 && b[0]! < 0x80 ? Uint8Array.of(0x57, 1, ...b) : b)), { maxLength: 8 }), (chunks) => {
        const framer = new TvsFramer({ maxFrameBytes: 48 });
        try {
          for (const c of chunks) {
            framer.push(c);
            expect(framer.buffered).toBeLessThan(48);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
