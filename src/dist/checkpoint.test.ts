import { describe, expect, it } from 'vitest';
import { initialPhone, phoneModel } from '../../phones/index.js';
import { packCheckpoint, unpackCheckpoint } from './checkpoint.js';

describe('shard checkpoints (decision 029)', () => {
  const model = phoneModel('8861');
  const phone = (mac: string, itl: string) => {
    const s = initialPhone({ mac, model, tftpServers: ['10.0.0.1'] });
    return { ...s, phase: 'registered' as const, flash: { ...s.flash, itl, config: '<device/>', log: [{ at: 5, message: 'hello' }] }, effects: [{ id: 3, type: 'timer.start' as const, region: 'phone' as never, timer: 'reregister' as never, due: 3_600_000 }] };
  };

  it('round-trips every phone\'s whole state, and keeps each distinct file text once', () => {
    const a = phone('00A000000001', 'ITL-A');
    const b = phone('00A000000002', 'ITL-A');
    const packed = packCheckpoint({ step: 4, now: 123, phones: [{ mac: a.mac, state: a }, { mac: b.mac, state: b }] });
    expect(Object.values(packed.blobs).sort()).toEqual(['<device/>', 'ITL-A']);
    // Through JSON, as it is stored in Redis.
    const back = unpackCheckpoint(JSON.parse(JSON.stringify(packed)));
    expect(back.step).toBe(4);
    expect(back.now).toBe(123);
    expect(back.phones.get(a.mac)!.state).toEqual(a);
    expect(back.phones.get(b.mac)!.state).toEqual(b);
  });

  it('leaves out texts the store already holds, and refuses a checkpoint missing one', () => {
    const a = phone('00A000000001', 'ITL-A');
    const first = packCheckpoint({ step: 1, now: 0, phones: [{ mac: a.mac, state: a }] });
    const second = packCheckpoint({ step: 2, now: 0, phones: [{ mac: a.mac, state: a }] }, new Set(Object.keys(first.blobs)));
    expect(second.blobs).toEqual({});
    expect(unpackCheckpoint({ ...second, blobs: first.blobs }).phones.get(a.mac)!.state.flash.itl).toBe('ITL-A');
    expect(() => unpackCheckpoint(second)).toThrow(/does not hold/);
  });
});
