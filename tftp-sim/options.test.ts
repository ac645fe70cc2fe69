import { describe, expect, it } from 'vitest';
import { checkOack, interpretTimeout, negotiateReadOptions, requestOptions, type ServerOptionLimits } from './options.js';
import type { TftpOption } from './packet.js';

const LIMITS: ServerOptionLimits = { maxBlockSize: 65464, maxWindowSize: 64, defaultTimeoutMs: 1000, minTimeoutMs: 100 };
const opts = (...pairs: Array<[string, string]>): TftpOption[] => pairs.map(([name, value]) => ({ name, value }));

describe('negotiateReadOptions (RFC 2347/2348/2349/7440)', () => {
  const cases: Array<{ name: string; options: TftpOption[]; size?: number; limits?: Partial<ServerOptionLimits>; oack: TftpOption[]; params: { blockSize: number; windowSize: number; timeoutMs: number } }> = [
    { name: 'no options: RFC 1350 defaults, no OACK', options: [], oack: [], params: { blockSize: 512, windowSize: 1, timeoutMs: 1000 } },
    { name: 'names are case-insensitive and echoed as sent', options: opts(['BlkSize', '1428'], ['TSIZE', '0']), size: 10240, oack: opts(['BlkSize', '1428'], ['TSIZE', '10240']), params: { blockSize: 1428, windowSize: 1, timeoutMs: 1000 } },
    { name: 'blksize bounds 8 and 65464 accepted', options: opts(['blksize', '8']), oack: opts(['blksize', '8']), params: { blockSize: 8, windowSize: 1, timeoutMs: 1000 } },
    { name: 'blksize 65464 accepted', options: opts(['blksize', '65464']), oack: opts(['blksize', '65464']), params: { blockSize: 65464, windowSize: 1, timeoutMs: 1000 } },
    { name: 'blksize 7 ignored', options: opts(['blksize', '7']), oack: [], params: { blockSize: 512, windowSize: 1, timeoutMs: 1000 } },
    { name: 'blksize 65465 ignored', options: opts(['blksize', '65465']), oack: [], params: { blockSize: 512, windowSize: 1, timeoutMs: 1000 } },
    { name: 'blksize above the server cap is answered with the cap', options: opts(['blksize', '9000']), limits: { maxBlockSize: 1468 }, oack: opts(['blksize', '1468']), params: { blockSize: 1468, windowSize: 1, timeoutMs: 1000 } },
    { name: 'blksize not a number ignored', options: opts(['blksize', '0x200']), oack: [], params: { blockSize: 512, windowSize: 1, timeoutMs: 1000 } },
    { name: 'windowsize 8', options: opts(['windowsize', '8']), oack: opts(['windowsize', '8']), params: { blockSize: 512, windowSize: 8, timeoutMs: 1000 } },
    { name: 'windowsize above the server cap is lowered', options: opts(['windowsize', '65535']), oack: opts(['windowsize', '64']), params: { blockSize: 512, windowSize: 64, timeoutMs: 1000 } },
    { name: 'windowsize 0 ignored', options: opts(['windowsize', '0']), oack: [], params: { blockSize: 512, windowSize: 1, timeoutMs: 1000 } },
    { name: 'timeout 255 s acknowledged', options: opts(['timeout', '255']), oack: opts(['timeout', '255']), params: { blockSize: 512, windowSize: 1, timeoutMs: 255_000 } },
    { name: 'timeout 3000 read as ms, not acknowledged', options: opts(['timeout', '3000']), oack: [], params: { blockSize: 512, windowSize: 1, timeoutMs: 3000 } },
    { name: 'timeout 0 ignored', options: opts(['timeout', '0']), oack: [], params: { blockSize: 512, windowSize: 1, timeoutMs: 1000 } },
    { name: 'tsize of an empty file left out (curl rejects tsize 0)', options: opts(['tsize', '0']), size: 0, oack: [], params: { blockSize: 512, windowSize: 1, timeoutMs: 1000 } },
    { name: 'unknown options ignored, known ones kept', options: opts(['multicast', ''], ['utimeout', '5000'], ['blksize', '1024']), oack: opts(['blksize', '1024']), params: { blockSize: 1024, windowSize: 1, timeoutMs: 1000 } },
  ];
  it.each(cases)('$name', ({ options, size, limits, oack, params }) => {
    const r = negotiateReadOptions(options, size ?? 100, { ...LIMITS, ...limits });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.oack).toEqual(oack);
    expect(r.parameters).toEqual(params);
  });

  it('refuses a known option named twice (ERROR 8)', () => {
    expect(negotiateReadOptions(opts(['blksize', '512'], ['BLKSIZE', '1024']), 1, LIMITS)).toMatchObject({ ok: false, reason: expect.stringContaining('blksize') });
  });

  it('reads timeout as seconds in 1–255, milliseconds in 256–255000, with a floor', () => {
    expect(interpretTimeout('1', 100)).toEqual({ ms: 1000, acknowledge: true });
    expect(interpretTimeout('256', 100)).toEqual({ ms: 256, acknowledge: false });
    expect(interpretTimeout('300', 500)).toEqual({ ms: 500, acknowledge: false });
    expect(interpretTimeout('255000', 100)).toEqual({ ms: 255000, acknowledge: false });
    expect(interpretTimeout('255001', 100)).toBeUndefined();
    expect(interpretTimeout('-1', 100)).toBeUndefined();
    expect(interpretTimeout('1.5', 100)).toBeUndefined();
  });
});

describe('checkOack (client side)', () => {
  const requested = { blockSize: 1428, windowSize: 8, timeoutSeconds: 2, tsize: true };
  it('accepts smaller blksize/windowsize, the same timeout, and a tsize', () => {
    expect(checkOack(opts(['BLKSIZE', '1024'], ['windowsize', '4'], ['timeout', '2'], ['tsize', '99']), requested)).toEqual({ ok: true, blockSize: 1024, windowSize: 4, timeoutSeconds: 2, tsize: 99 });
    expect(checkOack([], requested)).toEqual({ ok: true, blockSize: 512, windowSize: 1 });
  });
  it.each([
    ['a larger blksize', opts(['blksize', '1429'])],
    ['a blksize below 8', opts(['blksize', '7'])],
    ['a larger windowsize', opts(['windowsize', '9'])],
    ['a different timeout', opts(['timeout', '3'])],
    ['an option not requested', opts(['multicast', '1'])],
    ['an option twice', opts(['tsize', '1'], ['tsize', '1'])],
    ['a non-numeric tsize', opts(['tsize', 'big'])],
  ])('refuses %s', (_n, o) => {
    expect(checkOack(o, requested).ok).toBe(false);
  });
  it('builds the request options in a fixed order', () => {
    expect(requestOptions(requested)).toEqual(opts(['blksize', '1428'], ['tsize', '0'], ['timeout', '2'], ['windowsize', '8']));
    expect(requestOptions({})).toEqual([]);
  });
});
