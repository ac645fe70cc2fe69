import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { decodePkcs12, encodePkcs12, parseCertificate, toPem, type CertificateInfo, type Pkcs12Entry } from '../pki/index.js';
import { EmulatorError } from '../shared/errors.js';
import { readFileBytes, writeFileAtomic } from '../shared/fs.js';
import { identityOf } from './identity.js';
import type { ClusterState, Purpose } from './model.js';
import { BULK_TYPES, type BulkCertificate, type BulkType } from './ops/bulk.js';

/**
 * The SFTP directory of Bulk Certificate Management, in CUCM's own container format
 * (docs/decisions/013-bulk-directory.md):
 *
 * - Export writes one PKCS#12 file per node and certificate type, `<node>_<unit>.p12` (TAC 215539:
 *   "PKCS12 files created for each of the nodes"), all clusters into the same directory (the
 *   chapter: "the same SFTP directory on the same SFTP server").
 * - Consolidate reads every PKCS#12 file there and writes one, `consolidated.p12` (Feature
 *   Configuration Guide 12.5(1)SU3, EMCC: it "consolidates all PKCS12 files in the SFTP server to
 *   form a single file").
 * - Import reads `consolidated.p12`.
 *
 * Each certificate sits in its own CertBag whose friendlyName is its unit, `<node>_<unit>`.
 * Cisco documents neither the file names (TAC 215539 shows them only in screenshots) nor the
 * PKCS#12 password; the names above and {@link DEFAULT_BULK_PASSWORD} are trustlab's, and a
 * real bundle is read by its friendly names, its file names, or failing those its subjects.
 */
export const DEFAULT_BULK_PASSWORD = 'trustlab';
export const CONSOLIDATED_FILE = 'consolidated.p12';

/** The file-name part of each type; the second list is what a foreign name may say instead. */
const UNIT: Record<BulkType, { name: string; aliases: readonly string[] }> = {
  TFTP: { name: 'tftp', aliases: ['tftp', 'callmanager'] },
  CAPF: { name: 'capf', aliases: ['capf'] },
  ITL_Recovery: { name: 'itlrecovery', aliases: ['itlrecovery', 'itl_recovery', 'itl-recovery'] },
  Tomcat: { name: 'tomcat', aliases: ['tomcat'] },
};

/** The identity each type exports (TFTP: the CallManager certificate of every TFTP node, MIG-2). */
const SOURCE: Record<BulkType, { purpose: Purpose; tftpNodesOnly?: boolean }> = {
  TFTP: { purpose: 'CallManager', tftpNodesOnly: true },
  CAPF: { purpose: 'CAPF' },
  ITL_Recovery: { purpose: 'ITLRecovery' },
  Tomcat: { purpose: 'tomcat' },
};

const MAX_BULK_FILES = 1000;
const MAX_PKCS12_FILE_BYTES = 4 * 1024 * 1024;

/** A unit's name: `<node>_<unit>`, e.g. `bpub_tftp`. */
export const unitName = (node: string, type: BulkType): string => `${node}_${UNIT[type].name}`;

export interface BulkUnit {
  unit: string;
  type: BulkType;
  node: string;
  subject: string;
  serial: string;
  sha256: string;
  notAfter: string;
}

export interface BulkFile {
  file: string;
  units: BulkUnit[];
}

export interface BulkPasswordOption {
  /** The PKCS#12 password ({@link DEFAULT_BULK_PASSWORD} when omitted). */
  password?: string;
}

function describeUnit(unit: string, type: BulkType, node: string, c: CertificateInfo): BulkUnit {
  return { unit, type, node, subject: c.subjectCucm, serial: c.serialHex, sha256: c.sha256, notAfter: c.notAfter.toISOString() };
}

/**
 * Export: one PKCS#12 file per node and type into `dir` (all types unless `types` narrows it,
 * the GUI's "All"). A certificate shared by several nodes is written once, under the first.
 */
export async function bulkExport(state: ClusterState, dir: string, o: BulkPasswordOption & { types?: readonly BulkType[] } = {}): Promise<{ cluster: string; dir: string; files: BulkFile[] }> {
  const password = o.password ?? DEFAULT_BULK_PASSWORD;
  const files: BulkFile[] = [];
  const seen = new Set<string>();
  for (const type of o.types ?? BULK_TYPES) {
    for (const n of state.nodes) {
      if (SOURCE[type].tftpNodesOnly && !n.services.includes('TFTP')) continue;
      const pem = identityOf(state, SOURCE[type].purpose, n.hostname)?.certPem;
      if (!pem || seen.has(`${type}\u0000${pem}`)) continue;
      seen.add(`${type}\u0000${pem}`);
      const c = parseCertificate(pem);
      const unit = unitName(n.hostname, type);
      const file = `${unit}.p12`;
      await writeFileAtomic(join(dir, file), encodePkcs12([{ friendlyName: unit, der: c.der }], password));
      files.push({ file, units: [describeUnit(unit, type, n.hostname, c)] });
    }
  }
  return { cluster: state.name, dir, files };
}

/** The type a name says (`bpub_tftp`, `CallManager.p12`, `cucm-capf`), if any. */
function typeFromName(name: string): BulkType | undefined {
  const words = name.toLowerCase().replace(/\.p12$|\.pfx$/, '');
  for (const t of BULK_TYPES) {
    for (const a of UNIT[t].aliases) {
      if (new RegExp(`(^|[_.\\-])${a.replace(/[-_]/g, '[-_]?')}($|[_.\\-])`).test(words)) return t;
    }
  }
  return undefined;
}

/** The node part of `<node>_<unit>`, when the name has that shape. */
function nodeFromName(name: string, type: BulkType): string | undefined {
  const stem = name.replace(/\.p12$|\.pfx$/i, '');
  for (const a of UNIT[type].aliases) {
    const m = new RegExp(`^(.+)[_.\\-]${a.replace(/[-_]/g, '[-_]?')}$`, 'i').exec(stem);
    if (m) return m[1];
  }
  return undefined;
}

/** CUCM's CAPF and ITLRecovery subjects say what they are (CAPF-<8 hex>, ITLRECOVERY_<host>). */
function typeFromSubject(c: CertificateInfo): BulkType | undefined {
  const cn = c.subject.find(([k]) => k === 'CN')?.[1] ?? '';
  if (/^CAPF-[0-9a-f]{8}$/i.test(cn)) return 'CAPF';
  if (/^ITLRECOVERY_/i.test(cn)) return 'ITL_Recovery';
  return undefined;
}

function classify(entry: Pkcs12Entry, file: string): BulkCertificate {
  let c: CertificateInfo;
  try {
    c = parseCertificate(toPem(entry.der));
  } catch (cause) {
    throw new EmulatorError('BULK_MALFORMED', `${file}: a certificate bag does not hold a readable X.509 certificate (${(cause as Error).message})`, { cause });
  }
  // The bag's name first, then the subjects that say what they are, then the file's name (a
  // bundle `openssl pkcs12 -export -nokeys` made has no bag names).
  const type = (entry.friendlyName && typeFromName(entry.friendlyName)) || typeFromSubject(c) || typeFromName(basename(file));
  if (!type) {
    throw new EmulatorError('BULK_MALFORMED', `${file}: cannot tell whether ${c.subjectCucm} is a TFTP, CAPF, ITL_Recovery or Tomcat certificate; name the file or the bag <node>_tftp (openssl pkcs12 -export -name bpub_tftp …)`);
  }
  // Failing the names, the host the subject names: CN=<fqdn> or ITLRECOVERY_<fqdn>, first label.
  const cn = c.subject.find(([k]) => k === 'CN')?.[1] ?? '';
  const host = type === 'CAPF' ? undefined : /^(?:ITLRECOVERY_)?([A-Za-z0-9-]+)/i.exec(cn)?.[1];
  const node = (entry.friendlyName && nodeFromName(entry.friendlyName, type)) || nodeFromName(basename(file), type) || host || 'unknown';
  return { unit: unitName(node, type), type, node, pem: toPem(entry.der) };
}

/** Reads one PKCS#12 file of the directory into its certificates, classified. */
async function readBulkFile(path: string, password: string): Promise<BulkCertificate[]> {
  const bytes = await readFileBytes(path, MAX_PKCS12_FILE_BYTES).catch((e: EmulatorError) => {
    throw e.code === 'IO_TOO_LARGE' ? new EmulatorError('BULK_MALFORMED', `${path} is larger than any certificate bundle (${MAX_PKCS12_FILE_BYTES} bytes)`, { cause: e }) : e;
  });
  let entries: Pkcs12Entry[];
  try {
    entries = decodePkcs12(bytes, password);
  } catch (e) {
    const err = e as EmulatorError;
    if (err.code === 'PKCS12_BAD_PASSWORD') {
      throw new EmulatorError('PKCS12_BAD_PASSWORD', `${path}: ${err.message}. Pass the password it was exported with (--password, or TRUSTLAB_BULK_PASSWORD); trustlab exports use "${DEFAULT_BULK_PASSWORD}" unless told otherwise`, { cause: e });
    }
    throw new EmulatorError(err.code ?? 'PKCS12_MALFORMED', `${path}: ${err.message}`, { cause: e });
  }
  if (entries.length === 0) throw new EmulatorError('BULK_MALFORMED', `${path} holds no certificates`);
  return entries.map((en) => classify(en, path));
}

/**
 * Reads several PKCS#12 files of one directory. A file whose MAC fails when others of the
 * directory verify with the same password was changed after it was written: `BULK_TAMPERED`,
 * naming it (issue 15 §6). When none verifies, the password is the likelier cause.
 * With trustlab's default password anyone can re-seal a changed file; the MAC then only
 * catches accidents, and a password of one's own (`--password`) is what makes it an integrity check.
 */
async function readBulkFiles(dir: string, files: readonly string[], password: string): Promise<Map<string, BulkCertificate[]>> {
  const read = new Map<string, BulkCertificate[]>();
  const badMac: { file: string; error: EmulatorError }[] = [];
  for (const f of files) {
    try {
      read.set(f, await readBulkFile(join(dir, f), password));
    } catch (e) {
      if ((e as EmulatorError).code !== 'PKCS12_BAD_PASSWORD') throw e;
      badMac.push({ file: f, error: e as EmulatorError });
    }
  }
  if (badMac.length && read.size) throw tampered(dir, badMac.map((b) => b.file), [...read.keys()]);
  if (badMac.length) throw badMac[0]!.error;
  return read;
}

function tampered(dir: string, bad: readonly string[], good: readonly string[]): EmulatorError {
  return new EmulatorError('BULK_TAMPERED', `${bad.map((f) => join(dir, f)).join(', ')}: the PKCS#12 MAC does not verify with the password that verifies ${good.join(', ')}, so ${bad.length === 1 ? 'this file was' : 'these files were'} changed after export. Nothing was imported; ${bad.includes(CONSOLIDATED_FILE) ? `delete ${CONSOLIDATED_FILE} and run bulk consolidate again, and ` : ''}export again from the cluster ${bad.length === 1 ? 'it' : 'they'} came from.`, { details: { files: [...bad] } });
}

async function listP12(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((cause: unknown) => {
    throw new EmulatorError('IO_NOT_FOUND', `${dir}: no such directory`, { cause });
  });
  const files = entries.filter((e) => e.isFile() && /\.(p12|pfx)$/i.test(e.name)).map((e) => e.name).sort();
  if (files.length > MAX_BULK_FILES) throw new EmulatorError('BULK_MALFORMED', `${dir} holds ${files.length} PKCS#12 files, more than any set of clusters exports (${MAX_BULK_FILES})`);
  return files;
}

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

/** Refuses a directory written by trustlab before it wrote PKCS#12, saying how to move on. */
async function refuseOldFormat(dir: string): Promise<void> {
  const old: string[] = [];
  if (await exists(join(dir, 'consolidated.json'))) old.push('consolidated.json');
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory() && (await exists(join(dir, e.name, 'manifest.json')))) old.push(`${e.name}/manifest.json`);
  }
  if (old.length === 0) return;
  throw new EmulatorError('BULK_OLD_FORMAT', `${dir} holds trustlab's old PEM+JSON bulk export (${old.join(', ')}), not CUCM's PKCS#12 files. `
    + `Export again with "trustlab bulk export --dir ${dir} --cluster NAME" for each cluster, or convert each PEM, e.g. `
    + `"openssl pkcs12 -export -nokeys -in ${join(dir, 'B', 'tftp', 'bpub.pem')} -name bpub_tftp -passout pass:${DEFAULT_BULK_PASSWORD} -out ${join(dir, 'bpub_tftp.p12')}"`);
}

/** Every PKCS#12 file in the directory and what it holds (for `bulk list`). */
export async function bulkList(dir: string, o: BulkPasswordOption = {}): Promise<BulkFile[]> {
  const files = await listP12(dir);
  if (files.length === 0) await refuseOldFormat(dir);
  const out: BulkFile[] = [];
  const read = await readBulkFiles(dir, files, o.password ?? DEFAULT_BULK_PASSWORD);
  for (const f of files) {
    const certs = read.get(f)!;
    out.push({ file: f, units: certs.map((c) => describeUnit(c.unit, c.type, c.node, parseCertificate(c.pem))) });
  }
  return out;
}

/**
 * Consolidate: every PKCS#12 file in `dir` (a previous consolidated file included, so nothing
 * is lost when a cluster re-exports) into `dir/consolidated.p12`, one bag per distinct
 * certificate and type.
 */
export async function bulkConsolidate(dir: string, o: BulkPasswordOption = {}): Promise<{ file: string; units: BulkUnit[] }> {
  const password = o.password ?? DEFAULT_BULK_PASSWORD;
  const files = await listP12(dir);
  if (files.length === 0) {
    await refuseOldFormat(dir);
    throw new EmulatorError('BULK_NOTHING_TO_IMPORT', `${dir} holds no PKCS#12 files; run trustlab bulk export --dir ${dir} on each cluster first`);
  }
  const seen = new Set<string>();
  const certs: BulkCertificate[] = [];
  // Units from the clusters' own exports win over what an older consolidated file says.
  const ordered = [...files.filter((x) => x !== CONSOLIDATED_FILE), ...files.filter((x) => x === CONSOLIDATED_FILE)];
  const read = await readBulkFiles(dir, ordered, password);
  for (const f of ordered) {
    for (const c of read.get(f)!) {
      const key = `${c.type}\u0000${parseCertificate(c.pem).sha256}`;
      if (seen.has(key)) continue;
      seen.add(key);
      certs.push(c);
    }
  }
  await writeFileAtomic(join(dir, CONSOLIDATED_FILE), encodePkcs12(certs.map((c) => ({ friendlyName: c.unit, der: parseCertificate(c.pem).der })), password));
  return { file: CONSOLIDATED_FILE, units: certs.map((c) => describeUnit(c.unit, c.type, c.node, parseCertificate(c.pem))) };
}

/** Reads `dir/consolidated.p12`, what import uses. */
export async function readConsolidated(dir: string, o: BulkPasswordOption = {}): Promise<BulkCertificate[]> {
  const path = join(dir, CONSOLIDATED_FILE);
  if (!(await exists(path))) {
    await refuseOldFormat(dir);
    throw new EmulatorError('IO_NOT_FOUND', `${path}: not found; run trustlab bulk consolidate --dir ${dir} first`);
  }
  const password = o.password ?? DEFAULT_BULK_PASSWORD;
  try {
    return await readBulkFile(path, password);
  } catch (e) {
    if ((e as EmulatorError).code !== 'PKCS12_BAD_PASSWORD') throw e;
    const others = (await listP12(dir)).filter((f) => f !== CONSOLIDATED_FILE);
    const good: string[] = [];
    for (const f of others) if (await readBulkFile(join(dir, f), password).then(() => true, () => false)) good.push(f);
    throw good.length ? tampered(dir, [CONSOLIDATED_FILE], good) : e;
  }
}
