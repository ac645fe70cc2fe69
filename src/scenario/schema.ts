import { BULK_TYPES, PURPOSES, RELEASES, SERVICES, TRUST_STORES } from '../cluster/index.js';
import { PHONE_MODELS } from '../../phones/models.js';
import { TAMPERINGS } from './tamper.js';

/**
 * The scenario file's JSON Schema (draft-07), published as fixtures/scenarios/scenario.schema.json
 * so that editors (`# yaml-language-server: $schema=…`) complete and check scenarios. The loader
 * (load.ts) validates with the same pieces: the top level with {@link SCENARIO_SCHEMA}, then each
 * step's arguments with its entry in {@link STEP_ARGS}, so that an error names the step.
 */
type Json = Record<string, unknown>;

const str = { type: 'string', minLength: 1 } as const;
const name = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' } as const;
const fleetName = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } as const;
const purpose = { enum: [...PURPOSES] } as const;
const store = { enum: [...TRUST_STORES] } as const;
const profile = { enum: ['non-secure', 'authenticated', 'encrypted'] } as const;
const capf = {
  type: 'object', additionalProperties: false,
  properties: {
    operation: { enum: ['install', 'none', 'delete'] },
    authMode: { enum: ['null-string', 'auth-string', 'existing-lsc', 'existing-mic'] },
    authString: { type: 'string', pattern: '^[0-9]{4,10}$' },
  },
} as const;
const certRef = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['cluster', 'purpose', 'node'], properties: { cluster: str, purpose, node: str } },
    { type: 'object', additionalProperties: false, required: ['ca'], properties: { ca: { enum: ['root', 'issuing'] } } },
  ],
} as const;
const clusterNode = (extra: Json = {}, required: string[] = ['cluster']): Json => ({ type: 'object', additionalProperties: false, required, properties: { cluster: str, ...extra } });
const selector = {
  oneOf: [
    str,
    { type: 'object', additionalProperties: false, required: ['fleet'], properties: { fleet: str, count: { type: 'integer', minimum: 0 }, fraction: { type: 'number', minimum: 0, maximum: 1 } } },
  ],
} as const;
const count = { oneOf: [{ type: 'integer', minimum: 0 }, { enum: ['all', 'none'] }] } as const;
const network = { enum: ['tftp', 'tvs', 'sip', 'capf', 'http', 'https', 'all'] } as const;
const empty = { oneOf: [{ type: 'null' }, { type: 'object', additionalProperties: false }] } as const;

const EXPECTATION = {
  type: 'object', additionalProperties: false, required: ['name'],
  minProperties: 2, maxProperties: 2,
  properties: {
    name: str,
    phones: { type: 'object', additionalProperties: false, required: ['state'], properties: { fleet: str, model: str, state: { enum: ['off', 'booting', 'registered', 'registered-stale-config', 'trust-update-failed', 'unregistered', 'enrolling'] }, count, atLeast: { type: 'integer', minimum: 0 } } },
    status: { type: 'object', additionalProperties: false, required: ['fleet', 'contains'], properties: { fleet: str, contains: str, count } },
    'itl-signer': { type: 'object', additionalProperties: false, required: ['fleet', 'cluster', 'purpose', 'node'], properties: { fleet: str, cluster: str, purpose, node: str } },
    'tvs-queries': clusterNode({ status: { enum: ['valid', 'invalid'] }, count: { type: 'integer', minimum: 0 }, atLeast: { type: 'integer', minimum: 0 } }),
    registrations: clusterNode({ count: { type: 'integer', minimum: 0 }, atLeast: { type: 'integer', minimum: 0 } }),
    'trust-store': clusterNode({ node: str, store, contains: certRef, lacks: certRef }, ['cluster', 'node', 'store']),
  },
} as const;

/** Each step's arguments, by step name. */
export const STEP_ARGS: Readonly<Record<string, Json>> = {
  generate: clusterNode({ purpose, node: str, keyLength: { enum: [256, 384, 1024, 2048, 3072, 4096] }, hash: { enum: ['SHA256', 'SHA384', 'SHA512'] }, distribution: { enum: ['node', 'multi-server'] } }, ['cluster', 'purpose', 'node']),
  regenerate: clusterNode({ purpose, node: str }, ['cluster', 'purpose', 'node']),
  csr: clusterNode({ purpose, node: str, sign: { type: 'boolean' } }, ['cluster', 'purpose', 'node']),
  upload: clusterNode({ store, node: str, from: certRef }, ['cluster', 'node', 'from']),
  delete: clusterNode({ store, node: str, name: str, from: certRef }, ['cluster', 'store', 'node']),
  reuse: clusterNode({ which: { enum: ['tomcat', 'tomcat-ECDSA'] } }, ['cluster', 'which']),
  'bulk-export': clusterNode(),
  'bulk-consolidate': empty,
  'bulk-import': clusterNode({ types: { type: 'array', items: { enum: [...BULK_TYPES] }, minItems: 1 } }),
  'itl-reset': clusterNode({ key: { enum: ['localkey'] } }),
  ctl: clusterNode({ action: { enum: ['set-mixed', 'set-non-secure', 'update', 'reset-localkey'] } }, ['cluster', 'action']),
  param: clusterNode({ name: str, value: { type: ['string', 'boolean'] } }, ['cluster', 'name', 'value']),
  restart: clusterNode({ service: { enum: [...SERVICES] }, nodes: { type: 'array', items: str } }, ['cluster', 'service']),
  provision: { type: 'object', additionalProperties: false, required: ['fleet', 'cluster'], properties: { fleet: str, cluster: str, profile, capf } },
  stop: clusterNode({ node: str, service: network }),
  start: clusterNode({ node: str, service: network }),
  boot: selector,
  reset: selector,
  'power-off': selector,
  'power-on': selector,
  'security-reset': selector,
  'factory-reset': selector,
  'delete-itl': selector,
  'open-directory': selector,
  'auth-string': { type: 'object', additionalProperties: false, required: ['fleet', 'value'], properties: { fleet: str, value: { type: 'string', pattern: '^[0-9]{4,10}$' } } },
  move: { type: 'object', additionalProperties: false, required: ['fleet', 'to'], properties: { fleet: str, to: str, tftp: { type: 'array', items: str, minItems: 1 }, count: { type: 'integer', minimum: 0 } } },
  tamper: clusterNode({ node: str, file: { enum: ['ITLFile.tlv', 'CTLFile.tlv'] }, how: { enum: [...TAMPERINGS, 'none'] } }, ['cluster', 'file', 'how']),
  advance: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?\\s*(ms|s|m|h|d|y)$' },
  settle: empty,
  expect: { type: 'array', items: EXPECTATION, minItems: 1 },
};

export const STEP_NAMES: readonly string[] = Object.keys(STEP_ARGS);

/** The top level, with steps checked only for shape here (load.ts checks each step's arguments). */
export const SCENARIO_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://trustlab.invalid/scenario.schema.json',
  title: 'trustlab scenario',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'clusters', 'fleets', 'steps'],
  properties: {
    $schema: { type: 'string' },
    name: str,
    description: { type: 'string' },
    source: { type: 'string' },
    seed: { type: 'string' },
    start: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$' },
    clusters: {
      type: 'array', minItems: 1, maxItems: 16,
      items: {
        type: 'object', additionalProperties: false, required: ['name', 'release', 'nodes'],
        properties: {
          name, release: { enum: [...RELEASES] },
          nodes: { type: 'array', items: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$' }, minItems: 1, maxItems: 8, uniqueItems: true },
          security: { enum: ['non-secure', 'mixed'] },
          ecdsa: { type: 'boolean' },
          params: {
            type: 'object', additionalProperties: false,
            properties: {
              tlsCiphers: { type: 'string' }, rollbackToPre80: { type: 'boolean' }, phoneInteractionOnCertUpdate: { enum: ['automatic', 'manual'] },
              fipsMode: { type: 'boolean' }, endpointAdvancedEncryption: { type: 'boolean' }, capfCertificateIssuer: { enum: ['capf', 'online-ca'] },
            },
          },
        },
      },
    },
    fleets: {
      type: 'array', maxItems: 64,
      items: {
        type: 'object', additionalProperties: false, required: ['name', 'cluster', 'count', 'models'],
        properties: {
          name: fleetName, cluster: str, count: { type: 'integer', minimum: 0, maximum: 100_000 },
          models: { type: 'object', minProperties: 1, propertyNames: { enum: Object.keys(PHONE_MODELS) }, additionalProperties: { type: 'integer', minimum: 0, maximum: 1000 } },
          profile, capf, tftp: { type: 'array', items: str, minItems: 1 },
          initial: { enum: ['factory-fresh', 'provisioned', 'powered-off'] },
        },
      },
    },
    steps: {
      type: 'array', minItems: 1, maxItems: 1000,
      items: {
        type: 'object',
        minProperties: 1,
        properties: { name: str, 'expect-error': str },
      },
    },
  },
} as const;

/** The published schema: the top level with every step's arguments spelled out (for editors). */
export function publishedSchema(): Json {
  const steps = STEP_NAMES.map((n) => ({
    type: 'object', additionalProperties: false, required: [n],
    properties: { name: str, 'expect-error': str, [n]: STEP_ARGS[n] },
  }));
  return { ...SCENARIO_SCHEMA, properties: { ...SCENARIO_SCHEMA.properties, steps: { ...SCENARIO_SCHEMA.properties.steps, items: { oneOf: steps } } } };
}
