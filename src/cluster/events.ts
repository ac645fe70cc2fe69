import type { Purpose, ServiceName, TrustStoreName } from './model.js';

/**
 * What an operation on the cluster caused. Operations return these instead of acting on the
 * world: the CLI prints them, the scenario runner applies resets to the fleet and restarts to
 * the servers, and tests assert on them.
 */
export type ClusterEvent =
  | { type: 'cert.generated'; purpose: Purpose; nodes: string[]; subject: string; serial: string; signedBy: 'self' | 'ca' }
  | { type: 'csr.generated'; purpose: Purpose; node: string; subject: string }
  | { type: 'trust.added'; store: TrustStoreName; nodes: string[]; name: string; subject: string; serial: string; replaced?: string }
  | { type: 'trust.unchanged'; store: TrustStoreName; nodes: string[]; name: string }
  | { type: 'trust.deleted'; store: TrustStoreName; nodes: string[]; name: string; subject: string }
  | { type: 'file.rebuilt'; file: string; nodes: string[]; reason: string }
  | { type: 'service.restart'; service: ServiceName; nodes: string[]; automatic: boolean; reason: string }
  | { type: 'phones.reset'; automatic: boolean; reason: string }
  | { type: 'ctl.update.required'; reason: string }
  | { type: 'cluster.mode'; securityMode: 'non-secure' | 'mixed' }
  | { type: 'param.changed'; name: string; value: unknown }
  | { type: 'device.changed'; device: string; change: string }
  | { type: 'warning'; code: string; message: string };

/** The result of an operation: its events, and the warnings among them for convenience. */
export interface OpResult {
  events: ClusterEvent[];
  warnings: string[];
}
