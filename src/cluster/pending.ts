import type { ClusterEvent } from './events.js';
import type { ClusterState, PendingRestart, ServiceName } from './model.js';

/**
 * Restarts an operation left to the administrator, kept on each node's service until it
 * restarts (issue 18 "Pending work is invisible"). CUCM shows the same notice after a
 * certificate operation ("restart the … service"; chapter Table 7, CTL-1, MIG-3), but only once,
 * in the page or CLI output of that operation; trustlab keeps it so that `cluster show` and
 * `utils service list` can say what is still owed, and which operation caused it.
 *
 * Called by {@link Cluster.apply} on the draft after the operation, so a restart the operation
 * itself did (an automatic one, or `utils service restart`) has already cleared the service.
 */
export function recordPendingRestarts(draft: ClusterState, operation: string, events: readonly ClusterEvent[]): void {
  for (const e of events) {
    if (e.type !== 'service.restart-required') continue;
    for (const node of e.nodes) {
      const s = draft.services.find((x) => x.node === node && x.service === e.service);
      if (!s) continue;
      const list = (s.pending ??= []);
      if (!list.some((p) => p.operation === operation && p.reason === e.reason)) list.push({ operation, reason: e.reason, rev: draft.rev });
    }
  }
}

/** Every restart still owed, per node and service, oldest first. */
export function pendingRestarts(state: Readonly<ClusterState>): Array<{ node: string; service: ServiceName } & PendingRestart> {
  return state.services.flatMap((s) => (s.pending ?? []).map((p) => ({ node: s.node, service: s.service, ...p }))).sort((a, b) => a.rev - b.rev);
}
