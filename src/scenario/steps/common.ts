import { describeClusterEvent, type OpResult } from '../../cluster/index.js';
import { EmulatorError } from '../../shared/errors.js';
import type { VirtualPhone } from '../../../phones/index.js';
import type { ScenarioContext } from '../context.js';
import type { PhoneSelector } from './schemas.js';

/** The cluster's own account of an operation, one line per event, for the report. */
export const describeOp = (cluster: string, r: OpResult): string[] => r.events.map((e) => `${cluster}: ${describeClusterEvent(e)}`);

/**
 * The account of an operation, after carrying out what the cluster does on its own that reaches
 * the phones: with Phone Interaction on Certificate Update = Automatic, CUCM resets the phones
 * registered to it (REG-1). What is left to the administrator stays a line that says so.
 */
export async function applyOp(ctx: ScenarioContext, cluster: string, r: OpResult): Promise<string[]> {
  const lines = describeOp(cluster, r);
  if (r.events.some((e) => e.type === 'phones.reset')) lines.push(await ctx.resetRegistered(cluster));
  return lines;
}

/** Phones a selector names, by fleet (a list of fleets names several). */
export function selectPhones(ctx: ScenarioContext, sel: PhoneSelector): Array<{ fleet: string; phones: VirtualPhone[] }> {
  return (Array.isArray(sel) ? sel : [sel]).map((one) => {
    const s = typeof one === 'string' ? { fleet: one } : one;
    const phones = ctx.requireFleet(s.fleet).fleet.phones;
    const n = s.count ?? (s.fraction !== undefined ? Math.round(phones.length * s.fraction) : phones.length);
    return { fleet: s.fleet, phones: phones.slice(0, Math.min(n, phones.length)) };
  });
}

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, y: 365 * 86_400_000 } as const;

/** Parses "24h", "30m", "1.5d", "5y". */
export function durationMs(text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d|y)$/.exec(text.trim());
  if (!m) throw new EmulatorError('INVALID_ARGUMENT', `"${text}" is not a duration like 24h, 30m or 5y`);
  return Math.round(Number(m[1]) * UNITS[m[2] as keyof typeof UNITS]);
}

/** A duration in the largest unit that keeps it whole, for step lines ("90 s", "2 h"). */
export function formatDuration(ms: number): string {
  for (const [u, f] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) if (ms >= f && ms % f === 0) return `${ms / f} ${u}`;
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}
