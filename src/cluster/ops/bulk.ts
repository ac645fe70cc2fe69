import { parseCertificate } from '../../pki/index.js';
import { certOf } from '../certs.js';
import { EmulatorError } from '../../shared/errors.js';
import type { ClusterContext } from '../context.js';
import type { ClusterEvent } from '../events.js';
import type { ClusterState, TrustStoreName } from '../model.js';
import { addTrust } from './trust.js';

/**
 * Bulk Certificate Management import (chapter "Bulk Certificate Export"; phone-behaviour.md
 * MIG-2, MIG-3): certificates other clusters exported and one cluster consolidated are imported
 * into this cluster's trust stores, so that this cluster's TVS vouches for the other cluster's
 * ITL and config signers while phones move. Where each type lands is the table in the
 * Administration Guide 14SU2 "Manage Bulk Certificates" and TAC 215539:
 *
 * - TFTP (the CallManager certificate of every TFTP node) → CallManager-trust and Phone-SAST-trust;
 * - ITL_Recovery → Phone-SAST-trust and CallManager-trust (the chapter's EMCC note);
 * - CAPF → CallManager-trust (so the other cluster's LSCs are trusted for TLS, MIG-7);
 * - Tomcat → tomcat-trust.
 *
 * The importing cluster's own certificates in the bundle are skipped (by fingerprint: a real
 * bundle does not say which cluster a certificate came from). TVS must be restarted on every node
 * to pick the new trust up; in mixed mode the CTL must be updated so it lists them as SAST.
 */
export type BulkType = 'TFTP' | 'CAPF' | 'ITL_Recovery' | 'Tomcat';
export const BULK_TYPES: readonly BulkType[] = ['TFTP', 'CAPF', 'ITL_Recovery', 'Tomcat'];

/** One certificate of a bulk bundle: its unit name (`<node>_<type>`), type, node and PEM. */
export interface BulkCertificate {
  unit: string;
  type: BulkType;
  node: string;
  pem: string;
}

/** The trust stores each type lands in (the guide's table). */
export const BULK_TARGETS: Record<BulkType, readonly TrustStoreName[]> = {
  TFTP: ['CallManager-trust', 'Phone-SAST-trust'],
  ITL_Recovery: ['Phone-SAST-trust', 'CallManager-trust'],
  CAPF: ['CallManager-trust'],
  Tomcat: ['tomcat-trust'],
};

/** What to import: the types, optionally only some units, optionally into one store instead of the guide's. */
export interface BulkImportChoice {
  types: readonly BulkType[];
  /** Unit names (`bpub_tftp`); all units of the chosen types when omitted. */
  units?: readonly string[];
  /** Put every chosen certificate in this store only (a tester modelling a hand-made import). */
  store?: TrustStoreName;
}

export function bulkImport(state: ClusterState, ctx: ClusterContext, certs: readonly BulkCertificate[], choice: BulkImportChoice): ClusterEvent[] {
  const now = new Date(ctx.clock.now());
  const { types, units, store: only } = choice;
  const unknown = (units ?? []).filter((u) => !certs.some((c) => c.unit === u));
  if (unknown.length) {
    throw new EmulatorError('BULK_UNIT_NOT_FOUND', `the bundle has no unit ${unknown.join(', ')}; it holds ${certs.map((c) => c.unit).join(', ') || 'nothing'}`);
  }
  const own = new Set([...state.identities.map((i) => certOf(i.certPem).sha256)]);
  const chosen = certs.filter((c) => types.includes(c.type) && (!units || units.includes(c.unit)) && !own.has(certOf(c.pem).sha256));
  if (chosen.length === 0) {
    throw new EmulatorError('BULK_NOTHING_TO_IMPORT', `the bundle holds no ${types.join('/')} certificates${units ? ` in ${units.join(', ')}` : ''} other than ${state.name}'s own; export from the other cluster and consolidate first`);
  }
  const nodes = state.nodes.map((n) => n.hostname);
  const events: ClusterEvent[] = [];
  for (const c of chosen) {
    const cert = parseCertificate(c.pem);
    if (cert.notAfter < now) {
      events.push({ type: 'warning', code: 'BULK_EXPIRED', message: `skipped ${c.unit}: expired ${cert.notAfter.toISOString()}` });
      continue;
    }
    for (const store of only ? [only] : BULK_TARGETS[c.type]) {
      try {
        events.push(...addTrust(state, store, nodes, cert, 'bulk-import', `bulk import of ${c.unit} (${c.type} of ${c.node})`));
      } catch (e) {
        if ((e as EmulatorError).code !== 'TRUST_OLDER_DUPLICATE') throw e;
        events.push({ type: 'warning', code: 'BULK_OLDER_DUPLICATE', message: `skipped ${c.unit} in ${store}: ${(e as Error).message}` });
      }
    }
  }
  events.push({ type: 'service.restart-required', service: 'TVS', nodes, reason: 'restart TVS on every node so it vouches for the imported certificates (MIG-3)' });
  if (state.securityMode === 'mixed') events.push({ type: 'ctl.update.required', reason: 'run utils ctl update CTLFile so the CTL lists the imported signers as SAST (MIG-3)' });
  return events;
}
