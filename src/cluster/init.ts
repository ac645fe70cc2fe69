import { isIPv4 } from 'node:net';
import { toPem, MANUFACTURING_TRUST } from '../pki/index.js';
import { EmulatorError } from '../shared/errors.js';
import type { ClusterContext } from './context.js';
import { selfSignedIdentity } from './identity.js';
import type { ClusterState, EnterpriseParameters, IdentityCert, NodeSpec, Organization, Purpose, Release, ServiceName, TrustEntry } from './model.js';
import { RELEASES } from './model.js';
import { profileOf } from './release.js';
import { restartServices } from './effects.js';
import { defaultParams, checkCertParams } from './validation.js';
import { trustNameOf } from './trust-names.js';
import { certOf } from './certs.js';

/**
 * A fresh cluster as a CUCM install leaves it: every node's self-signed identity certificates
 * (CallManager, CallManager-ECDSA, tomcat, tomcat-ECDSA, ipsec, TVS; CAPF on the publisher;
 * ITLRecovery per node before 12.5 and cluster-wide from 12.5 — phone-behaviour.md CONT-2),
 * the Cisco manufacturing roots in CallManager-trust and CAPF-trust (chapter, "Phone Certificate
 * Types"), the CAPF certificate trusted as CallManager-trust on every node (chapter,
 * "Simplified Certificate Management"), and every service started.
 */
export interface ClusterInit {
  name: string;
  release: Release;
  /** Service Update level (14SU3 → 3). */
  su?: number;
  /** Hostnames; the first is the publisher. */
  nodes: Array<{ hostname: string; domain?: string; ipv4?: string; services?: ServiceName[] }>;
  domain?: string;
  securityMode?: 'non-secure' | 'mixed';
  org?: Partial<Organization>;
  params?: Partial<EnterpriseParameters>;
  /** Create CallManager-ECDSA and tomcat-ECDSA certificates (default true). */
  ecdsa?: boolean;
  /** Default addresses are `127.<subnet>.0.<10+i>` so several clusters can bind loopback side by side. */
  subnet?: number;
}

export const DEFAULT_ORG: Organization = { ou: 'VTG', o: 'trustlab', l: 'San Jose', st: 'CA', c: 'US' };

export const DEFAULT_PARAMS: EnterpriseParameters = {
  phoneInteractionOnCertUpdate: 'automatic',
  rollbackToPre80: false,
  fipsMode: false,
  tlsCiphers: 'All Ciphers RSA Preferred',
  endpointAdvancedEncryption: false,
};

const HOST_RE = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$/;

export function validateInit(o: ClusterInit): void {
  const bad = (m: string): never => {
    throw new EmulatorError('INVALID_ARGUMENT', m);
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(o.name)) bad(`cluster name "${o.name}" must be letters, digits, - or _ (it names a directory)`);
  if (!RELEASES.includes(o.release)) bad(`release "${o.release}" is not one of ${RELEASES.join(', ')}`);
  if (o.nodes.length === 0) bad('a cluster needs at least one node (the publisher)');
  const seen = new Set<string>();
  for (const n of o.nodes) {
    if (!HOST_RE.test(n.hostname)) bad(`hostname "${n.hostname}" is not a valid host name`);
    if (seen.has(n.hostname)) bad(`hostname "${n.hostname}" appears twice`);
    seen.add(n.hostname);
    if (n.ipv4 !== undefined && !isIPv4(n.ipv4)) bad(`"${n.ipv4}" is not an IPv4 address`);
    if (n.services?.includes('CAPF') && n !== o.nodes[0]) bad(`CAPF runs on the publisher only, not on ${n.hostname}`);
  }
}

/**
 * The DNS domain of a cluster's nodes when none is given: one per cluster (`a.lab.example` for
 * cluster A), so that two clusters' certificates (CN=pub.a.lab.example, CN=pub.b.lab.example)
 * tell apart in every listing, as two real clusters' do (issue 18). `.example` is reserved for
 * documentation (RFC 2606), so no lab name resolves to a real host.
 */
export function defaultDomain(clusterName: string): string {
  return `${clusterName.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '') || 'cluster'}.lab.example`;
}

export async function initCluster(o: ClusterInit, ctx: ClusterContext): Promise<ClusterState> {
  validateInit(o);
  const domain = o.domain ?? defaultDomain(o.name);
  const subnet = o.subnet ?? 1;
  const nodes: NodeSpec[] = o.nodes.map((n, i) => ({
    hostname: n.hostname,
    domain: n.domain ?? domain,
    ipv4: n.ipv4 ?? `127.${subnet}.0.${10 + i}`,
    role: i === 0 ? 'publisher' : 'subscriber',
    services: n.services ?? (i === 0 ? ['TFTP', 'TVS', 'CallManager', 'CAPF'] : ['TFTP', 'TVS', 'CallManager']),
  }));
  const state: ClusterState = {
    formatVersion: 1,
    name: o.name,
    release: o.release,
    securityMode: 'non-secure',
    org: { ...DEFAULT_ORG, ...o.org },
    params: { ...DEFAULT_PARAMS, ...o.params },
    nodes,
    identities: [],
    csrs: [],
    trust: [],
    services: [],
    tftp: { itlOverrides: {}, ctl: null },
    devices: [],
    nextSerial: 1,
    rev: 0,
    ...(o.su ? { su: o.su } : {}),
  };
  const profile = profileOf(o.release);
  const years = profile.defaultValidityYears;
  const make = async (purpose: Purpose, holders: NodeSpec[], validityYears = years): Promise<IdentityCert> => {
    const params = defaultParams(purpose, validityYears);
    const keySpec = checkCertParams(purpose, params, state.params.fipsMode);
    return selfSignedIdentity(state, ctx, { purpose, nodes: holders, distribution: 'node', keySpec, hash: params.hash, validityYears });
  };
  const pub = nodes[0]!;
  const perNode: Purpose[] = ['CallManager', ...(o.ecdsa === false ? [] : ['CallManager-ECDSA' as const]), 'tomcat', ...(o.ecdsa === false ? [] : ['tomcat-ECDSA' as const]), 'ipsec', 'TVS'];
  const jobs: Array<Promise<IdentityCert>> = [];
  for (const n of nodes) for (const p of perNode) jobs.push(make(p, [n]));
  jobs.push(make('CAPF', [pub]));
  if (profile.itlRecoveryClusterWide) jobs.push(make('ITLRecovery', nodes, profile.itlRecoveryValidityYears));
  else for (const n of nodes) jobs.push(make('ITLRecovery', [n], profile.itlRecoveryValidityYears));
  state.identities = await Promise.all(jobs);

  const capf = state.identities.find((i) => i.purpose === 'CAPF')!;
  for (const n of nodes) {
    for (const name of MANUFACTURING_TRUST) {
      const ca = ctx.cas.manufacturing.get(name);
      if (!ca) continue;
      const pem = toPem(ca.certificate.der);
      state.trust.push(systemTrust('CallManager-trust', n.hostname, pem, name), systemTrust('CAPF-trust', n.hostname, pem, name));
    }
    state.trust.push(
      { store: 'CallManager-trust', node: n.hostname, name: trustNameOf(certOf(capf.certPem)), certPem: capf.certPem, source: 'identity', rev: 0 },
      { store: 'CAPF-trust', node: n.hostname, name: trustNameOf(certOf(capf.certPem)), certPem: capf.certPem, source: 'identity', rev: 0 },
    );
  }
  for (const n of nodes) for (const s of n.services) restartServices(state, s, [n.hostname]);
  return state;
}

function systemTrust(store: TrustEntry['store'], node: string, certPem: string, name: string): TrustEntry {
  return { store, node, name, certPem, source: 'system', rev: 0 };
}
