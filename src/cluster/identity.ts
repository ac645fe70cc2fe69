import { toPem, signCertificate, type DnSpec, type HashName, type KeyPair, type KeySpec } from '../pki/index.js';
import type { ClusterContext } from './context.js';
import type { ClusterState, IdentityCert, NodeSpec, Purpose } from './model.js';
import { commonName, PURPOSE_RULES } from './purposes.js';

/**
 * Making identity certificates the way CUCM does: subject `C, O, OU, CN, ST, L` (the order of
 * the 2013 certificates in the gigantic-6 CTL), CN by purpose and distribution, a
 * multi-server certificate listing every node in its SAN, CAPF as a CA (pathlen 0).
 */

const YEAR_MS = 365.25 * 24 * 3600 * 1000;

export interface IdentitySpec {
  purpose: Purpose;
  /** Holders; the first is the node it is generated on (the publisher for multi-server). */
  nodes: NodeSpec[];
  distribution: 'node' | 'multi-server';
  keySpec: KeySpec;
  hash: HashName;
  validityYears: number;
  /** Include OU in the subject (CSRs leave it out unless asked, chapter Table 5). */
  includeOu?: boolean;
}

/** The CAPF CN suffix: 8 hex digits fixed per cluster (`CAPF-2076a1a2`), derived from its name. */
export function capfSuffix(state: Pick<ClusterState, 'name'>): string {
  let h = 0x811c9dc5;
  for (const ch of state.name) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

export function subjectFor(state: ClusterState, spec: Pick<IdentitySpec, 'purpose' | 'nodes' | 'distribution' | 'includeOu'>): DnSpec {
  const first = spec.nodes[0]!;
  const cn = commonName(spec.purpose, first.hostname, first.domain, spec.distribution, capfSuffix(state));
  const o = state.org;
  return [['C', o.c], ['O', o.o], ...(spec.includeOu === false ? [] : [['OU', o.ou] as const]), ['CN', cn], ['ST', o.st], ['L', o.l]];
}

/** SAN DNS names: every holder's FQDN for multi-server, else the node's own. */
export function sanFor(spec: Pick<IdentitySpec, 'purpose' | 'nodes' | 'distribution'>): string[] {
  if (spec.purpose === 'CAPF' || spec.purpose === 'ITLRecovery') return [];
  const names = spec.nodes.map((n) => `${n.hostname}.${n.domain}`);
  return spec.distribution === 'multi-server' ? names : names.slice(0, 1);
}

/** A new self-signed identity certificate with a fresh key from the pool. */
export async function selfSignedIdentity(state: ClusterState, ctx: ClusterContext, spec: IdentitySpec, keys?: KeyPair): Promise<IdentityCert> {
  const rule = PURPOSE_RULES[spec.purpose];
  // Drawn before any await: identities are made concurrently, and a seeded lab must give each
  // one the same serial whatever order their keys load in.
  const serial = serialFrom(ctx);
  const pair = keys ?? (await ctx.pool.take(spec.keySpec, 'identity'));
  const now = new Date(ctx.clock.now());
  const cert = await signCertificate({
    subject: subjectFor(state, spec),
    publicKey: pair.publicKey,
    signer: { privateKey: pair.privateKey },
    notBefore: now,
    notAfter: new Date(now.getTime() + spec.validityYears * YEAR_MS),
    hash: spec.hash,
    keyUsage: rule.selfSignedKeyUsage,
    extendedKeyUsage: rule.selfSignedExtendedKeyUsage,
    dnsNames: sanFor(spec),
    serial,
    ...(rule.ca ? { ca: { pathLength: 0 } } : {}),
  });
  return {
    purpose: spec.purpose,
    nodes: spec.nodes.map((n) => n.hostname),
    distribution: spec.distribution,
    certPem: toPem(cert.der),
    keyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    signedBy: 'self',
    keySpec: spec.keySpec,
    hash: spec.hash,
    validityYears: spec.validityYears,
    rev: state.rev,
  };
}

/** 16-byte positive serial from the context's (seedable) randomness. */
export function serialFrom(ctx: Pick<ClusterContext, 'random'>): Uint8Array {
  const b = ctx.random(16);
  b[0] = (b[0]! & 0x7f) | 0x10;
  return b;
}

export function nodeByName(state: ClusterState, hostname: string): NodeSpec | undefined {
  return state.nodes.find((n) => n.hostname === hostname);
}

export function publisherOf(state: ClusterState): NodeSpec {
  return state.nodes.find((n) => n.role === 'publisher')!;
}

/** The identity certificate a node holds for a purpose. */
export function identityOf(state: ClusterState, purpose: Purpose, hostname: string): IdentityCert | undefined {
  return state.identities.find((i) => i.purpose === purpose && i.nodes.includes(hostname));
}
