import type { Step } from './step.js';
import type { PhoneEvent, PhoneState, Region, RegionStages } from './types.js';

/**
 * Declared transition tables (conventions.md §9; architecture.md "Layering"). Each sub-machine
 * lists its edges as data: the stages of its region an edge leaves, the event (and guard) it
 * takes, the stages it may end in — of its own region and, for hand-overs, of the others — and
 * the code that builds the next state. The reducer finds the edge for (region, stage, event);
 * with none, the event is an `INVALID_TRANSITION` finding, and an edge that ends anywhere it did
 * not declare is one too. docs/phone-machine.md is drawn from these tables.
 */
export type EventType = PhoneEvent['type'];
export type EventOf<T extends EventType> = Extract<PhoneEvent, { type: T }>;

/** Any stage of any region, for tables read without caring which region. */
export type Stage = RegionStages[Region];

export interface Edge<R extends Region, T extends EventType> {
  /** The stages it leaves; `any` for every stage of the region. */
  from: readonly RegionStages[R][] | 'any';
  on: T;
  /** A guard, with the label the diagram shows (`[capf-retry]`). */
  when?: { label: string; test: (s: PhoneState, e: EventOf<T>) => boolean };
  /** The stages of its own region it may end in; `stay` is the stage it left. */
  to: ReadonlyArray<RegionStages[R] | 'stay'>;
  /** Stages of other regions it may move them to (a secure phone's CAPF ending starts its registration). */
  also?: { [K in Region]?: ReadonlyArray<RegionStages[K]> };
  /** What the edge does, in a line: the diagram's label and the docs' table. */
  doc: string;
  run: (st: Step, e: EventOf<T>) => void;
}

/** An edge with its types erased, as tables hold them. */
export interface AnyEdge {
  region: Region;
  from: readonly Stage[] | 'any';
  on: EventType;
  when?: { label: string; test: (s: PhoneState, e: PhoneEvent) => boolean };
  to: ReadonlyArray<Stage | 'stay'>;
  also?: Partial<Record<Region, readonly Stage[]>>;
  doc: string;
  run: (st: Step, e: PhoneEvent) => void;
}

export interface SubMachine {
  /** File-sized unit, e.g. `capf`. */
  name: string;
  title: string;
  /** The rules it follows (phone-behaviour.md). */
  source: string;
  region: Region;
  /** The stages this sub-machine owns (the diagram groups them). */
  owns: readonly Stage[];
  edges: readonly AnyEdge[];
}

/**
 * Declares a sub-machine. `edges` receives a typed `edge()` so that each edge's handler sees the
 * exact event it takes.
 */
export function subMachine<R extends Region>(
  region: R,
  meta: { name: string; title: string; source: string; owns: readonly RegionStages[R][] },
  edges: (edge: <T extends EventType>(e: Edge<R, T>) => AnyEdge) => AnyEdge[],
): SubMachine {
  const make = <T extends EventType>(e: Edge<R, T>): AnyEdge => ({ ...(e as unknown as Omit<AnyEdge, 'region'>), to: [...new Set(e.to)], region });
  return { ...meta, region, edges: edges(make) };
}

/** The current stage of each region. */
export const stageOf: { [K in Region]: (s: PhoneState) => RegionStages[K] } = {
  phone: (s) => s.phase,
  capf: (s) => s.capf.stage,
  service: (s) => s.service?.stage ?? 'idle',
};

export const REGIONS: readonly Region[] = ['phone', 'capf', 'service'];

/**
 * What keeps each stage going: `rest` stages need nothing; `network` stages wait for an answer
 * to an effect of their region; `timer` stages for a timer of their region; `capf` (a secure
 * phone's `enrol`) for the CAPF region. A phone in a stage whose need is not pending is stuck —
 * the liveness property test and {@link stalledRegions} check that this never happens.
 */
export type StageNeed = 'rest' | 'network' | 'timer' | 'capf';

export const STAGE_NEEDS: { [K in Region]: Record<RegionStages[K], StageNeed> } = {
  phone: { off: 'rest', ctl: 'network', itl: 'network', tvs: 'network', config: 'network', enrol: 'capf', register: 'network', registered: 'rest', failed: 'rest' },
  capf: { idle: 'rest', session: 'network', retry: 'timer', waiting: 'rest' },
  service: { idle: 'rest', connect: 'network', tvs: 'network', fetch: 'network' },
};

/** Regions whose stage waits for something that is not pending (empty for a healthy phone). */
export function stalledRegions(s: PhoneState): string[] {
  const out: string[] = [];
  for (const r of REGIONS) {
    const stage = stageOf[r](s);
    const need = (STAGE_NEEDS[r] as Record<string, StageNeed>)[stage]!;
    const mine = s.effects.filter((p) => p.region === r);
    const ok = need === 'rest'
      || (need === 'network' && mine.some((p) => p.type !== 'timer.start'))
      || (need === 'timer' && mine.some((p) => p.type === 'timer.start'))
      || (need === 'capf' && s.capf.stage !== 'idle');
    if (!ok) out.push(`${r} ${stage} waits for ${need === 'capf' ? 'CAPF' : `a ${need} effect`} and none is pending`);
  }
  return out;
}

/** True when every region rests (nothing to wait for, not even a timer, beyond the periodic ones). */
export function atRest(s: PhoneState): boolean {
  return REGIONS.every((r) => {
    const need = (STAGE_NEEDS[r] as Record<string, StageNeed>)[stageOf[r](s)]!;
    return need === 'rest' || (need === 'capf' && s.capf.stage === 'waiting');
  });
}

/** Indexes edges by region, stage and event type. Throws if a table names a stage its region lacks. */
export function indexEdges(machines: readonly SubMachine[]): Map<string, AnyEdge[]> {
  const index = new Map<string, AnyEdge[]>();
  for (const m of machines) {
    for (const e of m.edges) {
      const stages = Object.keys(STAGE_NEEDS[e.region]);
      const from = e.from === 'any' ? stages : e.from;
      for (const st of [...from, ...e.to.filter((t) => t !== 'stay')]) {
        if (!stages.includes(st)) throw new Error(`phone machine ${m.name}: ${e.region} has no stage "${st}" (edge ${e.on}: ${e.doc})`);
      }
      for (const f of from) {
        const key = `${e.region}|${f}|${e.on}`;
        const list = index.get(key);
        if (list) list.push(e);
        else index.set(key, [e]);
      }
    }
  }
  return index;
}
