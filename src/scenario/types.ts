import type { Static } from '@sinclair/typebox';
import type { SCENARIO_SCHEMA } from './schema.js';
import type { Step } from './steps/index.js';

/**
 * A scenario as a tester writes it (YAML, checked against `scenario.schema.json`): the clusters,
 * the phones, the runbook's steps and named expectations. Every type here is derived from the
 * schema (schema.ts) and the step registry (steps/), so the two cannot drift apart. See
 * fixtures/scenarios/ for examples and docs/decisions/019-scenarios.md for the choices.
 */
export type Scenario = Omit<Static<typeof SCENARIO_SCHEMA>, 'steps'> & { steps: Step[] };

export type { ClusterSpec, FleetSpecYaml, InitialState } from './schema.js';
export type { Step, Expectation, CertRef, PhoneSelector } from './steps/index.js';
