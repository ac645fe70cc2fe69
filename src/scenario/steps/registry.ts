import type { Static, TSchema } from '@sinclair/typebox';
import type { ScenarioContext } from '../context.js';

/**
 * The step registry (issue 13 "Declare each scenario step once"): each step is one
 * `{ name, summary, args, example, run }`. The `Step` type (types.ts), the JSON Schema the loader
 * checks and `trustlab scenarios --schema` publishes (schema.ts), and docs/scenario-steps.md all
 * derive from these declarations; nothing else lists the steps.
 */
export type Progress = (done: number, total: number) => void;

export interface StepDef<N extends string = string, S extends TSchema = TSchema> {
  name: N;
  /** One sentence for the docs and the schema's description. */
  summary: string;
  args: S;
  /** A valid argument value, shown in the docs and the schema's `examples`. */
  example: Static<S>;
  /** Carries the step out; the lines are the cluster's or the fleet's own account, for the report. */
  run(ctx: ScenarioContext, args: Static<S>, progress: Progress): Promise<string[]>;
}

export function defineStep<const N extends string, S extends TSchema>(d: StepDef<N, S>): StepDef<N, S> {
  return d;
}

/** A step's declaration with its argument type erased, as the registry holds it. */
export type AnyStepDef = StepDef<string, TSchema>;
