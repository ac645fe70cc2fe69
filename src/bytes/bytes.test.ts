import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, fromHex, toColonHex, toHex } from './index.js';
import { DecodeError, EmulatorError } from '../shared/errors.js';

describe('ByteReader', () => {
  it('reads big-endian integers and slices as views', () => {
    const buf = Uint8Array.of(1, 0x01, 0x02, 0xde, 0xad, 0xbe, 0xef, 9, 8, 7);
    const r = new ByteReader(buf);
    expect(r.u8()).toBe(1);
    expect(r.u16()).toBe(0x0102);
    expect(r.u32()).toBe(0xdeadbeef);
    const rest = r.bytes(3);
    expect([...rest]).toEqual([9, 8, 7]);
    expect(rest.buffer).toBe(buf.buffer);
    expect(r.remaining).toBe(0);
  });

  it('throws TRUNCATED with the absolute offset and consumes nothing', () => {
    const r = new ByteReader(Uint8Array.of(1, 2, 3), 1);
    expect(r.u8()).toBe(2);
    let err: unknown;
    try {
      r.u16('a length');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).code).toBe('TRUNCATED');
    expect((err as DecodeError).offset).toBe(2);
    expect(r.position).toBe(2);
    expect(r.u8()).toBe(3);
  });

  it('confines a sub-reader to its window', () => {
    const r = new ByteReader(Uint8Array.of(0, 1, 2, 3, 4, 5));
    r.u8();
    const sub = r.sub(2);
    expect(sub.u8()).toBe(1);
    expect(sub.u8()).toBe(2);
    expect(() => sub.u8()).toThrowError(expect.objectContaining({ code: 'TRUNCATED', offset: 3 }));
    expect(r.position).toBe(3);
  });

  it('reads length-prefixed vectors and restores the position on failure', () => {
    const r = new ByteReader(Uint8Array.of(0, 2, 7, 8, 0, 9, 1));
    expect([...r.vector(2)]).toEqual([7, 8]);
    expect(() => r.vector(2)).toThrowError(expect.objectContaining({ code: 'TRUNCATED' }));
    expect(r.position).toBe(4);
  });
});

describe('ByteWriter', () => {
  it('grows, chains and patches reserved lengths', () => {
    const w = new ByteWriter(16);
    const at = w.u8(1).reserve(2);
    for (let i = 0; i < 100; i++) w.u8(i);
    w.u32(0xcafebabe).patchU16(at, 104);
    const out = w.finish();
    expect(out.length).toBe(1 + 2 + 100 + 4);
    expect(out[1]).toBe(0);
    expect(out[2]).toBe(104);
    expect(toHex(out.subarray(-4))).toBe('cafebabe');
  });

  it('refuses values out of range with INVALID_ARGUMENT', () => {
    const w = new ByteWriter();
    expect(() => w.u8(256)).toThrowError(EmulatorError);
    expect(() => w.u16(-1)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => w.u32(2 ** 32)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('hex helpers', () => {
  it('formats and parses', () => {
    expect(toColonHex(Uint8Array.of(0x24, 0x49, 0x0f))).toBe('24:49:0F');
    expect(toHex(fromHex('24:49:0f')!)).toBe('24490f');
    expect(fromHex('zz')).toBeUndefined();
  });
});
