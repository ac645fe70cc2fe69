import { Type, type Static } from '@sinclair/typebox';
import { CertRef, ClusterName, CountOrAll, Enum, FleetName, NodeName, Obj, Opt, Profile, Store, Str, withCertRef } from './schemas.js';
import { ALARMS, SEVERITIES } from '../../monitor/alarms.js';

/**
 * The `expect` step: named expectations, each checked against the state after the step before
 * it (expectations.ts). Declared here beside the other steps, so that the schema and the docs
 * cover it; the runner checks it rather than running it.
 */
export const SETTLED_STATES = ['off', 'booting', 'registered', 'registered-stale-config', 'trust-update-failed', 'unregistered', 'enrolling'] as const;

const atLeast = Opt(Type.Integer({ minimum: 0, description: 'at least this many' }));

/** The kinds of check an expectation makes; each expectation makes exactly one. */
export const EXPECTATION_KINDS = ['phones', 'status', 'itl-signer', 'tvs-queries', 'registrations', 'trust-store', 'device', 'alarms', 'mails', 'refused', 'revocation'] as const;
export type ExpectationKind = (typeof EXPECTATION_KINDS)[number];

/** Kinds that can be checked against any past step (`when: ever | never`); the others look at the cluster now. */
export const HISTORIC_KINDS: readonly ExpectationKind[] = ['phones', 'status', 'tvs-queries', 'registrations', 'alarms', 'mails', 'refused'];

/** CUCM's Certificate Operation Status strings (AXL XCertificateStatus, CAPF-7), for editors; any "… Failed: …" is accepted. */
const CAPF_STATUS_EXAMPLES = ['None', 'Operation Pending', 'Upgrade Success', 'Upgrade Failed: Invalid LSC', 'Upgrade Failed: Invalid Authentication String', 'Upgrade Failed: Phone Communication Failure', 'Delete Success'];

export const Expectation = Type.Object({
  name: Str('what the expectation checks, in words; the report names it'),
  not: Opt(Type.Boolean({ description: 'the check must not hold (e.g. the ITL is not signed by X)' })),
  when: Opt(Enum(['now', 'ever', 'never'] as const, 'now (default): after the step before; ever: after some step so far; never: after no step so far (phones, status, tvs-queries and registrations)')),
  phones: Opt(Obj({ fleet: Opt(FleetName), model: Opt(Str('a phone model, e.g. 8861')), state: Enum(SETTLED_STATES, 'the settled state'), count: Opt(CountOrAll), atLeast }, 'phones of a fleet (and model) by settled state')),
  status: Opt(Obj({ fleet: FleetName, contains: Str('text a phone showed or logged'), count: Opt(CountOrAll) }, 'phones that showed (or logged) this text during the step')),
  'itl-signer': Opt(withCertRef({ fleet: FleetName }, 'every phone\'s installed ITL is signed by this certificate')),
  'tvs-queries': Opt(Obj({
    cluster: ClusterName, status: Opt(Enum(['valid', 'invalid'] as const, 'only answers with this result')), certificate: Opt(CertRef),
    count: Opt(Type.Integer({ minimum: 0 })), atLeast,
  }, 'TVS answers a cluster gave during the step, optionally about one certificate (by fingerprint; a query by subject, as for a config signer, matches by name) and with one result')),
  registrations: Opt(Obj({ cluster: ClusterName, count: Opt(Type.Integer({ minimum: 0 })), atLeast }, 'phones a cluster registered during the step')),
  'trust-store': Opt(Obj({ cluster: ClusterName, node: NodeName, store: Store, contains: Opt(CertRef), lacks: Opt(CertRef) }, 'a trust store holds (or lacks) a certificate')),
  device: Opt(Obj({
    cluster: ClusterName, fleet: FleetName,
    'capf-status': Opt(Type.String({ minLength: 1, description: 'the Certificate Operation Status CUCM shows (CAPF-7); "Upgrade Failed" also matches "Upgrade Failed: …"', examples: CAPF_STATUS_EXAMPLES })),
    'lsc-issuer': Opt(CertRef),
    'registered-with': Opt(Enum(['lsc', 'mic'] as const, 'the certificate the device\'s registration presented: the LSC CUCM holds for it, or a MIC')),
    profile: Opt(Profile),
    count: Opt(CountOrAll),
  }, 'CUCM\'s own view of the fleet\'s devices: the CAPF operation status, the LSC it holds and who issued it, the registration, the security profile')),
  alarms: Opt(Obj({
    cluster: ClusterName,
    alarm: Opt(Enum(Object.keys(ALARMS) as Array<keyof typeof ALARMS>, 'the alarm name')),
    severity: Opt(Enum(SEVERITIES, 'only alarms of this severity')),
    certificate: Opt(Str('only alarms about a certificate whose place contains this, e.g. identity/CallManager or lsc/')),
    count: Opt(Type.Integer({ minimum: 0 })), atLeast,
  }, 'alarms a cluster raised during the step (Certificate Expiry Monitor, revocation)')),
  mails: Opt(Obj({
    to: Opt(Str('a recipient')), subject: Opt(Str('text the subject contains')),
    count: Opt(Type.Integer({ minimum: 0 })), atLeast,
  }, 'expiry mails the run\'s SMTP sink received during the step')),
  refused: Opt(Obj({
    cluster: ClusterName,
    reason: Str('the registrar\'s refusal reason, e.g. "certificate revoked", "revocation status unknown", "unknown CA"'),
    count: Opt(Type.Integer({ minimum: 0 })), atLeast,
  }, 'connections or REGISTERs a cluster refused during the step, by reason')),
  revocation: Opt(Obj({
    cluster: ClusterName,
    certificate: Str('the checked certificate\'s place, e.g. identity/tomcat'),
    status: Enum(['good', 'revoked', 'unknown', 'error'] as const, 'the latest check\'s result'),
    node: Opt(NodeName),
  }, 'the latest revocation check of a certificate, as `cert revocation show` lists it')),
}, { additionalProperties: false, minProperties: 2, description: 'a name and exactly one kind of check' });
export type Expectation = Static<typeof Expectation>;

export const EXPECT_STEP = {
  name: 'expect' as const,
  summary: 'Check named expectations against the state the step before it left: phones by state, messages shown, the ITL signer, TVS answers, registrations and refusals, trust stores, alarms, mails, revocation checks.',
  args: Type.Array(Expectation, { minItems: 1 }),
  example: [{ name: 'everyone registered', phones: { fleet: 'phones', state: 'registered', count: 'all' } }] as Expectation[],
};
