import type { Static } from '@sinclair/typebox';
import { CUCM_SERVICE_NAME, NETWORK_SERVICE_NAME } from '../../cluster/index.js';
import { EmulatorError, isEmulatorError } from '../../shared/errors.js';
import type { ScenarioContext } from '../context.js';
import { CLUSTER_STEPS } from './cluster.js';
import { CLI_STEPS } from './cli.js';
import { EXPECT_STEP, type Expectation } from './expect.js';
import { NETWORK_STEPS } from './network.js';
import { PHONE_STEPS } from './phone.js';
import type { AnyStepDef, Progress, StepDef } from './registry.js';
import { TIME_STEPS } from './time.js';
import { REVOCATION_STEPS } from './revocation.js';

/**
 * Every scenario step, declared once (registry.ts). The `Step` type is derived from these
 * declarations; so are the JSON Schema (../schema.ts) and docs/scenario-steps.md (docs.ts).
 */
export const ACTION_STEPS = [...CLUSTER_STEPS, ...CLI_STEPS, ...REVOCATION_STEPS, ...NETWORK_STEPS, ...PHONE_STEPS, ...TIME_STEPS] as const;

type StepOf<D> = D extends StepDef<infer N, infer S> ? { [K in N]: Static<S> } : never;
type ActionStep = StepOf<(typeof ACTION_STEPS)[number]>;

/** A step as a tester writes it: one action (or `expect`), an optional label and an expected refusal. */
export type Step = { name?: string; 'expect-error'?: string } & (ActionStep | { expect: Expectation[] });

const BY_NAME: ReadonlyMap<string, AnyStepDef> = new Map(ACTION_STEPS.map((d) => [d.name, d as unknown as AnyStepDef]));

/** Every step name, `expect` included, in registry order. */
export const STEP_NAMES: readonly string[] = [...ACTION_STEPS.map((d) => d.name), EXPECT_STEP.name];

/** The step's action name and its arguments. */
export function actionOf(step: Step): { action: string; args: unknown } {
  const [action, args] = Object.entries(step).find(([k]) => k !== 'name' && k !== 'expect-error')!;
  return { action, args };
}

/** A one-line description of a step for tables and the report's runbook column. */
export function stepTitle(step: Step): string {
  if (step.name) return step.name;
  const { action, args } = actionOf(step);
  if (action === 'expect') return `expect: ${(args as Array<{ name: string }>).map((e) => e.name).join('; ')}`;
  if (typeof args === 'string') return `${action} ${args}`;
  if (!args) return action;
  const a = args as Record<string, unknown>;
  const parts = ['cluster', 'fleet', 'purpose', 'service', 'node', 'store', 'action', 'name', 'value', 'to', 'which', 'count', 'fraction', 'within', 'line']
    .filter((k) => a[k] !== undefined).map((k) => (k === 'service' ? serviceLabel(action, String(a[k])) : String(a[k])));
  if (a['from']) parts.push(`from ${Object.values(a['from'] as object).join('/')}`);
  return `${action} ${parts.join(' ')}`.trim();
}

/** CUCM's name for a step's service ("restart A Cisco TFTP"). */
function serviceLabel(action: string, id: string): string {
  if (action === 'restart') return (CUCM_SERVICE_NAME as Record<string, string>)[id] ?? id;
  return (NETWORK_SERVICE_NAME as Record<string, string>)[id] ?? id;
}

/** Runs one (non-expect) step; a refused operation with the expected code counts as success. */
export async function runStep(ctx: ScenarioContext, step: Step, progress: Progress): Promise<{ lines: string[]; refused?: string }> {
  const { action, args } = actionOf(step);
  const def = BY_NAME.get(action);
  if (!def) throw new EmulatorError('INVALID_ARGUMENT', `unknown step "${action}"`);
  const want = step['expect-error'];
  try {
    const lines = await def.run(ctx, args as never, progress);
    if (want) throw new EmulatorError('SCENARIO_STEP_FAILED', `step "${stepTitle(step)}" was expected to be refused with ${want}, but it succeeded`);
    return { lines };
  } catch (e) {
    if (want && isEmulatorError(e) && e.code === want) return { lines: [`refused as expected: ${e.code}: ${e.message}`], refused: e.code };
    if (isEmulatorError(e, 'SCENARIO_STEP_FAILED')) throw e;
    const code = isEmulatorError(e) ? e.code : 'INTERNAL';
    throw new EmulatorError('SCENARIO_STEP_FAILED', `step "${stepTitle(step)}" failed: ${code}: ${(e as Error).message}`, { cause: e, details: { code } });
  }
}

export { EXPECT_STEP, SETTLED_STATES, Expectation as ExpectationSchema, type Expectation } from './expect.js';
export { selectPhones, durationMs, formatDuration } from './common.js';
export { DEFAULT_SETTLE_BUDGET } from './time.js';
export type { Progress, StepDef, AnyStepDef } from './registry.js';
export type { CertRef, PhoneSelector } from './schemas.js';
