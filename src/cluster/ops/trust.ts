import { chainTo, isIssuedBy, sameName, type CertificateInfo } from '../../pki/index.js';
import { EmulatorError } from '../../shared/errors.js';
import type { ClusterContext } from '../context.js';
import { certOf } from '../certs.js';
import { restartServices } from '../effects.js';
import type { ClusterEvent } from '../events.js';
import { publisherOf } from '../identity.js';
import type { ClusterState, TrustEntry, TrustStoreName } from '../model.js';
import { PURPOSES } from '../model.js';
import { PURPOSE_RULES } from '../purposes.js';
import { STORE_RULES } from '../stores.js';
import { trustNameOf } from '../trust-names.js';
import { requireNode } from './generate.js';
import { checkUploadRules, readUploadedCertificates } from './inputs.js';

/**
 * "Upload Certificate/Certificate Chain" to a trust store and "Delete" a trust certificate,
 * with the chapter's rules (TS-1..TS-4):
 *
 * - PEM or DER only; keys ≤ 4096 bits; no wildcards; nothing expired.
 * - One certificate per subject per store: the same subject with a different serial replaces
 *   the stored one only if its notBefore is later, otherwise the upload is refused.
 * - Uploads to CallManager-, tomcat-, Phone-SAST- and phone-edge-trust reach every node; a
 *   CAPF-trust upload stays on its node. Deletes from CAPF-, tomcat-, CallManager- and
 *   Phone-SAST-trust apply cluster-wide. Phone-Edge-trust is managed on the publisher.
 * - Deleting a CA that issued other stored or identity certificates is allowed, with a warning
 *   that the chain breaks.
 * An upload is all or nothing: one bad certificate in a chain refuses the whole file.
 */
export interface UploadTrustArgs {
  store: TrustStoreName;
  node: string;
  data: Uint8Array;
  description?: string;
  source?: TrustEntry['source'];
}

export function uploadTrust(state: ClusterState, ctx: ClusterContext, a: UploadTrustArgs): ClusterEvent[] {
  const node = requireNode(state, a.node);
  const rule = STORE_RULES[a.store];
  if (rule.publisherOnly && node.role !== 'publisher') {
    throw new EmulatorError('TRUST_PUBLISHER_ONLY', `${a.store} is managed on the publisher (${publisherOf(state).hostname})`);
  }
  const now = new Date(ctx.clock.now());
  const certs = readUploadedCertificates(a.data);
  for (const c of certs) checkUploadRules(c, now);
  const nodes = rule.uploadClusterWide ? state.nodes.map((n) => n.hostname) : [node.hostname];
  const events: ClusterEvent[] = [];
  for (const c of certs) events.push(...addTrust(state, a.store, nodes, c, a.source ?? 'upload', a.description));
  if (rule.tvsRoles.length && events.some((e) => e.type === 'trust.added')) {
    events.push({ type: 'service.restart-required', service: 'TVS', nodes, reason: `${a.store} changed: restart TVS so it answers from the new trust (MIG-3)` });
  }
  return events;
}

/**
 * Adds one certificate to a store on nodes under the same-subject rule (TS-2): only a stored
 * certificate with the *same subject* is replaced, and only by one with a later notBefore.
 * A different subject never replaces anything, even when its CN turns into the same file name
 * (issue 15: `CN=Cisco:Manufacturing:CA:SHA2, O=Evil` evicted the system "Cisco Manufacturing CA
 * SHA2"). It gets its own entry, named as CUCM names the files of certificates that share a
 * common name: "Common Name or Common Name_SerialNumber is the file name of the certificate"
 * (chapter, Certificate Settings; 14SU1 and later).
 */
export function addTrust(state: ClusterState, store: TrustStoreName, nodes: readonly string[], c: CertificateInfo, source: TrustEntry['source'], description?: string): ClusterEvent[] {
  const existingOn = (node: string): TrustEntry | undefined => state.trust.find((t) => t.store === store && t.node === node && sameName(certOf(t.certPem).subjectCucm, c.subjectCucm));
  const name = entryNameFor(state, store, nodes, c, existingOn);
  const pem = certPemOf(c);
  const touched: string[] = [];
  const same: string[] = [];
  let replaced: string | undefined;
  for (const node of nodes) {
    const existing = existingOn(node);
    if (existing) {
      const old = certOf(existing.certPem);
      if (old.serialHex === c.serialHex && old.sha256 === c.sha256) {
        same.push(node);
        continue;
      }
      if (!(c.notBefore > old.notBefore)) {
        throw new EmulatorError('TRUST_OLDER_DUPLICATE', `${store} on ${node} already holds "${c.subjectCucm}" (serial ${old.serialHex}, valid from ${old.notBefore.toISOString()}); the uploaded one (serial ${c.serialHex}) starts ${c.notBefore.toISOString()}, not later, so it is not uploaded. Give a renewed CA a new CN (for example a -G2 suffix).`, { details: { store, node, existing: old.serialHex, incoming: c.serialHex } });
      }
      state.trust = state.trust.filter((t) => t !== existing);
      replaced = old.serialHex;
    }
    state.trust.push({ store, node, name, certPem: pem, source, ...(description ? { description } : {}), rev: state.rev });
    touched.push(node);
  }
  const events: ClusterEvent[] = [];
  if (touched.length) events.push({ type: 'trust.added', store, nodes: touched, name, subject: c.subjectCucm, serial: c.serialHex, ...(replaced ? { replaced } : {}) });
  if (same.length) events.push({ type: 'trust.unchanged', store, nodes: same, name });
  return events;
}

/**
 * The entry name: the CN's file name while no certificate of another subject holds it on any
 * of the nodes, else `<CN>_<serial>`, else (a serial shared too) with the fingerprint appended.
 */
function entryNameFor(state: ClusterState, store: TrustStoreName, nodes: readonly string[], c: CertificateInfo, existingOn: (node: string) => TrustEntry | undefined): string {
  const cn = trustNameOf(c);
  const takenByOther = (name: string): boolean => nodes.some((node) => state.trust.some((t) => t.store === store && t.node === node && t.name === name && t !== existingOn(node)));
  for (const name of [cn, `${cn}_${c.serialHex}`, `${cn}_${c.serialHex}_${c.sha256.slice(0, 16)}`]) if (!takenByOther(name)) return name;
  return `${cn}_${c.sha256}`;
}

function certPemOf(c: CertificateInfo): string {
  const b64 = Buffer.from(c.der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

export interface DeleteTrustArgs {
  /** A trust store, or an identity purpose (refused: identity certificates cannot be deleted). */
  store: string;
  node: string;
  name: string;
}

export function deleteTrust(state: ClusterState, a: DeleteTrustArgs): ClusterEvent[] {
  if ((PURPOSES as readonly string[]).includes(a.store)) {
    throw new EmulatorError('IDENTITY_NOT_DELETABLE', `${a.store} is an identity certificate; identity certificates cannot be deleted, only regenerated (trustlab cert regenerate ${a.store})`);
  }
  const store = a.store as TrustStoreName;
  const rule = STORE_RULES[store];
  if (!rule) throw new EmulatorError('INVALID_ARGUMENT', `unknown store "${a.store}"`);
  const node = requireNode(state, a.node);
  if (rule.publisherOnly && node.role !== 'publisher') throw new EmulatorError('TRUST_PUBLISHER_ONLY', `${store} is managed on the publisher`);
  const target = state.trust.find((t) => t.store === store && t.node === node.hostname && t.name === a.name);
  if (!target) throw new EmulatorError('CERT_NOT_FOUND', `${store} on ${node.hostname} has no certificate named "${a.name}"`);
  const cert = certOf(target.certPem);
  const removed = state.trust.filter((t) => t.store === store && t.name === a.name && (rule.deleteClusterWide || t.node === node.hostname));
  state.trust = state.trust.filter((t) => !removed.includes(t));
  const nodes = removed.map((t) => t.node);
  const events: ClusterEvent[] = [{ type: 'trust.deleted', store, nodes, name: a.name, subject: cert.subjectCucm }];
  const orphans = [
    ...state.trust.filter((t) => t.store === store && nodes.includes(t.node) && t.name !== a.name && isIssuedBy(certOf(t.certPem), cert)).map((t) => `${store}/${t.name}`),
    ...state.identities.filter((i) => PURPOSE_RULES[i.purpose].chainStore === store && i.signedBy === 'ca' && chainTo(certOf(i.certPem), [cert]).ok).map((i) => `${i.purpose} (${i.nodes.join(', ')})`),
  ];
  if (orphans.length) {
    events.push({ type: 'warning', code: 'CHAIN_BROKEN', message: `deleting ${a.name} breaks the chain of ${[...new Set(orphans)].join(', ')}` });
  }
  if (rule.restartsOnDelete) {
    restartServices(state, rule.restartsOnDelete, nodes.filter((h) => state.nodes.find((n) => n.hostname === h)?.services.includes('CAPF')));
    events.push({ type: 'service.restarted', service: rule.restartsOnDelete, nodes, by: 'cluster', reason: `${store} delete restarts CAPF, which can restart endpoints (TS-4)` });
  }
  return events;
}
