import type { Cluster } from '../cluster.js';

/**
 * Where a server adapter reads the cluster from: the {@link Cluster} itself (in-process: a
 * scenario changes it and the next connection sees the change) or a getter for its current
 * version (`LiveCluster.get`, for `trustlab serve` following changes another process makes).
 * Adapters read it on every connection and request, never once at start.
 */
export type ClusterSource = Cluster | (() => Cluster);

export function current(source: ClusterSource): Cluster {
  return typeof source === 'function' ? source() : source;
}
