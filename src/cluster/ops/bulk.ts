import { parseCertificate } from '../../pki/index.js';
import { EmulatorError } from '../../shared/errors.js';
import type { ClusterContext } from '../context.js';
import type { ClusterEvent } from '../events.js';
import type { ClusterState, TrustStoreName } from '../model.js';
import { addTrust } from './trust.js';

/**
 * Bulk Certificate Management import (chapter "Bulk Certificate Export"; phone-behaviour.md
 * MIG-2, MIG-3): certificates other clusters exported and one cluster consolidated are imported
 * into this cluster's trust stores, so that this cluster's TVS vouches for the other cluster's
 * ITL and config signers while phones move:
 *
 * - TFTP (CallManager of every TFTP node) → CallManager-trust and Phone-SAST-trust;
 * - ITL_Recovery → Phone-SAST-trust and CallManager-trust (the EMCC note; MIG-3 names
 *   Phone-SAST-trust, a migration blog used CallManager-trust: we do both);
 * - CAPF → CAPF-trust (so phones with the other cluster's LSC can authenticate to CAPF).
 *
 * The cluster's own certificates in the bundle are skipped. TVS must be restarted on every node
 * to pick the new trust up; in mixed mode the CTL must be updated so it lists them as SAST.
 */
export type BulkType = 'TFTP' | 'CAPF' | 'ITL_Recovery';
export const BULK_TYPES: readonly BulkType[] = ['TFTP', 'CAPF', 'ITL_Recovery'];

export interface BulkCertificate {
  cluster: string;
  type: BulkType;
  node: string;
  pem: string;
}

const TARGETS: Record<BulkType, readonly TrustStoreName[]> = {
  TFTP: ['CallManager-trust', 'Phone-SAST-trust'],
  ITL_Recovery: ['Phone-SAST-trust', 'CallManager-trust'],
  CAPF: ['CAPF-trust'],
};

export function bulkImport(state: ClusterState, ctx: ClusterContext, certs: readonly BulkCertificate[], types: readonly BulkType[]): ClusterEvent[] {
  const now = new Date(ctx.clock.now());
  const chosen = certs.filter((c) => c.cluster !== state.name && types.includes(c.type));
  if (chosen.length === 0) {
    throw new EmulatorError('BULK_NOTHING_TO_IMPORT', `the bundle holds no ${types.join('/')} certificates from a cluster other than ${state.name}; export from the other cluster and consolidate first`);
  }
  const nodes = state.nodes.map((n) => n.hostname);
  const events: ClusterEvent[] = [];
  for (const c of chosen) {
    const cert = parseCertificate(c.pem);
    if (cert.notAfter < now) {
      events.push({ type: 'warning', code: 'BULK_EXPIRED', message: `skipped ${c.cluster}/${c.type}/${c.node}: expired ${cert.notAfter.toISOString()}` });
      continue;
    }
    for (const store of TARGETS[c.type]) {
      try {
        events.push(...addTrust(state, store, nodes, cert, 'bulk-import', `bulk import from ${c.cluster} (${c.type} of ${c.node})`));
      } catch (e) {
        if ((e as EmulatorError).code !== 'TRUST_OLDER_DUPLICATE') throw e;
        events.push({ type: 'warning', code: 'BULK_OLDER_DUPLICATE', message: `skipped ${c.cluster}/${c.type}/${c.node} in ${store}: ${(e as Error).message}` });
      }
    }
  }
  events.push({ type: 'service.restart-required', service: 'TVS', nodes, reason: 'restart TVS on every node so it vouches for the imported certificates (MIG-3)' });
  if (state.securityMode === 'mixed') events.push({ type: 'ctl.update.required', reason: 'run utils ctl update CTLFile so the CTL lists the imported signers as SAST (MIG-3)' });
  return events;
}
