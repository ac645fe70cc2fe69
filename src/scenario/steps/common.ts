import { describeClusterEvent, type ClusterEvent, type OpResult } from '../../cluster/index.js';
import { EmulatorError } from '../../shared/errors.js';
import type { PhoneMirror } from '../../dist/index.js';
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
  return [...describeOp(cluster, r), ...(await applyResets(ctx, cluster, r.events))];
}

/** Carries out the phone resets the cluster did itself (REG-1); the line saying so, if any. */
export async function applyResets(ctx: ScenarioContext, cluster: string, events: readonly ClusterEvent[]): Promise<string[]> {
  return events.some((e) => e.type === 'phones.reset') ? [await ctx.resetRegistered(cluster)] : [];
}

/** Phones a selector names, by fleet (a list of fleets names several). */
export function selectPhones(ctx: ScenarioContext, sel: PhoneSelector): Array<{ fleet: string; phones: PhoneMirror[] }> {
  return (Array.isArray(sel) ? sel : [sel]).map((one) => {
    const s = typeof one === 'string' ? { fleet: one } : one;
    const phones = ctx.requireFleet(s.fleet).phones;
    const n = s.count ?? (s.fraction !== undefined ? Math.round(phones.length * s.fraction) : phones.length);
    return { fleet: s.fleet, phones: phones.slice(0, Math.min(n, phones.length)) };
  });
}

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, y: 365 * 86_400_000 } as const;

/**
 * Bounds on scenario time (issue 15 §7: `advance: 300000y` crashed with "Invalid time value").
 * One duration is at most 100 years: five times an ITLRecovery certificate's 20 years (TS-5).
 * A run starts between 1970 and 2100, and its clock never passes 2106-02-07T06:28:15Z: the
 * ITL and CTL header timestamp is a u32 of Unix seconds (formats.md §1, tag 15), so a cluster
 * cannot sign a trust list later than that.
 */
export const MAX_DURATION = '100y';
export const EARLIEST_START = '1970-01-01T00:00:00Z';
export const LATEST_START = '2100-01-01T00:00:00Z';
export const LATEST_SIMULATED = new Date(0xffff_ffff * 1000).toISOString();

/** Parses "24h", "30m", "1.5d", "5y"; undefined when it is not a duration or exceeds {@link MAX_DURATION}. */
export function parseDuration(text: string): number | undefined {
  const m = /^([0-9]{1,15}(?:\.[0-9]{1,9})?)\s*(ms|s|m|h|d|y)$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * UNITS[m[2] as keyof typeof UNITS]);
  return ms <= 100 * UNITS.y ? ms : undefined;
}

const UNIT_WORDS: ReadonlyArray<[RegExp, keyof typeof UNITS | 'w']> = [
  [/^(milliseconds?|msecs?|ms)$/i, 'ms'], [/^(seconds?|secs?|s)$/i, 's'], [/^(minutes?|mins?|m)$/i, 'm'],
  [/^(hours?|hrs?|h)$/i, 'h'], [/^(days?|d)$/i, 'd'], [/^(weeks?|wks?|w)$/i, 'w'], [/^(years?|yrs?|y)$/i, 'y'],
];

/**
 * The duration a person meant by "3 days", "2 weeks" or "90 Minutes", written the way a scenario
 * takes it ("3d", "14d", "90m"), for the loader's fix hint; undefined when it reads as none.
 */
export function durationFix(text: string): string | undefined {
  const m = /^\s*([0-9]{1,15}(?:\.[0-9]{1,9})?)\s*([A-Za-z]+)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = UNIT_WORDS.find(([re]) => re.test(m[2]!))?.[1];
  if (!unit) return undefined;
  const fix = unit === 'w' ? `${Number(m[1]) * 7}d` : `${m[1]}${unit}`;
  return parseDuration(fix) !== undefined ? fix : undefined;
}

export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new EmulatorError('INVALID_ARGUMENT', `"${text}" is not a duration like 24h, 30m or 5y of at most ${MAX_DURATION}`);
  return ms;
}

/** True for an ISO 8601 instant between {@link EARLIEST_START} and {@link LATEST_START}. */
export function isStartInstant(text: string): boolean {
  const t = Date.parse(text);
  return Number.isFinite(t) && t >= Date.parse(EARLIEST_START) && t <= Date.parse(LATEST_START);
}

/** A duration in the largest unit that keeps it whole, for step lines ("90 s", "2 h"). */
export function formatDuration(ms: number): string {
  for (const [u, f] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) if (ms >= f && ms % f === 0) return `${ms / f} ${u}`;
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}
