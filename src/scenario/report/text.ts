import type { SettledState } from '../../../phones/index.js';
import { VERDICT_MEANING, verdictOf } from './verdict.js';
import type { ExpectationResult } from '../expectations.js';
import type { PopulationRow, RunReport, StateTally, StepRecord } from '../runner.js';

/**
 * Plain-text tables for the terminal (issue 7): phones by state after each step, expectations,
 * and the what-if prediction per population. Pure functions returning strings.
 */
export const STATE_ORDER: readonly SettledState[] = ['registered', 'registered-stale-config', 'enrolling', 'trust-update-failed', 'unregistered', 'booting', 'off'];

export function table(head: string[], rows: string[][], right: (i: number) => boolean = () => false): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (s: string, i: number): string => (right(i) ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const line = (r: string[]): string => r.map(cell).join('  ').trimEnd();
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

function sum(t: Record<string, StateTally>): StateTally {
  const out: StateTally = {};
  for (const f of Object.values(t)) for (const [k, v] of Object.entries(f)) out[k as SettledState] = (out[k as SettledState] ?? 0) + (v ?? 0);
  return out;
}

/** States that occur anywhere in the run, in a fixed order. */
export function statesIn(steps: StepRecord[]): SettledState[] {
  const seen = new Set<string>();
  for (const s of steps) for (const f of Object.values(s.tally)) for (const k of Object.keys(f)) seen.add(k);
  return STATE_ORDER.filter((s) => seen.has(s));
}

export function stepTable(steps: StepRecord[]): string {
  const states = statesIn(steps);
  const rows = steps.map((s) => {
    const t = sum(s.tally);
    const exp = s.expectations.length ? `${s.expectations.filter((e) => e.ok).length}/${s.expectations.length}` : '';
    return [String(s.index), s.title.length > 60 ? `${s.title.slice(0, 57)}…` : s.title, ...states.map((k) => String(t[k] ?? 0)), exp + (s.error ? ' ERROR' : '')];
  });
  return table(['#', 'step', ...states, 'expect'], rows, (i) => i === 0 || (i >= 2 && i < 2 + states.length));
}

/** Survival per fleet after the last step: the table `npm start` ends with. */
export function survivalTable(r: RunReport): string {
  const last = r.steps[r.steps.length - 1];
  if (!last) return '';
  const states = statesIn(r.steps);
  const rows = Object.entries(last.tally).map(([fleet, t]) => {
    const f = r.fleets.find((x) => x.name === fleet);
    const c = r.clusters.find((x) => x.name === f?.cluster);
    const total = Object.values(t).reduce((a, v) => a + (v ?? 0), 0);
    const ok = t.registered ?? 0;
    return [fleet, c ? `${c.name} (${c.release})` : '', f?.initial ?? '', String(total), ...states.map((k) => String(t[k] ?? 0)), total ? `${Math.round((ok / total) * 100)}%` : '–'];
  });
  return table(['fleet', 'cluster', 'started', 'phones', ...states, 'survived'], rows, (i) => i >= 3);
}

export function expectationTable(list: ExpectationResult[]): string {
  if (!list.length) return '';
  return table(['', 'step', 'expectation', 'expected', 'observed'], list.map((e) => [e.ok ? '✓' : '✗', String(e.step), e.name, e.expected, e.observed]));
}

export function populationTable(rows: PopulationRow[]): string {
  const states = STATE_ORDER.filter((s) => rows.some((r) => r.states[s]));
  return table(['fleet', 'release', 'model', 'prior state', 'phones', ...states], rows.map((r) => [r.fleet, r.release, r.model, r.initial, String(r.total), ...states.map((s) => String(r.states[s] ?? 0))]), (i) => i >= 4);
}

/** The verdict, with what it means when it is not a plain pass or fail. */
function verdictLine(r: RunReport): string {
  const v = verdictOf(r);
  return v === 'PREDICTED' || v === 'NO EXPECTATIONS' ? `${v} (${VERDICT_MEANING[v]})` : v;
}

/** The whole summary `trustlab run` and `trustlab report` print. */
export function summaryText(r: RunReport): string {
  const parts = [
    `${r.scenario.name}${r.whatIf ? ' (what-if)' : ''} — ${verdictLine(r)} in ${(r.durationMs / 1000).toFixed(1)} s`,
    '',
    'Phones by state after each step:',
    stepTable(r.steps),
  ];
  if (r.whatIf) parts.push('Predicted outcome by population:', populationTable(r.populations));
  else parts.push('Survival:', survivalTable(r));
  if (r.expectations.length) parts.push('Expectations:', expectationTable(r.expectations));
  if (r.error) parts.push(`Stopped: ${r.error}`, '');
  return parts.join('\n');
}
