import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { BULK_TYPES, PURPOSES, SERVICES, TRUST_STORES } from '../../cluster/index.js';
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

export const ClusterName = Str('a cluster of this scenario');
export const NodeName = Str('a node of that cluster (its hostname)');
export const FleetName = Str('a fleet of this scenario');
export const Purpose = Enum(PURPOSES, 'an identity certificate purpose (the CUCM certificate name)');
export const Store = Enum(TRUST_STORES, 'a trust store');
export const Service = Enum(SERVICES, 'a CUCM service');
export const BulkType = Enum(BULK_TYPES);
export const Profile = Enum(['non-secure', 'authenticated', 'encrypted'] as const, 'the phone security profile\'s device security mode (TLS-1)');
export const Tamper = Enum([...TAMPERINGS, 'none'] as const, 'how the served file is spoiled; none serves the model\'s file again');
export const NetworkService = Enum(['tftp', 'tvs', 'sip', 'capf', 'http', 'https', 'all'] as const, 'which of the node\'s network services');
export const Duration = Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?\\s*(ms|s|m|h|d|y)$', description: 'a duration: a number and ms, s, m, h, d or y', examples: ['30s', '24h', '5y'] });
export const CountOrAll = Type.Union([Type.Integer({ minimum: 0 }), Enum(['all', 'none'] as const)], { description: 'how many: a number, "all" or "none"' });
export const Empty = Type.Union([Type.Null(), Obj({})]);

export const CapfSettings = Obj({
  operation: Opt(Enum(['install', 'none', 'delete'] as const, 'the pending certificate operation (CAPF-1)')),
  authMode: Opt(Enum(['null-string', 'auth-string', 'existing-lsc', 'existing-mic'] as const, 'CAPF authentication mode (CAPF-2)')),
  authString: Opt(Type.String({ pattern: '^[0-9]{4,10}$', description: 'the 4–10 digit authentication string' })),
}, 'the CAPF section of the phone configuration');

/** A certificate of the scenario: a cluster's identity, or the lab's enterprise CA. */
export const CertRef = Type.Union([
  Obj({ cluster: ClusterName, purpose: Purpose, node: NodeName }),
  Obj({ ca: Enum(['root', 'issuing'] as const, 'the lab enterprise CA\'s root or issuing certificate') }),
], { description: 'a certificate: a cluster identity by purpose and node, or the lab CA' });
export type CertRef = Static<typeof CertRef>;

/** Which phones a phone step acts on: a fleet, optionally only the first `count` or a `fraction`. */
export const Selector = Type.Union([
  FleetName,
  Obj({ fleet: FleetName, count: Opt(Type.Integer({ minimum: 0, description: 'only the first N phones' })), fraction: Opt(Type.Number({ minimum: 0, maximum: 1, description: 'only this share of the phones' })) }),
], { description: 'a fleet, or { fleet, count | fraction }' });
export type PhoneSelector = Static<typeof Selector>;
