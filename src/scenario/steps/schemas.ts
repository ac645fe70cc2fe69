import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { BULK_TYPES, NETWORK_SERVICE_NAME, PURPOSES, SERVICES, TRUST_STORES, type NetworkServiceId } from '../../cluster/index.js';
import { TAMPERINGS } from '../tamper.js';

/**
 * The pieces scenario steps are written with, as JSON Schema that also carries its TypeScript
 * type (TypeBox): each step's schema is declared once in the step registry, and the `Step` type,
 * the published `scenario.schema.json` and docs/scenario-steps.md are derived from it.
 */

/** A string enum as JSON Schema's `enum` (plain wording in errors), typed as the union of its values. */
export function Enum<const T extends readonly (string | number)[]>(values: T, description?: string): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ enum: [...values], ...(description ? { description } : {}) });
}

/** An object with exactly these keys (unknown keys are errors, with a did-you-mean). */
export function Obj<P extends Record<string, TSchema>>(props: P, description?: string): ReturnType<typeof Type.Object<P>> {
  return Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });
}

export const Str = (description?: string): ReturnType<typeof Type.String> => Type.String({ minLength: 1, ...(description ? { description } : {}) });
export const Opt = Type.Optional;

/**
 * Names that refer to something the scenario declares carry `x-ref` (a vendor keyword editors
 * ignore): the loader checks each against the clusters, nodes and fleets of the file, with a
 * did-you-mean, by walking the value beside its schema — so no step has to list its references.
 * A node refers to the cluster named in the same object, or in the one around it.
 */
export type RefKind = 'cluster' | 'fleet' | 'node';
const ref = (kind: RefKind, description: string): ReturnType<typeof Type.String> => Type.String({ minLength: 1, description, 'x-ref': kind });

export const ClusterName = ref('cluster', 'a cluster of this scenario');
export const NodeName = ref('node', 'a node of that cluster (its hostname)');
export const FleetName = ref('fleet', 'a fleet of this scenario');
export const Purpose = Enum(PURPOSES, 'an identity certificate purpose (the CUCM certificate name)');
export const Store = Enum(TRUST_STORES, 'a trust store');
export const Service = Enum(SERVICES, 'a CUCM service (any spelling is accepted, in any case: "TFTP", "Cisco TFTP", "Cisco Trust Verification Service"…)');
export const BulkType = Enum(BULK_TYPES);
export const Profile = Enum(['non-secure', 'authenticated', 'encrypted'] as const, 'the phone security profile\'s device security mode (TLS-1)');
export const Tamper = Enum([...TAMPERINGS, 'none'] as const, 'how the served file is spoiled; none serves the model\'s file again');
export const NetworkService = Enum(Object.keys(NETWORK_SERVICE_NAME) as NetworkServiceId[], 'which of the node\'s network services (any spelling of its CUCM service is accepted: "Cisco TFTP", "TFTP"…)');
export const Duration = Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?\\s*(ms|s|m|h|d|y)$', format: 'trustlab-duration', maxLength: 32, description: 'a duration: a number and ms, s, m, h, d or y, at most 100y', examples: ['30s', '24h', '5y'] });
export const CountOrAll = Type.Union([Type.Integer({ minimum: 0 }), Enum(['all', 'none'] as const)], { description: 'how many: a number, "all" or "none"' });
export const Empty = Type.Union([Type.Null(), Obj({})]);

export const CapfSettings = Obj({
  operation: Opt(Enum(['install', 'none', 'delete'] as const, 'the pending certificate operation (CAPF-1)')),
  authMode: Opt(Enum(['null-string', 'auth-string', 'existing-lsc', 'existing-mic'] as const, 'CAPF authentication mode (CAPF-2)')),
  authString: Opt(Type.String({ pattern: '^[0-9]{4,10}$', description: 'the 4–10 digit authentication string' })),
}, 'the CAPF section of the phone configuration');

/**
 * The fields that name a certificate of the scenario: a cluster's identity by purpose and node —
 * the current one, or the one it replaced (`which: previous`) — the lab's enterprise CA, or any
 * certificate the run has seen, by serial number or SHA-256 fingerprint.
 */
export const CERT_REF_FIELDS = {
  cluster: Opt(ClusterName),
  purpose: Opt(Purpose),
  node: Opt(NodeName),
  which: Opt(Enum(['current', 'previous'] as const, 'the identity as it is now (default), or the one the last regeneration or upload replaced')),
  ca: Opt(Enum(['root', 'issuing'] as const, 'the lab enterprise CA\'s root or issuing certificate')),
  serial: Opt(Type.String({ pattern: '^[0-9A-Fa-f:]{1,95}$', description: 'a serial number in hex, e.g. 4f1c…' })),
  fingerprint: Opt(Type.String({ pattern: '^[0-9A-Fa-f:]{64,95}$', description: 'a SHA-256 fingerprint in hex (colons allowed)' })),
};

/** The ways to name a certificate, for JSON Schema's `anyOf` of required sets. */
export const CERT_REF_FORMS = [{ required: ['cluster', 'purpose', 'node'] }, { required: ['ca'] }, { required: ['serial'] }, { required: ['fingerprint'] }];

/** An object naming a certificate, with `extra` fields of its own. */
export function withCertRef<P extends Record<string, TSchema>>(extra: P, description: string) {
  return Type.Object({ ...extra, ...CERT_REF_FIELDS }, { additionalProperties: false, anyOf: CERT_REF_FORMS, description });
}

export const CertRef = withCertRef({}, 'a certificate: a cluster identity by purpose and node (which: previous for the one it replaced), the lab CA, or a serial or fingerprint');
export type CertRef = Static<typeof CertRef>;

const OneSelector = Type.Union([
  FleetName,
  Obj({ fleet: FleetName, count: Opt(Type.Integer({ minimum: 0, description: 'only the first N phones' })), fraction: Opt(Type.Number({ minimum: 0, maximum: 1, description: 'only this share of the phones' })) }),
]);

/** Which phones a phone step acts on: a fleet (optionally only the first `count` or a `fraction`), or a list of those. */
export const Selector = Type.Union([OneSelector, Type.Array(OneSelector, { minItems: 1 })], { description: 'a fleet, { fleet, count | fraction }, or a list of them' });
export type PhoneSelector = Static<typeof Selector>;
