import { Type } from '@sinclair/typebox';
import { durationMs, formatDuration } from './common.js';
import { defineStep } from './registry.js';
import { Duration, Obj, Opt } from './schemas.js';

/**
 * Simulated time. `advance` moves the clock, stopping at every timer that falls due on the way
 * so that the phones act at that instant (a CAPF retry 30 s later, a re-REGISTER, a TVS cache
 * expiring). `settle` lets simulated time pass only as far as phones still wait for a timer, up
 * to its budget, and fails with STEP_NOT_SETTLED if some are still not at rest then.
 */

/** How much simulated time `settle` may let pass by default: a CAPF operation's retries fit many times over. */
export const DEFAULT_SETTLE_BUDGET = '15m';

export const advance = defineStep({
  name: 'advance',
  summary: 'Let simulated time pass; phones act on every timer that falls due on the way.',
  args: Duration,
  example: '24h',
  run: async (ctx, a) => {
    const r = await ctx.advance(durationMs(a));
    return [`clock advanced ${a} to ${new Date(ctx.clock.now()).toISOString()}${r.stops ? ` (stopping at ${r.stops} timer(s) on the way)` : ''}`];
  },
});

export const settle = defineStep({
  name: 'settle',
  summary: `Wait until every phone rests, letting simulated time pass while phones wait for a timer (a CAPF retry), up to a budget (default ${DEFAULT_SETTLE_BUDGET}).`,
  args: Type.Union([Type.Null(), Obj({ within: Opt(Duration) })]),
  example: { within: '5m' },
  run: async (ctx, a) => {
    const budget = durationMs(a?.within ?? DEFAULT_SETTLE_BUDGET);
    const r = await ctx.settle(budget);
    return [r.passedMs ? `every phone at rest after ${formatDuration(r.passedMs)} of simulated time` : 'every phone at rest'];
  },
});

export const TIME_STEPS = [advance, settle] as const;
