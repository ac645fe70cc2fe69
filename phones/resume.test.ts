import { describe, expect, it } from 'vitest';
import { createManufacturingCas, KeyPool } from '../src/pki/index.js';
import { ManualClock } from '../src/shared/clock.js';
import { initialPhone, manufacturePhone, phoneModel, VirtualPhone, type PhoneState } from './index.js';
import { resolve } from 'node:path';

/**
 * `VirtualPhone.resume` (decision 029): a phone taken over from a shard checkpoint carries on in
 * the state it had, with each timer armed again for the instant it falls due on the phone's
 * clock, and nothing sent on the network.
 */
describe('VirtualPhone.resume', () => {
  it('takes the saved state as it is and arms its timers for when they fall due', async () => {
    const pool = new KeyPool({ dir: resolve(import.meta.dirname, '..', '.trustlab-keypool'), cycle: { device: 64 } });
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const manufacturing = await createManufacturingCas(pool, new Date(clock.now()));
    const record = await manufacturePhone({ mac: '00A000000001', model: '8861', tftpServers: ['10.255.0.1'], manufacturing, pool, manufactured: new Date(clock.now()) });
    const saved: PhoneState = {
      ...initialPhone({ mac: record.mac, model: phoneModel('8861'), tftpServers: ['10.255.0.1'] }),
      phase: 'registered',
      settled: { state: 'registered', reason: 'registered with 10.255.0.10' },
      effects: [{ id: 7, type: 'timer.start', region: 'phone' as never, timer: 'reregister', due: clock.now() + 3_000_000 }],
      nextEffect: 8,
    };
    const phone = new VirtualPhone(record, undefined, { clock });
    phone.resume(saved);
    expect(phone.state).toBe(saved);
    expect(phone.settled.state).toBe('registered');
    expect(phone.idle).toBe(true);
    expect(clock.pending).toBe(1);
    expect(clock.nextDue()).toBe(Date.UTC(2026, 0, 1) + 3_000_000);
    // A phone that has started cannot be resumed over.
    expect(() => phone.resume(saved)).toThrow(/has not started/);
  });
});
