/**
 * The cluster's network face (issues 4–5): adapters that let the TFTP, HTTP, TVS, CAPF and SIP
 * servers answer from the cluster model, and {@link ClusterServers}, which runs them all per node.
 */
export { ClusterServers, STANDARD_PORTS, type ClusterPorts, type ClusterServersOptions, type ClusterServiceEvent, type ClusterServiceName, type NodeEndpoints } from './cluster-servers.js';
export { ClusterCapfAuthority, type ClusterCapfOptions } from './capf-authority.js';
export { ClusterFileProvider } from './file-provider.js';
export { clusterRegistrarPolicy } from './registrar-policy.js';
export { clusterTvsAuthority } from './tvs-authority.js';
export { LiveCluster } from './live.js';
export type { ClusterSource } from './source.js';
export { runRevocationChecks, revocationTargets, checkAndRecord, type CheckTarget, type RunChecks } from './revocation-checks.js';
