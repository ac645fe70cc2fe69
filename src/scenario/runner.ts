import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isEmulatorError } from '../shared/errors.js';
import { EventBus } from '../shared/events.js';
import type { SettledState } from '../../phones/index.js';
import { ScenarioContext, TIMELINE_LIMIT, type PhoneTimelineEntry } from './context.js';
import { checkExpectation, type ExpectationResult } from './expectations.js';
import { actionOf, runStep, stepTitle } from './steps.js';
import type { Expectation, Scenario } from './types.js';

/**
 * Runs a scenario (issue 7): clusters on loopback, fleets on real sockets, the simulated clock,
 * then each step in order, recording after every step the phones' settled states, what the
 * servers saw and the expectations' results. Library code: progress and results are events and
 * the returned {@link RunReport}; the CLI prints and writes files.
 */
export interface RunOptions {
  /** Where this run's lab goes (a fresh directory; the report is written beside it by the CLI). */
  runDir: string;
  keyPoolDir?: string;
  /** Skip expectations and report predicted outcomes per population. */
  whatIf?: boolean;
  signal?: AbortSignal;
  events?: EventBus<RunEvent>;
  /** The scenario's source text, kept in the report as the runbook. */
  source?: string;
  file?: string;
}

export type StateTally = Partial<Record<SettledState, number>>;

export interface StepRecord {
  index: number;
  title: string;
  action: string;
  /** Simulated time when the step ended (ISO). */
  at: string;
  durationMs: number;
  lines: string[];
  /** Phones by settled state after the step, per fleet. */
  tally: Record<string, StateTally>;
  tvs: Record<string, { valid: number; invalid: number }>;
  registrations: Record<string, number>;
  expectations: ExpectationResult[];
  error?: string;
}

export interface PhoneRecordSummary {
  device: string;
  fleet: string;
  model: string;
  state: SettledState;
  reason: string;
  timeline?: PhoneTimelineEntry[];
}

export interface PopulationRow {
  fleet: string;
  cluster: string;
  release: string;
  model: string;
  initial: string;
  total: number;
  states: StateTally;
}

export interface RunReport {
  formatVersion: 1;
  scenario: { name: string; description?: string; source?: string; seed: string };
  file?: string;
  runbook?: string;
  whatIf: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  ok: boolean;
  error?: string;
  fleets: Array<{ name: string; cluster: string; count: number; models: Record<string, number>; initial: string }>;
  clusters: Array<{ name: string; release: string; nodes: string[]; security: string }>;
  /** Step 0 is the state before the first step (after the initial boots). */
  steps: StepRecord[];
  expectations: ExpectationResult[];
  populations: PopulationRow[];
  phones: PhoneRecordSummary[];
}

export type RunEvent =
  | { type: 'run.setup'; message: string }
  | { type: 'run.progress'; label: string; done: number; total: number }
  | { type: 'step.start'; index: number; title: string }
  | { type: 'step.end'; record: StepRecord }
  | { type: 'run.end'; report: RunReport };

/** Phones whose timelines go into the report, per fleet (all phones keep their final state). */
export const TIMELINES_PER_FLEET = 100;

export async function runScenario(scenario: Scenario, o: RunOptions): Promise<RunReport> {
  const events = o.events ?? new EventBus<RunEvent>();
  const started = Date.now();
  await mkdir(o.runDir, { recursive: true });
  const ctx = await ScenarioContext.create(scenario, join(o.runDir, 'lab'), join(o.runDir, 'sftp'), o.keyPoolDir);
  const steps: StepRecord[] = [];
  const expectations: ExpectationResult[] = [];
  let error: string | undefined;
  let finalPopulations: PopulationRow[] = [];
  let finalPhones: PhoneRecordSummary[] = [];
  const progress = (label: string) => (done: number, total: number): void => events.emit({ type: 'run.progress', label, done, total });
  try {
    events.emit({ type: 'run.setup', message: `starting ${scenario.clusters.length} cluster(s) on loopback` });
    await ctx.startClusters();
    events.emit({ type: 'run.setup', message: `manufacturing ${scenario.fleets.reduce((a, f) => a + f.count, 0)} phone(s)` });
    await ctx.createFleets(progress('manufacturing phones'));
    await initialStates(ctx, progress('initial boot'));
    ctx.beginStep(0);
    steps.push(record(ctx, 0, 'initial state', 'initial', 0, [], []));
    for (const [i, step] of scenario.steps.entries()) {
      o.signal?.throwIfAborted();
      const index = i + 1;
      const title = stepTitle(step);
      events.emit({ type: 'step.start', index, title });
      const t0 = Date.now();
      const { action, args } = actionOf(step);
      // An expect step looks at what the step before it did: its counters and messages stay.
      if (action === 'expect') ctx.step = index;
      else ctx.beginStep(index);
      const results: ExpectationResult[] = [];
      let lines: string[] = [];
      try {
        if (action === 'expect') {
          if (o.whatIf) lines = ['skipped (--what-if)'];
          else for (const e of args as Expectation[]) results.push(checkExpectation(ctx, e));
        } else {
          const r = await runStep(ctx, step, progress(title));
          await ctx.flush();
          lines = r.lines;
          if (step['expect-error'] && !o.whatIf) results.push({ name: step.name ?? `${title} is refused with ${step['expect-error']}`, step: index, ok: true, expected: `refused with ${step['expect-error']}`, observed: `refused with ${r.refused}` });
        }
      } catch (e) {
        if (isEmulatorError(e, 'SCENARIO_STEP_FAILED')) {
          const rec = record(ctx, index, title, action, Date.now() - t0, [], results);
          rec.error = e.message;
          steps.push(rec);
          events.emit({ type: 'step.end', record: rec });
          if (step['expect-error'] && !o.whatIf) expectations.push({ name: `${title} is refused with ${step['expect-error']}`, step: index, ok: false, expected: `refused with ${step['expect-error']}`, observed: e.message });
          error = e.message;
          break;
        }
        throw e;
      }
      expectations.push(...results);
      const rec = record(ctx, index, title, action, Date.now() - t0, lines, results);
      steps.push(rec);
      events.emit({ type: 'step.end', record: rec });
    }
  } catch (e) {
    if (o.signal?.aborted) error = 'interrupted';
    else if (isEmulatorError(e)) error = `${e.code}: ${e.message}`;
    else throw e;
  } finally {
    // The final states are read before close() switches the phones off.
    finalPopulations = populations(ctx);
    finalPhones = phoneSummaries(ctx);
    await ctx.close();
  }
  const report: RunReport = {
    formatVersion: 1,
    scenario: { name: scenario.name, ...(scenario.description ? { description: scenario.description } : {}), ...(scenario.source ? { source: scenario.source } : {}), seed: scenario.seed ?? scenario.name },
    ...(o.file ? { file: o.file } : {}),
    ...(o.source ? { runbook: o.source } : {}),
    whatIf: Boolean(o.whatIf),
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
    ok: !error && expectations.every((e) => e.ok),
    ...(error ? { error } : {}),
    fleets: scenario.fleets.map((f) => ({ name: f.name, cluster: f.cluster, count: f.count, models: f.models, initial: f.initial ?? 'factory-fresh' })),
    clusters: scenario.clusters.map((c) => ({ name: c.name, release: c.release, nodes: c.nodes, security: c.security ?? 'non-secure' })),
    steps,
    expectations,
    populations: finalPopulations,
    phones: finalPhones,
  };
  events.emit({ type: 'run.end', report });
  return report;
}

async function initialStates(ctx: ScenarioContext, progress: (done: number, total: number) => void): Promise<void> {
  for (const f of ctx.fleets.values()) {
    const initial = f.spec.initial ?? 'factory-fresh';
    if (initial === 'factory-fresh') continue;
    await f.fleet.powerOn({ onProgress: (p) => progress(p.done, p.total) });
    if (initial === 'powered-off') for (const p of f.fleet.phones) p.powerOff();
  }
  await ctx.settle();
}

function record(ctx: ScenarioContext, index: number, title: string, action: string, durationMs: number, lines: string[], expectations: ExpectationResult[]): StepRecord {
  const tally: Record<string, StateTally> = {};
  for (const [name, f] of ctx.fleets) tally[name] = f.fleet.tally();
  return {
    index, title, action, at: new Date(ctx.clock.now()).toISOString(), durationMs, lines, tally,
    tvs: Object.fromEntries(ctx.counters.tvs),
    registrations: Object.fromEntries([...ctx.counters.registrations].map(([k, v]) => [k, v.size])),
    expectations,
  };
}

/** Final states by population (fleet × model × release × initial state): the what-if table. */
function populations(ctx: ScenarioContext): PopulationRow[] {
  const rows = new Map<string, PopulationRow>();
  for (const [name, f] of ctx.fleets) {
    const release = ctx.clusters.get(f.cluster)?.spec.release ?? '?';
    for (const p of f.fleet.phones) {
      const key = `${name}\u0000${p.model.id}`;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { fleet: name, cluster: f.cluster, release, model: p.model.id, initial: f.spec.initial ?? 'factory-fresh', total: 0, states: {} }));
      row.total++;
      row.states[p.settled.state] = (row.states[p.settled.state] ?? 0) + 1;
    }
  }
  return [...rows.values()];
}

function phoneSummaries(ctx: ScenarioContext): PhoneRecordSummary[] {
  const out: PhoneRecordSummary[] = [];
  for (const [name, f] of ctx.fleets) {
    f.fleet.phones.forEach((p, i) => {
      const timeline = i < TIMELINES_PER_FLEET ? ctx.timelines.get(p.device)?.slice(0, TIMELINE_LIMIT) : undefined;
      out.push({ device: p.device, fleet: name, model: p.model.id, state: p.settled.state, reason: p.settled.reason, ...(timeline ? { timeline } : {}) });
    });
  }
  return out;
}

