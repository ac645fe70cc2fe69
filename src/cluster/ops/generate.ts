import { EmulatorError } from '../../shared/errors.js';
import type { HashName } from '../../pki/index.js';
import type { ClusterContext } from '../context.js';
import { certificateChangeEvents } from '../effects.js';
import type { ClusterEvent } from '../events.js';
import { identityOf, nodeByName, publisherOf, selfSignedIdentity } from '../identity.js';
import type { ClusterState, IdentityCert, NodeSpec, Purpose } from '../model.js';
import { PURPOSE_RULES } from '../purposes.js';
import { profileOf } from '../release.js';
import { checkCertParams, defaultParams } from '../validation.js';
import { installIdentity } from './identities.js';
import { certOf } from '../certs.js';

/**
 * "Generate Self-Signed Certificate" and "Regenerate" (chapter, Table 6 and "Regenerate a
 * Certificate"). Both replace the identity certificate — including a CA-signed one — with a new
 * self-signed certificate on a new key, and report the chapter's effects.
 */
export interface GenerateArgs {
  purpose: Purpose;
  node: string;
  distribution?: 'node' | 'multi-server';
  keyLength?: number;
  hash?: HashName;
  validityYears?: number;
}

export function requireNode(state: ClusterState, hostname: string): NodeSpec {
  const n = nodeByName(state, hostname);
  if (!n) throw new EmulatorError('NODE_NOT_FOUND', `no node "${hostname}" in cluster ${state.name}; nodes: ${state.nodes.map((x) => x.hostname).join(', ')}`);
  return n;
}

/** Who holds a purpose's certificate when generated on `node` (CAPF: publisher; ITLRecovery 12.5+: everyone). */
export function holdersFor(state: ClusterState, purpose: Purpose, node: NodeSpec, distribution: 'node' | 'multi-server'): NodeSpec[] {
  const rule = PURPOSE_RULES[purpose];
  if (rule.publisherOnly && node.role !== 'publisher') {
    throw new EmulatorError('PUBLISHER_ONLY', `${purpose} is generated on the publisher (${publisherOf(state).hostname}), not on ${node.hostname}`);
  }
  if (purpose === 'ITLRecovery' && profileOf(state.release).itlRecoveryClusterWide) return state.nodes;
  if (distribution === 'multi-server') {
    if (!profileOf(state.release).multiServerPurposes.includes(purpose)) {
      throw new EmulatorError('MULTI_SERVER_NOT_SUPPORTED', `${purpose} cannot be a multi-server SAN certificate on ${state.release} (chapter Table 8)`);
    }
    return [node, ...state.nodes.filter((n) => n !== node)];
  }
  return [node];
}

export async function generateSelfSigned(state: ClusterState, ctx: ClusterContext, a: GenerateArgs, verb = 'generated'): Promise<ClusterEvent[]> {
  const node = requireNode(state, a.node);
  const distribution = a.distribution ?? 'node';
  if (distribution === 'multi-server' && !profileOf(state.release).multiServerSelfSigned) {
    throw new EmulatorError('MULTI_SERVER_NOT_SUPPORTED', `multi-server SAN certificates can only be self-signed from release 14 (Table 8); on ${state.release} generate a multi-server CSR and upload the CA-signed certificate`);
  }
  const holders = holdersFor(state, a.purpose, node, distribution);
  const profile = profileOf(state.release);
  const d = defaultParams(a.purpose, a.purpose === 'ITLRecovery' ? profile.itlRecoveryValidityYears : profile.defaultValidityYears);
  const params = { keyLength: a.keyLength ?? d.keyLength, hash: a.hash ?? (state.params.fipsMode ? 'SHA-256' : d.hash), validityYears: a.validityYears ?? d.validityYears };
  const keySpec = checkCertParams(a.purpose, params, state.params.fipsMode);
  const fresh = await selfSignedIdentity(state, ctx, { purpose: a.purpose, nodes: holders, distribution, keySpec, hash: params.hash, validityYears: params.validityYears });
  return install(state, fresh, verb);
}

export function install(state: ClusterState, fresh: IdentityCert, verb: string): ClusterEvent[] {
  installIdentity(state, fresh);
  const c = certOf(fresh.certPem);
  const what = `${fresh.purpose} ${verb} on ${fresh.nodes.join(', ')}`;
  return [
    { type: 'cert.generated', purpose: fresh.purpose, nodes: fresh.nodes, subject: c.subjectCucm, serial: c.serialHex, signedBy: fresh.signedBy },
    ...certificateChangeEvents(state, fresh.purpose, fresh.nodes, what),
  ];
}

/** "Regenerate": a new self-signed certificate with the same key length, hash and validity. */
export async function regenerate(state: ClusterState, ctx: ClusterContext, a: { purpose: Purpose; node: string }): Promise<ClusterEvent[]> {
  const node = requireNode(state, a.node);
  const current: IdentityCert | undefined = identityOf(state, a.purpose, node.hostname);
  if (!current) throw new EmulatorError('CERT_NOT_FOUND', `${node.hostname} has no ${a.purpose} certificate to regenerate`);
  const keyLength = current.keySpec.type === 'rsa' ? current.keySpec.bits : current.keySpec.curve === 'P-256' ? 256 : 384;
  const offered = a.purpose === 'ITLRecovery' ? [5, 10, 15, 20] : [5, 10, 20];
  const validityYears = offered.includes(current.validityYears) ? current.validityYears : profileOf(state.release).defaultValidityYears;
  const multi = current.distribution === 'multi-server' && profileOf(state.release).multiServerSelfSigned;
  if (current.distribution === 'multi-server' && !multi) {
    const events: ClusterEvent[] = [];
    for (const h of current.nodes) {
      events.push(...(await generateSelfSigned(state, ctx, { purpose: a.purpose, node: h, keyLength, hash: current.hash, validityYears }, 'regenerated')));
    }
    return events;
  }
  return generateSelfSigned(state, ctx, { purpose: a.purpose, node: node.hostname, distribution: multi ? 'multi-server' : 'node', keyLength, hash: current.hash, validityYears }, 'regenerated');
}
