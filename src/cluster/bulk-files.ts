import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCertificate } from '../pki/index.js';
import { EmulatorError } from '../shared/errors.js';
import { writeFileAtomic } from '../shared/fs.js';
import { identityOf } from './identity.js';
import type { ClusterState } from './model.js';
import { BULK_TYPES, type BulkCertificate, type BulkType } from './ops/bulk.js';

/**
 * The SFTP directory of Bulk Certificate Management, as files: each cluster's export goes to
 * `<dir>/<cluster>/` (one PEM per certificate and a `manifest.json`), and "Consolidate" writes
 * `<dir>/consolidated.json` with every cluster's certificates. CUCM consolidates into PKCS#12
 * bundles; we keep PEM and JSON so that a person can read and diff them
 * (docs/decisions/013-bulk-directory.md).
 */
export interface BulkManifest {
  format: 'trustlab-bulk-1';
  cluster: string;
  release: string;
  exportedAt: string;
  certificates: Array<{ type: BulkType; node: string; file: string; subject: string; serial: string; sha256: string }>;
}

export interface ConsolidatedBundle {
  format: 'trustlab-bulk-consolidated-1';
  consolidatedAt: string;
  clusters: string[];
  certificates: BulkCertificate[];
}

/** Export: the CallManager certificate of every TFTP node, the CAPF and the ITLRecovery. */
export async function bulkExport(state: ClusterState, dir: string, now: Date): Promise<BulkManifest> {
  const out: BulkManifest = { format: 'trustlab-bulk-1', cluster: state.name, release: state.release, exportedAt: now.toISOString(), certificates: [] };
  const seen = new Set<string>();
  const add = async (type: BulkType, node: string, pem: string | undefined): Promise<void> => {
    if (!pem || seen.has(`${type}\u0000${pem}`)) return;
    seen.add(`${type}\u0000${pem}`);
    const c = parseCertificate(pem);
    const file = `${type.toLowerCase()}/${node}.pem`;
    await writeFileAtomic(join(dir, state.name, file), pem);
    out.certificates.push({ type, node, file, subject: c.subjectCucm, serial: c.serialHex, sha256: c.sha256 });
  };
  for (const n of state.nodes) {
    if (n.services.includes('TFTP')) await add('TFTP', n.hostname, identityOf(state, 'CallManager', n.hostname)?.certPem);
  }
  for (const n of state.nodes) await add('CAPF', n.hostname, identityOf(state, 'CAPF', n.hostname)?.certPem);
  for (const n of state.nodes) await add('ITL_Recovery', n.hostname, identityOf(state, 'ITLRecovery', n.hostname)?.certPem);
  await writeFileAtomic(join(dir, state.name, 'manifest.json'), JSON.stringify(out, null, 2) + '\n');
  return out;
}

function malformed(where: string, why: string): EmulatorError {
  return new EmulatorError('BULK_MALFORMED', `${where}: ${why}; use the output of trustlab bulk export / consolidate`);
}

/** A cluster's export in `dir/name`, or undefined when that directory holds no manifest (not an export). */
async function readManifest(dir: string, name: string): Promise<BulkCertificate[] | undefined> {
  const path = join(dir, name, 'manifest.json');
  const text = await readFile(path, 'utf8').catch((cause: NodeJS.ErrnoException) => {
    if (cause.code === 'ENOENT') return undefined;
    throw new EmulatorError('BULK_MALFORMED', `${path}: ${cause.message}`, { cause });
  });
  if (text === undefined) return undefined;
  let m: BulkManifest;
  try {
    m = JSON.parse(text) as BulkManifest;
  } catch (cause) {
    throw new EmulatorError('BULK_MALFORMED', `${path}: not readable JSON`, { cause });
  }
  if (m.format !== 'trustlab-bulk-1' || typeof m.cluster !== 'string' || !Array.isArray(m.certificates)) throw malformed(path, 'not a bulk export manifest');
  const out: BulkCertificate[] = [];
  for (const c of m.certificates) {
    if (!c || typeof c !== 'object' || !BULK_TYPES.includes(c.type) || typeof c.file !== 'string' || c.file.includes('..')) throw malformed(path, `bad entry ${JSON.stringify(c)?.slice(0, 80)}`);
    const pem = await readFile(join(dir, name, c.file), 'utf8').catch((cause: unknown) => {
      throw new EmulatorError('BULK_MALFORMED', `${path} lists ${c.file}, which cannot be read (${(cause as Error).message}); export the cluster again`, { cause });
    });
    out.push({ cluster: m.cluster, type: c.type, node: String(c.node), pem });
  }
  return out;
}

/** Consolidate: every cluster export found under `dir` into `dir/consolidated.json`. */
export async function bulkConsolidate(dir: string, now: Date): Promise<ConsolidatedBundle> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((cause: unknown) => {
    throw new EmulatorError('IO_NOT_FOUND', `${dir}: no such directory`, { cause });
  });
  const certificates: BulkCertificate[] = [];
  const clusters: string[] = [];
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const certs = await readManifest(dir, e.name);
    if (!certs) continue;
    clusters.push(e.name);
    certificates.push(...certs);
  }
  if (clusters.length === 0) throw malformed(dir, 'no cluster exports found');
  const bundle: ConsolidatedBundle = { format: 'trustlab-bulk-consolidated-1', consolidatedAt: now.toISOString(), clusters, certificates };
  await writeFileAtomic(join(dir, 'consolidated.json'), JSON.stringify(bundle, null, 2) + '\n');
  return bundle;
}

/** Reads `dir/consolidated.json` (what import uses). */
export async function readConsolidated(dir: string): Promise<ConsolidatedBundle> {
  const path = join(dir, 'consolidated.json');
  let b: ConsolidatedBundle;
  try {
    b = JSON.parse(await readFile(path, 'utf8')) as ConsolidatedBundle;
  } catch (cause) {
    throw new EmulatorError((cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'IO_NOT_FOUND' : 'BULK_MALFORMED', `${path}: ${(cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found; run trustlab bulk consolidate first' : 'not readable JSON'}`, { cause });
  }
  if (b.format !== 'trustlab-bulk-consolidated-1' || !Array.isArray(b.certificates)) throw malformed(path, 'not a consolidated bundle');
  for (const c of b.certificates) {
    if (!c || typeof c !== 'object' || !BULK_TYPES.includes(c.type) || typeof c.pem !== 'string' || typeof c.cluster !== 'string') throw malformed(path, 'bad certificate entry');
  }
  return b;
}
