import { Type } from '@sinclair/typebox';
import { bulkConsolidate, bulkExport, certOf, PURPOSE_RULES, readConsolidated, type EnterpriseParameters, type Purpose, type TrustStoreName } from '../../cluster/index.js';
import { parseCsr, signCsr, toPem } from '../../pki/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { normaliseCipher, type ScenarioContext } from '../context.js';
import { applyOp } from './common.js';
import { crlUrlOf, noteIssued, ocspUrlOf, readLabCa, updateLabCa } from '../../cluster/lab-ca.js';
import { checkAndRecord } from '../../cluster/serve/index.js';
import { defineStep } from './registry.js';
import { BulkType, CapfSettings, CertRef, ClusterName, Empty, Enum, FleetName, NodeName, Obj, Opt, Profile, Purpose as PurposeSchema, Service, Store, Str } from './schemas.js';

/**
 * Cluster operations (the certificate chapter's admin steps): each goes through the model, and
 * so through its rules and side effects, and reports the cluster's own account of what happened.
 */
const DEFAULT_STORE: Partial<Record<Purpose, TrustStoreName>> = { CAPF: 'CAPF-trust', tomcat: 'tomcat-trust', 'tomcat-ECDSA': 'tomcat-trust' };

/** The name of the store's entry that holds the certificate (entries are found by content, not by CN). */
function entryNameOf(ctx: ScenarioContext, cluster: string, store: TrustStoreName, node: string, ref: CertRef): string {
  const want = certOf(ctx.certificate(ref)).sha256;
  const entry = ctx.requireCluster(cluster).cluster.state.trust.find((t) => t.store === store && t.node === node && certOf(t.certPem).sha256 === want);
  if (!entry) throw new EmulatorError('CERT_NOT_FOUND', `${store} on ${node} of ${cluster} does not hold that certificate (${certOf(ctx.certificate(ref)).subjectCucm}, serial ${certOf(ctx.certificate(ref)).serialHex})`);
  return entry.name;
}

const cluster = (ctx: ScenarioContext, name: string) => ctx.requireCluster(name).cluster;

export const generate = defineStep({
  name: 'generate',
  summary: 'Generate (or regenerate with new parameters) an identity certificate on a node: Generate Self-signed in OS Administration.',
  args: Obj({
    cluster: ClusterName, purpose: PurposeSchema, node: NodeName,
    keyLength: Opt(Enum([256, 384, 1024, 2048, 3072, 4096] as const, 'key size in bits (256/384 for ECDSA)')),
    hash: Opt(Enum(['SHA256', 'SHA384', 'SHA512'] as const, 'signature hash')),
    distribution: Opt(Enum(['node', 'multi-server'] as const, 'a node certificate, or a multi-server (SAN) one')),
    years: Opt(Type.Integer({ minimum: 1, maximum: 20, description: 'validity in years (the Certificate Validity of the Generate page)' })),
  }),
  example: { cluster: 'A', purpose: 'CallManager-ECDSA', node: 'pub', keyLength: 384, hash: 'SHA384' },
  run: async (ctx, a) => applyOp(ctx, a.cluster, await cluster(ctx, a.cluster).generate({
    purpose: a.purpose, node: a.node, ...(a.keyLength ? { keyLength: a.keyLength } : {}), ...(a.hash ? { hash: a.hash.replace('SHA', 'SHA-') as 'SHA-256' } : {}), ...(a.distribution ? { distribution: a.distribution } : {}),
    ...(a.years ? { validityYears: a.years } : {}),
  })),
});

export const regenerate = defineStep({
  name: 'regenerate',
  summary: 'Regenerate an identity certificate with its current parameters, with the restarts and resets the chapter lists.',
  args: Obj({ cluster: ClusterName, purpose: PurposeSchema, node: NodeName }),
  example: { cluster: 'A', purpose: 'TVS', node: 'pub' },
  run: async (ctx, a) => applyOp(ctx, a.cluster, await cluster(ctx, a.cluster).regenerate(a.purpose, a.node)),
});

export const csr = defineStep({
  name: 'csr',
  summary: 'Generate a CSR for an identity certificate; unless sign is false, the lab CA signs it and its chain and the certificate are uploaded.',
  args: Obj({ cluster: ClusterName, purpose: PurposeSchema, node: NodeName, sign: Opt(Type.Boolean({ description: 'have the lab CA sign it and upload the result (default true)' })) }),
  example: { cluster: 'A', purpose: 'tomcat', node: 'pub' },
  run: async (ctx, a) => {
    const c = cluster(ctx, a.cluster);
    const out = await applyOp(ctx, a.cluster, await c.csr({ purpose: a.purpose, node: a.node }));
    if (a.sign === false) return out;
    const pending = c.state.csrs.find((x) => x.purpose === a.purpose && x.node === a.node);
    const e = ctx.lab.cas.enterprise;
    if (!pending || !e) throw new EmulatorError('INVALID_STATE', 'no pending CSR or no enterprise CA to sign it');
    const published = await readLabCa(ctx.lab.dir);
    const cert = await signCsr(e.issuing, parseCsr(pending.csrPem), {
      now: new Date(ctx.clock.now()), serial: ctx.lab.random.bytes(16).map((b, i) => (i === 0 ? (b & 0x7f) | 0x10 : b)),
      ocspUrls: [ocspUrlOf(published)], crlUrls: [crlUrlOf(published, e.issuing)],
    });
    await updateLabCa(ctx.lab.dir, `scenario: the lab CA signed ${a.purpose} of ${a.node}`, (j) => noteIssued(j, e.issuing, cert, new Date(ctx.clock.now())));
    const store = PURPOSE_RULES[a.purpose].chainStore;
    for (const ca of [e.root, e.issuing]) out.push(...(await applyOp(ctx, a.cluster, await c.uploadTrust({ store, node: a.node, data: new Uint8Array(Buffer.from(toPem(ca.certificate.der))) }))));
    out.push(...(await applyOp(ctx, a.cluster, await c.uploadIdentity({ purpose: a.purpose, node: a.node, data: new Uint8Array(Buffer.from(toPem(cert.der))) }))));
    // "Every time there's a certificate uploaded … system checks for its status" (14SU3+).
    for (const k of await checkAndRecord(c, new Date(ctx.clock.now()), 'upload', (t) => t.node === a.node && t.certificate.serialHex === cert.serialHex)) out.push(`${a.cluster}: revocation check of ${k.where} on ${k.node}: ${k.status}${k.by ? ` (${k.by})` : ''}`);
    return out;
  },
});

export const upload = defineStep({
  name: 'upload',
  summary: 'Upload a certificate into a trust store (default: the purpose\'s own trust store, else CallManager-trust).',
  args: Obj({ cluster: ClusterName, store: Opt(Store), node: NodeName, from: CertRef }),
  example: { cluster: 'B', store: 'CallManager-trust', node: 'pub', from: { cluster: 'A', purpose: 'CallManager', node: 'pub' } },
  run: async (ctx, a) => {
    const store = a.store ?? ('purpose' in a.from ? DEFAULT_STORE[a.from.purpose] : undefined) ?? 'CallManager-trust';
    return applyOp(ctx, a.cluster, await cluster(ctx, a.cluster).uploadTrust({ store, node: a.node, data: new Uint8Array(Buffer.from(ctx.certificate(a.from))) }));
  },
});

export const remove = defineStep({
  name: 'delete',
  summary: 'Delete a trust certificate, by its entry name or by the certificate it holds.',
  args: Obj({ cluster: ClusterName, store: Store, node: NodeName, name: Opt(Str('the trust entry\'s name')), from: Opt(CertRef) }),
  example: { cluster: 'A', store: 'CallManager-trust', node: 'pub', name: 'Cisco_Manufacturing_CA' },
  run: async (ctx, a) => {
    const name = a.name ?? (a.from ? entryNameOf(ctx, a.cluster, a.store, a.node, a.from) : undefined);
    if (!name) throw new EmulatorError('INVALID_ARGUMENT', 'delete needs a name or from');
    return applyOp(ctx, a.cluster, await cluster(ctx, a.cluster).deleteTrust({ store: a.store, node: a.node, name }));
  },
});

export const reuse = defineStep({
  name: 'reuse',
  summary: 'Reuse the multi-server tomcat certificate for CallManager (14 and later).',
  args: Obj({ cluster: ClusterName, which: Enum(['tomcat', 'tomcat-ECDSA'] as const) }),
  example: { cluster: 'A', which: 'tomcat' },
  run: async (ctx, a) => applyOp(ctx, a.cluster, await cluster(ctx, a.cluster).reuse(a.which)),
});

export const bulkExportStep = defineStep({
  name: 'bulk-export',
  summary: 'Bulk Certificate Management: export the cluster\'s certificates to the scenario\'s SFTP directory, one PKCS#12 file per node and type (`<node>_tftp.p12`, …).',
  args: Obj({ cluster: ClusterName, types: Opt(Type.Array(BulkType, { minItems: 1, description: 'which certificate types (default all: the GUI\'s "All")' })) }),
  example: { cluster: 'B' },
  run: async (ctx, a) => {
    const m = await bulkExport(cluster(ctx, a.cluster).state, ctx.sftpDir, a.types ? { types: a.types } : {});
    return [`${a.cluster}: exported ${m.files.map((f) => f.file).join(', ')}`];
  },
});

export const bulkConsolidateStep = defineStep({
  name: 'bulk-consolidate',
  summary: 'Bulk Certificate Management: consolidate every PKCS#12 file in the SFTP directory into consolidated.p12.',
  args: Empty,
  example: null,
  run: async (ctx) => {
    const b = await bulkConsolidate(ctx.sftpDir);
    return [`consolidated ${b.units.map((u) => u.unit).join(', ')} into ${b.file}`];
  },
});

export const bulkImportStep = defineStep({
  name: 'bulk-import',
  summary: 'Bulk Certificate Management: import the consolidated certificates of the other clusters into the stores the Administration Guide names for each type, or into one `store`, optionally only some `units`.',
  args: Obj({
    cluster: ClusterName,
    types: Opt(Type.Array(BulkType, { minItems: 1, description: 'which certificate types (default TFTP, ITL_Recovery, CAPF)' })),
    units: Opt(Type.Array(Str('a unit of the consolidated bundle, `<node>_<type>` such as `bpub_tftp`'), { minItems: 1, description: 'import only these units (default every unit of the chosen types)' })),
    store: Opt(Store),
  }),
  example: { cluster: 'A', types: ['TFTP', 'ITL_Recovery'], units: ['bpub_tftp', 'bpub_itlrecovery'], store: 'Phone-SAST-trust' },
  run: async (ctx, a) => {
    const certs = await readConsolidated(ctx.sftpDir);
    return applyOp(ctx, a.cluster, await cluster(ctx, a.cluster).bulkImport(certs, {
      types: a.types ?? ['TFTP', 'ITL_Recovery', 'CAPF'], ...(a.units ? { units: a.units } : {}), ...(a.store ? { store: a.store as TrustStoreName } : {}),
    }));
  },
});

export const itlReset = defineStep({
  name: 'itl-reset',
  summary: '`utils itl reset localkey`: sign the next ITL with CallManager so that phones holding the ITLRecovery-signed one accept it.',
  args: Obj({ cluster: ClusterName, key: Opt(Enum(['localkey'] as const)) }),
  example: { cluster: 'A' },
  run: async (ctx, a) => applyOp(ctx, a.cluster, await cluster(ctx, a.cluster).itlReset({ which: 'localkey' })),
});

export const ctl = defineStep({
  name: 'ctl',
  summary: '`utils ctl`: set the cluster mixed or non-secure, update the CTL file, or reset it with the local key.',
  args: Obj({ cluster: ClusterName, action: Enum(['set-mixed', 'set-non-secure', 'update', 'reset-localkey'] as const) }),
  example: { cluster: 'A', action: 'update' },
  run: async (ctx, a) => {
    const c = cluster(ctx, a.cluster);
    const r = a.action === 'set-mixed' ? await c.ctlSetCluster('mixed') : a.action === 'set-non-secure' ? await c.ctlSetCluster('non-secure') : a.action === 'update' ? await c.ctlUpdate() : await c.ctlResetLocalkey();
    return applyOp(ctx, a.cluster, r);
  },
});

/** Enterprise parameters a cluster may not carry yet (absent means their default). */
const OPTIONAL_PARAMS: readonly string[] = ['capfCertificateIssuer', 'certificateValidityCheck', 'validityCheckFrequencyDays'];

export const param = defineStep({
  name: 'param',
  summary: 'Set an enterprise parameter.',
  args: Obj({ cluster: ClusterName, name: Str('the parameter'), value: Type.Union([Type.String(), Type.Boolean(), Type.Integer()]) }),
  example: { cluster: 'A', name: 'rollbackToPre80', value: true },
  run: async (ctx, a) => {
    const c = cluster(ctx, a.cluster);
    const key = a.name as keyof EnterpriseParameters;
    if (!(key in c.state.params) && !OPTIONAL_PARAMS.includes(key)) throw new EmulatorError('INVALID_ARGUMENT', `unknown enterprise parameter "${a.name}"; one of: ${Object.keys(c.state.params).join(', ')}`);
    const value = key === 'tlsCiphers' ? normaliseCipher(String(a.value)) : a.value;
    return applyOp(ctx, a.cluster, await c.setParam(key, value as never));
  },
});

export const restart = defineStep({
  name: 'restart',
  summary: '`utils service restart`: restart a service on some or all nodes.',
  args: Obj({ cluster: ClusterName, service: Service, nodes: Opt(Type.Array(NodeName)) }),
  example: { cluster: 'A', service: 'TVS' },
  run: async (ctx, a) => applyOp(ctx, a.cluster, await cluster(ctx, a.cluster).restartService(a.service, a.nodes)),
});

export const provision = defineStep({
  name: 'provision',
  summary: 'Provision (or re-provision) a fleet\'s devices on a cluster: security profile and CAPF settings.',
  args: Obj({ fleet: FleetName, cluster: ClusterName, profile: Opt(Profile), capf: Opt(CapfSettings) }),
  example: { fleet: 'phones', cluster: 'A', profile: 'encrypted', capf: { operation: 'install', authMode: 'null-string' } },
  run: async (ctx, a) => {
    const f = ctx.requireFleet(a.fleet);
    await cluster(ctx, a.cluster).upsertDevices(f.phones.map((p) => ({ mac: p.mac, model: p.model, profile: a.profile ?? f.spec.profile ?? 'non-secure', ...(a.capf ? { capf: a.capf } : {}) })));
    return [`${a.cluster}: ${f.phones.length} device(s) of ${a.fleet} provisioned${a.profile ? ` (${a.profile})` : ''}${a.capf?.operation ? `, CAPF ${a.capf.operation}` : ''}`];
  },
});

export const CLUSTER_STEPS = [generate, regenerate, csr, upload, remove, reuse, bulkExportStep, bulkConsolidateStep, bulkImportStep, itlReset, ctl, param, restart, provision] as const;
