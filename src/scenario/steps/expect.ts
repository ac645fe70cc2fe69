import { Type, type Static } from '@sinclair/typebox';
import { CertRef, ClusterName, CountOrAll, Enum, FleetName, NodeName, Obj, Opt, Purpose, Store, Str } from './schemas.js';

/**
 * The `expect` step: named expectations, each checked against the state after the step before
 * it (expectations.ts). Declared here beside the other steps, so that the schema and the docs
 * cover it; the runner checks it rather than running it.
 */
export const SETTLED_STATES = ['off', 'booting', 'registered', 'registered-stale-config', 'trust-update-failed', 'unregistered', 'enrolling'] as const;

const atLeast = Opt(Type.Integer({ minimum: 0, description: 'at least this many' }));

export const Expectation = Type.Object({
  name: Str('what the expectation checks, in words; the report names it'),
  phones: Opt(Obj({ fleet: Opt(FleetName), model: Opt(Str('a phone model, e.g. 8861')), state: Enum(SETTLED_STATES, 'the settled state'), count: Opt(CountOrAll), atLeast }, 'phones of a fleet (and model) by settled state')),
  status: Opt(Obj({ fleet: FleetName, contains: Str('text a phone showed or logged'), count: Opt(CountOrAll) }, 'phones that showed (or logged) this text during the step')),
  'itl-signer': Opt(Obj({ fleet: FleetName, cluster: ClusterName, purpose: Purpose, node: NodeName }, 'every phone\'s installed ITL is signed by this certificate')),
  'tvs-queries': Opt(Obj({ cluster: ClusterName, status: Opt(Enum(['valid', 'invalid'] as const)), count: Opt(Type.Integer({ minimum: 0 })), atLeast }, 'TVS answers a cluster gave during the step')),
  registrations: Opt(Obj({ cluster: ClusterName, count: Opt(Type.Integer({ minimum: 0 })), atLeast }, 'phones a cluster registered during the step')),
  'trust-store': Opt(Obj({ cluster: ClusterName, node: NodeName, store: Store, contains: Opt(CertRef), lacks: Opt(CertRef) }, 'a trust store holds (or lacks) a certificate')),
}, { additionalProperties: false, minProperties: 2, maxProperties: 2, description: 'a name and exactly one kind of check' });
export type Expectation = Static<typeof Expectation>;

export const EXPECT_STEP = {
  name: 'expect' as const,
  summary: 'Check named expectations against the state the step before it left: phones by state, messages shown, the ITL signer, TVS answers, registrations, trust stores.',
  args: Type.Array(Expectation, { minItems: 1 }),
  example: [{ name: 'everyone registered', phones: { fleet: 'phones', state: 'registered', count: 'all' } }] as Expectation[],
};
