import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { RELEASES } from '../cluster/index.js';
import { PHONE_MODELS } from '../../phones/models.js';
import { ACTION_STEPS, EXPECT_STEP, STEP_NAMES } from './steps/index.js';
import { CapfSettings, Enum, Obj, Opt, Profile, Str } from './steps/schemas.js';

/**
 * The scenario file's JSON Schema (draft-07), published as fixtures/scenarios/scenario.schema.json
 * so that editors (`# yaml-language-server: $schema=…`) complete and check scenarios, and the
 * TypeScript types of a scenario, both from one declaration. The loader (load.ts) validates with
 * the same pieces: the top level with {@link SCENARIO_SCHEMA}, then each step's arguments with
 * its entry in {@link STEP_ARGS} (from the step registry), so that an error names the step.
 */
type Json = Record<string, unknown>;

const name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', description: 'up to 64 letters, digits, - and _, starting with a letter or digit' });
const fleetName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'up to 64 letters, digits, ., - and _, starting with a letter or digit' });

export const ClusterSpec = Obj({
  name,
  release: Type.String({
    pattern: `^(${RELEASES.map((r) => r.replace('.', '\\.')).join('|')})(SU[0-9]{1,2})?$`,
    description: `the CUCM release (${RELEASES.join(', ')}), with its Service Update where it matters: Certificate Revocation needs 14SU3`,
    examples: ['12.5', '14', '14SU3', '15'],
    'x-values': [...RELEASES],
  }),
  nodes: Type.Array(Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$' }), { minItems: 1, maxItems: 8, uniqueItems: true, description: 'node hostnames; the first is the publisher' }),
  security: Opt(Enum(['non-secure', 'mixed'] as const, 'the cluster security mode')),
  domain: Opt(Type.String({ pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$', maxLength: 200, description: 'DNS domain of the nodes (default: <cluster name>.lab.example, one per cluster)', examples: ['lab.example', 'voice.corp.example'] })),
  ecdsa: Opt(Type.Boolean({ description: 'issue the ECDSA identities too (default true)' })),
  params: Opt(Obj({
    tlsCiphers: Opt(Type.String({ description: 'the TLS Ciphers enterprise parameter' })),
    rollbackToPre80: Opt(Type.Boolean()),
    phoneInteractionOnCertUpdate: Opt(Enum(['automatic', 'manual'] as const)),
    fipsMode: Opt(Type.Boolean()),
    endpointAdvancedEncryption: Opt(Type.Boolean()),
    capfCertificateIssuer: Opt(Enum(['capf', 'online-ca'] as const)),
  }, 'enterprise parameters')),
});
export type ClusterSpec = Static<typeof ClusterSpec>;

export const INITIAL_STATES = ['factory-fresh', 'provisioned', 'powered-off'] as const;
export type InitialState = (typeof INITIAL_STATES)[number];

/**
 * A fleet that does not say how it starts is in service (issue 18): booted once against the
 * cluster as it stood before step 1, trusting its ITL. Runbooks are written for such phones;
 * a factory-fresh fleet answers another question (trust on first use) and must be asked for.
 */
export const DEFAULT_INITIAL: InitialState = 'provisioned';

/** What each initial state means, for the schema, the run header and the report. */
export const INITIAL_MEANING: Readonly<Record<InitialState, string>> = {
  'factory-fresh': 'never booted; trusts the first ITL it downloads (trust on first use)',
  provisioned: 'booted and registered once against the cluster as it stood before step 1, trusting its ITL',
  'powered-off': 'provisioned, then switched off before step 1',
};

export const FleetSpec = Obj({
  name: fleetName,
  cluster: Str('the cluster its devices are provisioned on'),
  count: Type.Integer({ minimum: 0, maximum: 100_000 }),
  models: Type.Record(Type.String(), Type.Integer({ minimum: 0, maximum: 1000 }), { minProperties: 1, propertyNames: { enum: Object.keys(PHONE_MODELS), description: 'a phone model trustlab emulates' }, description: 'model weights, e.g. { "8861": 3, "7942": 1 }' }),
  profile: Opt(Profile),
  capf: Opt(CapfSettings),
  tftp: Opt(Type.Array(Str(), { minItems: 1, description: 'TFTP nodes (DHCP option 150), default the publisher' })),
  initial: Opt(Enum(INITIAL_STATES, `how the fleet starts (default ${DEFAULT_INITIAL}): ${INITIAL_STATES.map((k) => `${k}: ${INITIAL_MEANING[k]}`).join('; ')}`)),
});
export type FleetSpecYaml = Static<typeof FleetSpec>;

/** Each step's arguments, by step name (from the registry). */
export const STEP_ARGS: Readonly<Record<string, TSchema>> = Object.fromEntries([...ACTION_STEPS.map((d) => [d.name, d.args] as const), [EXPECT_STEP.name, EXPECT_STEP.args] as const]);

const SUMMARIES: Readonly<Record<string, string>> = Object.fromEntries([...ACTION_STEPS.map((d) => [d.name, d.summary] as const), [EXPECT_STEP.name, EXPECT_STEP.summary] as const]);
const EXAMPLES: Readonly<Record<string, unknown>> = Object.fromEntries([...ACTION_STEPS.map((d) => [d.name, d.example] as const), [EXPECT_STEP.name, EXPECT_STEP.example] as const]);

/** The top level, with steps checked only for shape here (load.ts checks each step's arguments). */
export const SCENARIO_SCHEMA = Type.Object({
  $schema: Opt(Type.String()),
  name: Str('the scenario\'s name'),
  description: Opt(Type.String()),
  source: Opt(Type.String({ description: 'where it comes from, e.g. "phone-behaviour.md SC-3"' })),
  seed: Opt(Type.String({ description: 'seeds serial numbers, MACs and model assignment; the same seed gives the same run' })),
  start: Opt(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$', format: 'trustlab-start', description: 'simulated start time (ISO 8601), between 1970 and 2100; default 2026-01-01T00:00:00Z' })),
  clusters: Type.Array(ClusterSpec, { minItems: 1, maxItems: 16 }),
  fleets: Type.Array(FleetSpec, { maxItems: 64 }),
  steps: Type.Array(Type.Object({ name: Opt(Str('a label for the step in reports')), 'expect-error': Opt(Str('the error code the cluster must refuse the step with')) }, { minProperties: 1 }), { minItems: 1, maxItems: 1000 }),
}, {
  additionalProperties: false,
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://trustlab.invalid/scenario.schema.json',
  title: 'trustlab scenario',
});

export { STEP_NAMES };

/** The published schema: the top level with every step's arguments spelled out (for editors). */
export function publishedSchema(): Json {
  const plain = (s: unknown): Json => JSON.parse(JSON.stringify(s)) as Json;
  const top = plain(SCENARIO_SCHEMA);
  const steps = STEP_NAMES.map((n) => ({
    type: 'object', additionalProperties: false, required: [n], description: SUMMARIES[n],
    properties: { name: { type: 'string', minLength: 1 }, 'expect-error': { type: 'string', minLength: 1 }, [n]: { ...plain(STEP_ARGS[n]), examples: [EXAMPLES[n]] } },
  }));
  const props = top['properties'] as Json;
  return { ...top, properties: { ...props, steps: { ...(props['steps'] as Json), items: { oneOf: steps } } } };
}
