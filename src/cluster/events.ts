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
  /** Applied: the service was restarted, by the cluster itself or by the administrator's command. */
  | { type: 'service.restarted'; service: ServiceName; nodes: string[]; by: 'cluster' | 'administrator'; reason: string }
  /** Pending: the administrator must restart it (CUCM's "restart the … service" notice). */
  | { type: 'service.restart-required'; service: ServiceName; nodes: string[]; reason: string }
  /** Applied: CUCM resets the phones registered to the cluster (Phone Interaction on Certificate Update = Automatic, REG-1). */
  | { type: 'phones.reset'; by: 'cluster'; reason: string }
  /** Pending: the administrator must reset the phones. */
  | { type: 'phones.reset-required'; reason: string }
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
