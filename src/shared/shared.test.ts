import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { EventBus } from './events.js';
import { ServerLifecycle, onAbort } from './lifecycle.js';

describe('ManualClock', () => {
  it('fires due timers in order, including ones set while advancing', () => {
    const c = new ManualClock(1000);
    const fired: string[] = [];
    c.setTimeout(() => fired.push('b@300'), 300);
    c.setTimeout(() => {
      fired.push('a@100');
      c.setTimeout(() => fired.push('c@150'), 50);
    }, 100);
    const h = c.setTimeout(() => fired.push('never'), 200);
    c.clearTimeout(h);
    c.advance(250);
    expect(fired).toEqual(['a@100', 'c@150']);
    expect(c.now()).toBe(1250);
    c.advance(100);
    expect(fired).toEqual(['a@100', 'c@150', 'b@300']);
    expect(c.pending).toBe(0);
  });
});

describe('EventBus', () => {
  type E = { type: 'a'; n: number } | { type: 'b'; s: string };
  it('delivers by type and to any-listeners, isolating listener errors', () => {
    const bus = new EventBus<E>();
    const got: unknown[] = [];
    const errors: unknown[] = [];
    bus.onListenerError = (e) => errors.push(e);
    bus.on('a', (e) => got.push(e.n));
    bus.on('a', () => {
      throw new Error('boom');
    });
    const off = bus.onAny((e) => got.push(e.type));
    expect(bus.wants('b')).toBe(true);
    bus.emit({ type: 'a', n: 1 });
    off();
    bus.emit({ type: 'b', s: 'x' });
    expect(got).toEqual([1, 'a']);
    expect(errors).toHaveLength(1);
    expect(bus.wants('b')).toBe(false);
  });
});

describe('ServerLifecycle', () => {
  it('closes once, refuses a second listen and a bad edge', async () => {
    const l = new ServerLifecycle('test');
    l.assertCanListen();
    l.transition('listening');
    expect(() => l.assertCanListen()).toThrowError(expect.objectContaining({ code: 'INVALID_STATE' }));
    let calls = 0;
    const shutdown = async (): Promise<void> => void calls++;
    await Promise.all([l.close(shutdown), l.close(shutdown)]);
    expect(calls).toBe(1);
    expect(l.state).toBe('closed');
    expect(() => l.transition('listening')).toThrowError(expect.objectContaining({ code: 'INVALID_STATE' }));
  });

  it('onAbort fires at once for an aborted signal', () => {
    let n = 0;
    const ac = new AbortController();
    ac.abort();
    onAbort(ac.signal, () => n++);
    expect(n).toBe(1);
  });
});
