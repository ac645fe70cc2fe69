import { describe, expect, it } from 'vitest';
import { openFileLimit, planResources } from './plan.js';

describe('planResources (issue 17 §3)', () => {
  it('gives a 40,000-phone fleet 20 source addresses and a few hundred descriptors for 2 shards', () => {
    const p = planResources({ fleets: [{ name: 'phones', count: 40_000 }], shards: 2, concurrency: 64, loopback: true });
    expect(p.sourceAddresses).toBe(20);
    expect(p.coordinatorFds).toBe(2 * 64 * 2 + 256);
    expect(p.portsPerAddressPerMinute).toBeLessThan(28_000);
  });

  it('refuses a loopback fleet larger than its 253 source addresses can carry, naming the split', () => {
    expect(() => planResources({ fleets: [{ name: 'huge', count: 253 * 2048 + 1 }], shards: 1, concurrency: 64, loopback: true })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('split it into fleets of at most 518144') }));
    expect(() => planResources({ fleets: [{ name: 'huge', count: 253 * 2048 + 1 }], shards: 1, concurrency: 64, loopback: false })).not.toThrow();
  });

  it('refuses before starting when this process\'s descriptor limit is too low', () => {
    const limit = openFileLimit();
    if (limit === undefined) return expect(limit).toBeUndefined();
    const shards = Math.ceil(limit / 128) + 1;
    expect(() => planResources({ fleets: [{ name: 'p', count: 10 }], shards, concurrency: 64, loopback: true })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('ulimit -n') }));
  });
});
