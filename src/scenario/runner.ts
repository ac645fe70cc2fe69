import { mkdir } from 'node:fs/promises';
import { verdictOf, type Verdict } from './report/verdict.js';
import { join } from 'node:path';
import { EmulatorError, isEmulatorError } from '../shared/errors.js';
import { EventBus } from '../shared/events.js';
import type { SettledState } from '../../phones/index.js';
import { notSettled, ScenarioContext, TIMELINE_LIMIT, TIMELINES_PER_FLEET, type PhoneTimelineEntry } from './context.js';
import { LocalLink, ProcessLink, type PhoneMirror, type ShardGroup, type ShardLink } from '../dist/index.js';
import { checkExpectation, type ExpectationResult } from './expectations.js';
import { actionOf, DEFAULT_SETTLE_BUDGET, durationMs, formatDuration, runStep, stepTitle } from './steps/index.js';
import type { Expectation, Scenario } from './types.js';
import { DEFAULT_INITIAL, INITIAL_MEANING } from './schema.js';

/**
 * Runs a scenario (issue 7): clusters on loopback, fleets on real sockets, the simulated clock,
 * then each step in order, recording after every step the phones' settled states, what the
 * servers saw and the expectations' results. Library code: progress and results are events and
 * the returned {@link RunReport}; the CLI prints and writes files.
 *
 * The run never hangs (issue 13): each step ends when its phones have nothing left on the
 * network; one that does not within its wall-clock watchdog fails with STEP_NOT_SETTLED naming
 * every busy phone; an aborted `signal` (Ctrl-C) ends the step at once; either way the phones are
 * switched off, the servers closed and the partial report returned with the reason.
 */
export interface RunOptions {
  /** Where this run's lab goes (a fresh directory; the report is written beside it by the CLI). */
  runDir: string;
  keyPoolDir?: string;
  /** Skip expectations and report predicted outcomes per population. */
  whatIf?: boolean;
  signal?: AbortSignal;
  /**
   * Wall-clock bound on each step, in ms (default {@link defaultStepTimeoutMs}): real sockets
   * that stall end the step with STEP_NOT_SETTLED rather than a run that never returns.
   */
  stepTimeoutMs?: number;
  /** Each phone's per-connection timeout, in ms of real time (default 5000): how long a stopped server keeps a phone waiting. */
  networkTimeoutMs?: number;
  /** Faults injected before steps: a node's service stops (or starts) just before step `at`. */
  faults?: FaultPlan[];
  events?: EventBus<RunEvent>;
  /** The scenario's source text, kept in the report as the runbook. */
  source?: string;
  file?: string;
  /**
   * Fleet shards in child processes (decision 029): 0 (the default) keeps the phones in this
   * process; N ≥ 1 splits every fleet over N processes. The report is the same either way.
   */
  workers?: number;
  /** Shards reached some other way (BullMQ workers on Redis); overrides `workers`. */
  links?: ShardLink[];
  /** Requests to every shard as one unit (a BullMQ flow), when the links have one. */
  group?: ShardGroup;
  /** Describes `links` for the report ("2 shards on Redis redis://…"). */
  linksLabel?: string;
  /** Node addresses on real interfaces, one per node of each cluster in order (`--bind`), for phones on other machines. */
  bind?: string[];
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
  /** Phones a cluster reset on its own during the step (REG-1, Phone Interaction on Certificate Update = Automatic). */
  resets?: Record<string, number>;
  expectations: ExpectationResult[];
  /** Phones that waited for a timer when the step ended (a CAPF retry): settled until the clock moves. */
  waiting?: string[];
  error?: string;
}

/** A fault injected into a run (`trustlab run --fault tvs@3`): a service of a cluster stops (or comes back) before a step. */
export interface FaultPlan {
  /** 1-based index of the step it comes before. */
  at: number;
  service: 'tftp' | 'tvs' | 'sip' | 'capf' | 'http' | 'https' | 'all';
  /** Default: every cluster. */
  cluster?: string;
  node?: string;
  /** Default `stop`. */
  action?: 'stop' | 'start';
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
  /** PASSED, FAILED, ERROR, PREDICTED (what-if) or NO EXPECTATIONS (report/verdict.ts); absent in reports written before it. */
  verdict?: Verdict;
  error?: string;
  /** What went wrong while closing the run (a server that did not close in time, a lab that could not be saved). */
  warnings?: string[];
  /** Where the phones ran: in this process, in N child processes, or on workers through Redis, and what happened to the shards (a takeover). */
  execution?: { shards: number; where: string; notes?: string[] };
  faults?: FaultPlan[];
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

/** The default per-step watchdog: two minutes, plus time for a large fleet to boot on one core. */
export function defaultStepTimeoutMs(phones: number): number {
  return 120_000 + phones * 40;
}

export async function runScenario(scenario: Scenario, o: RunOptions): Promise<RunReport> {
  const events = o.events ?? new EventBus<RunEvent>();
  const started = Date.now();
  await mkdir(o.runDir, { recursive: true });
  const ctx = await ScenarioContext.create(scenario, join(o.runDir, 'lab'), join(o.runDir, 'sftp'), o.keyPoolDir, o.networkTimeoutMs);
  ctx.signal = o.signal;
  ctx.bind = o.bind ? [...o.bind] : undefined;
  const steps: StepRecord[] = [];
  const expectations: ExpectationResult[] = [];
  const timeoutMs = o.stepTimeoutMs ?? defaultStepTimeoutMs(scenario.fleets.reduce((a, f) => a + f.count, 0));
  let error: string | undefined;
  let finalPopulations: PopulationRow[] = [];
  let finalPhones: PhoneRecordSummary[] = [];
  let warnings: string[] = [];
  let notes: string[] = [];
  const progress = (label: string) => (done: number, total: number): void => events.emit({ type: 'run.progress', label, done, total });
  /** Runs one part of the run under the watchdog and the abort signal. */
  const guard = <T>(what: string, work: Promise<T>): Promise<T> => watched(work, { signal: o.signal, timeoutMs, onTimeout: async () => notSettled(await ctx.shards.busy(1000).catch(() => []), `within the ${formatDuration(timeoutMs)} watchdog of ${what} (real sockets stalled)`) });
  const links = o.links ?? (o.workers ? Array.from({ length: o.workers }, (_, k) => new ProcessLink(k)) : [new LocalLink(0)]);
  const where = o.links ? (o.linksLabel ?? 'external workers') : o.workers ? `${o.workers} child process${o.workers > 1 ? 'es' : ''}` : 'this process';
  try {
    events.emit({ type: 'run.setup', message: `starting ${scenario.clusters.length} cluster(s) on loopback` });
    await ctx.startClusters();
    events.emit({ type: 'run.setup', message: `manufacturing ${scenario.fleets.reduce((a, f) => a + f.count, 0)} phone(s)` });
    for (const f of scenario.fleets) events.emit({ type: 'run.setup', message: `fleet ${f.name}: ${f.count} phone(s) on ${f.cluster}, starting ${f.initial ?? DEFAULT_INITIAL}${f.initial ? '' : ' (the default)'}: ${INITIAL_MEANING[f.initial ?? DEFAULT_INITIAL]}` });
    await ctx.createFleets(links, progress('manufacturing phones'), o.group);
    const plan = ctx.resourcePlan;
    if (plan) events.emit({ type: 'run.setup', message: `phones in ${links.length} shard(s) (${where}): ${plan.sourceAddresses} source address(es) of ≤ 2048 phones, ≤ ${plan.coordinatorFds} file descriptors here${plan.fdLimit ? ` (limit ${plan.fdLimit})` : ''}` });
    await guard('the initial boot', initialStates(ctx, progress('initial boot')));
    await guard('the initial state', ctx.beginStep(0));
    steps.push(await guard('the initial state', record(ctx, 0, 'initial state', 'initial', 0, [], [])));
    for (const [i, step] of scenario.steps.entries()) {
      o.signal?.throwIfAborted();
      const index = i + 1;
      const faultLines = await injectFaults(ctx, o.faults ?? [], index);
      const title = stepTitle(step);
      events.emit({ type: 'step.start', index, title });
      const t0 = Date.now();
      const { action, args } = actionOf(step);
      const results: ExpectationResult[] = [];
      let lines: string[] = [...faultLines];
      try {
        // An expect step looks at what the step before it did: its counters and messages stay.
        if (action === 'expect') ctx.step = index;
        else await guard(`step ${index} (${title})`, ctx.beginStep(index));
        if (action === 'expect') {
          if (o.whatIf) lines.push('skipped (--what-if)');
          else for (const e of args as Expectation[]) results.push(checkExpectation(ctx, e));
        } else {
          const r = await guard(`step ${index} (${title})`, runStep(ctx, step, progress(title)).then(async (r) => {
            await ctx.quiesce();
            await ctx.shards.sync();
            return r;
          }));
          lines.push(...r.lines);
          if (ctx.stepFindings.length) throw stepFailure(step, index, new EmulatorError('INVALID_TRANSITION', `${ctx.stepFindings.length} phone event(s) had no edge in the phone's machine: ${ctx.stepFindings.slice(0, 3).join('; ')}`));
          if (step['expect-error'] && !o.whatIf) results.push({ name: step.name ?? `${title} is refused with ${step['expect-error']}`, step: index, ok: true, expected: `refused with ${step['expect-error']}`, observed: `refused with ${r.refused}` });
        }
      } catch (e) {
        if (o.signal?.aborted) throw e;
        // A defect inside trustlab fails the step like any other cause, so that the run still
        // closes its servers and returns the partial report (issue 15 §7).
        const failure = isEmulatorError(e, 'SCENARIO_STEP_FAILED') ? e : stepFailure(step, index, isEmulatorError(e) ? e : internalError(e));
        // A shard that is gone cannot say what its phones did: within 3 s, the record keeps what they last said.
        const rec = await within(3000, record(ctx, index, title, action, Date.now() - t0, lines, results)).catch(() => bareRecord(ctx, index, title, action, Date.now() - t0, lines, results));
        rec.error = failure.message;
        steps.push(rec);
        events.emit({ type: 'step.end', record: rec });
        if (step['expect-error'] && !o.whatIf) expectations.push({ name: `${title} is refused with ${step['expect-error']}`, step: index, ok: false, expected: `refused with ${step['expect-error']}`, observed: failure.message });
        error = failure.message;
        break;
      }
      expectations.push(...results);
      const rec = await record(ctx, index, title, action, Date.now() - t0, lines, results, true);
      steps.push(rec);
      events.emit({ type: 'step.end', record: rec });
    }
  } catch (e) {
    if (o.signal?.aborted) error = `interrupted${o.signal.reason instanceof Error ? ` (${o.signal.reason.message})` : ''}: the run stopped at step ${steps.length}; the report holds what happened until then`;
    else {
      const err = isEmulatorError(e) ? e : internalError(e);
      error = `${err.code}: ${err.message}`;
    }
  } finally {
    // The final states are read before close() switches the phones off.
    await boundedSync(ctx);
    finalPopulations = populations(ctx);
    finalPhones = phoneSummaries(ctx);
    notes = ctx.shardNotes();
    warnings = await ctx.close();
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
    verdict: verdictOf({ ok: !error && expectations.every((e) => e.ok), ...(error ? { error } : {}), whatIf: Boolean(o.whatIf), expectations }),
    ...(error ? { error } : {}),
    ...(warnings.length ? { warnings } : {}),
    execution: { shards: links.length, where, ...(notes.length ? { notes } : {}) },
    ...(o.faults?.length ? { faults: o.faults } : {}),
    fleets: scenario.fleets.map((f) => ({ name: f.name, cluster: f.cluster, count: f.count, models: f.models, initial: f.initial ?? DEFAULT_INITIAL })),
    clusters: scenario.clusters.map((c) => ({ name: c.name, release: c.release, nodes: c.nodes, security: c.security ?? 'non-secure' })),
    steps,
    expectations,
    populations: finalPopulations,
    phones: finalPhones,
  };
  events.emit({ type: 'run.end', report });
  return report;
}

/** A non-trustlab error (a bug) as a typed one, with the cause kept for --debug. */
function internalError(e: unknown): EmulatorError {
  return new EmulatorError('INTERNAL', `internal error: ${(e as Error)?.message ?? String(e)} (a bug in trustlab; please report it with the scenario)`, { cause: e });
}

function stepFailure(step: Scenario['steps'][number], index: number, e: EmulatorError): EmulatorError {
  return new EmulatorError('SCENARIO_STEP_FAILED', `step ${index} "${stepTitle(step)}" failed: ${e.code}: ${e.message}`, { cause: e, details: { code: e.code } });
}

/**
 * Settles `work` with whichever comes first: its own outcome, the abort signal (rejects with its
 * reason), or the watchdog (rejects with `onTimeout()`). The work left behind is ended by the
 * caller switching the phones off; its late outcome is ignored.
 */
function watched<T>(work: Promise<T>, o: { signal: AbortSignal | undefined; timeoutMs: number; onTimeout: () => Promise<Error> }): Promise<T> {
  work.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => void o.onTimeout().then((e) => finish(() => reject(e))), o.timeoutMs);
    const onAbort = (): void => finish(() => reject(o.signal!.reason ?? new Error('aborted')));
    function finish(then: () => void): void {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      then();
    }
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    work.then((v) => finish(() => resolve(v)), (e: unknown) => finish(() => reject(e)));
  });
}

/** Stops (or starts) the services a fault plan names before step `index`; the lines go into that step's record. */
async function injectFaults(ctx: ScenarioContext, faults: readonly FaultPlan[], index: number): Promise<string[]> {
  const lines: string[] = [];
  for (const f of faults.filter((x) => x.at === index)) {
    const clusters = f.cluster ? [ctx.requireCluster(f.cluster)] : [...ctx.clusters.values()];
    const services = f.service === 'all' ? undefined : f.service === 'tftp' ? (['tftp', 'http'] as const) : ([f.service] as const);
    for (const rc of clusters) {
      const nodes = f.node ? [f.node] : rc.cluster.state.nodes.map((n) => n.hostname);
      for (const n of nodes) {
        if (!services) await (f.action === 'start' ? rc.servers.start(n) : rc.servers.stop(n));
        else for (const s of services) await (f.action === 'start' ? rc.servers.start(n, s) : rc.servers.stop(n, s));
      }
      lines.push(`fault: ${rc.spec.name} ${f.service} ${f.action === 'start' ? 'started' : 'stopped'} on ${nodes.join(', ')} before this step`);
    }
  }
  return lines;
}

async function initialStates(ctx: ScenarioContext, progress: (done: number, total: number) => void): Promise<void> {
  for (const [name, f] of ctx.fleets) {
    const initial = f.spec.initial ?? DEFAULT_INITIAL;
    if (initial === 'factory-fresh') continue;
    await ctx.act(name, { kind: 'power-on' }, undefined, progress);
    if (initial === 'powered-off') await ctx.act(name, { kind: 'power-off' });
  }
  await ctx.settle(durationMs(DEFAULT_SETTLE_BUDGET));
}

/** The step's record, once the shards have said what their phones did. */
async function record(ctx: ScenarioContext, index: number, title: string, action: string, durationMs: number, lines: string[], expectations: ExpectationResult[], synced = false): Promise<StepRecord> {
  if (action !== 'expect') {
    if (!synced) await ctx.shards.sync();
    ctx.recordCertificates();
    ctx.snapshot();
  }
  return bareRecord(ctx, index, title, action, durationMs, lines, expectations);
}

/** The record from what the mirrors last showed (a step that failed, when the shards cannot answer). */
function bareRecord(ctx: ScenarioContext, index: number, title: string, action: string, durationMs: number, lines: string[], expectations: ExpectationResult[]): StepRecord {
  const tally: Record<string, StateTally> = {};
  for (const [name, f] of ctx.fleets) tally[name] = tallyOf(f.phones);
  const waiting = ctx.waitingOnTimers();
  return {
    index, title, action, at: new Date(ctx.clock.now()).toISOString(), durationMs, lines, tally,
    tvs: Object.fromEntries(ctx.counters.tvs),
    registrations: Object.fromEntries([...ctx.counters.registrations].map(([k, v]) => [k, v.size])),
    ...(ctx.counters.resets.size ? { resets: Object.fromEntries(ctx.counters.resets) } : {}),
    expectations,
    ...(waiting.length ? { waiting } : {}),
  };
}

/** Final states by population (fleet × model × release × initial state): the what-if table. */
function populations(ctx: ScenarioContext): PopulationRow[] {
  const rows = new Map<string, PopulationRow>();
  for (const [name, f] of ctx.fleets) {
    const release = ctx.clusters.get(f.cluster)?.spec.release ?? '?';
    for (const p of f.phones) {
      const key = `${name}\u0000${p.model}`;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { fleet: name, cluster: f.cluster, release, model: p.model, initial: f.spec.initial ?? DEFAULT_INITIAL, total: 0, states: {} }));
      row.total++;
      row.states[p.state] = (row.states[p.state] ?? 0) + 1;
    }
  }
  return [...rows.values()];
}

function phoneSummaries(ctx: ScenarioContext): PhoneRecordSummary[] {
  const out: PhoneRecordSummary[] = [];
  for (const [name, f] of ctx.fleets) {
    f.phones.forEach((p, i) => {
      const timeline = i < TIMELINES_PER_FLEET ? ctx.timelineOf(p)?.slice(0, TIMELINE_LIMIT) : undefined;
      out.push({ device: p.device, fleet: name, model: p.model, state: p.state, reason: p.reason, ...(timeline ? { timeline } : {}) });
    });
  }
  return out;
}


function tallyOf(phones: readonly PhoneMirror[]): StateTally {
  const t: StateTally = {};
  for (const p of phones) t[p.state] = (t[p.state] ?? 0) + 1;
  return t;
}

/** Brings the mirrors up to date before the final states are read, within 3 s (a lost shard keeps what it last said). */
async function boundedSync(ctx: ScenarioContext): Promise<void> {
  if (!ctx.fleets.size) return;
  await within(3000, ctx.shards.sync()).catch(() => undefined);
}

/** `work`, or a rejection after `ms`. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}
