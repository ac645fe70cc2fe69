import type { TvsAuthority, TvsQueryVerdict, TvsVerdict } from '../../../tvs-sim/index.js';
import { tvsLookupSubject } from '../tvs.js';
import { current, type ClusterSource } from './source.js';

/** A node's TVS, answering from the cluster model (phone-behaviour.md TVS-6; src/cluster/tvs.ts). */
export function clusterTvsAuthority(source: ClusterSource, node: string): TvsAuthority {
  return {
    verify(certificate: Uint8Array): TvsVerdict {
      const v = current(source).tvs(node, certificate);
      return { status: v.status, roles: v.roles, ttlSeconds: v.ttlSeconds };
    },
    lookupSubject(subject: string): TvsQueryVerdict {
      const v = tvsLookupSubject(current(source).state, node, subject);
      return { status: v.status, roles: v.roles, ttlSeconds: v.ttlSeconds, certificates: v.certificates };
    },
  };
}
