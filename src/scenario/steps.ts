import { join } from 'node:path';
import { bulkConsolidate, bulkExport, certOf, PURPOSE_RULES, readConsolidated, type BulkType, type ClusterEvent, type EnterpriseParameters, type OpResult, type Purpose, type TrustStoreName } from '../cluster/index.js';
import type { ClusterServiceName } from '../cluster/serve/index.js';
import { parseCsr, signCsr, toPem } from '../pki/index.js';
import { EmulatorError, isEmulatorError } from '../shared/errors.js';
import type { VirtualPhone } from '../../phones/index.js';
import { normaliseCipher, type ScenarioContext } from './context.js';
import type { CertRef, NetworkService, PhoneSelector, Step } from './types.js';
import { tamperTrustList, type Tampering } from './tamper.js';

/**
 * What each step does (issue 7): cluster operations go through the model (and so through its
 * rules and side effects), network events stop and start real servers, phone actions act on real
 * phones and wait for them to come to rest, and `advance` moves the simulated clock. Each
 * returns the cluster's own account of what happened (restarts required, files rebuilt …) for
 * the report.
 */
export type Progress = (done: number, total: number) => void;
type Exec = (ctx: ScenarioContext, args: never, progress: Progress) => Promise<string[]>;

const describeOp = (cluster: string, r: OpResult): string[] => r.events.map((e) => `${cluster}: ${describeClusterEvent(e)}`);

export function describeClusterEvent(e: ClusterEvent): string {
  switch (e.type) {
    case 'cert.generated': return `${e.purpose} ${e.signedBy === 'ca' ? 'CA-signed certificate installed' : 'regenerated'} on ${e.nodes.join(', ')}`;
    case 'csr.generated': return `CSR for ${e.purpose} on ${e.node}`;
    case 'trust.added': return `${e.store}/${e.name} added on ${e.nodes.join(', ')}`;
    case 'trust.unchanged': return `${e.store}/${e.name} already present`;
    case 'trust.deleted': return `${e.store}/${e.name} deleted on ${e.nodes.join(', ')}`;
    case 'file.rebuilt': return `${e.file} rebuilt: ${e.reason}`;
    case 'service.restart': return `${e.automatic ? 'restarted' : 'restart required'}: ${e.service} on ${e.nodes.join(', ')}`;
    case 'phones.reset': return `${e.automatic ? 'phones reset automatically' : 'phones need a reset'}: ${e.reason}`;
    case 'ctl.update.required': return `CTL update required: ${e.reason}`;
    case 'cluster.mode': return `security mode ${e.securityMode}`;
    case 'param.changed': return `${e.name} = ${String(e.value)}`;
    case 'device.changed': return `${e.device}: ${e.change}`;
    case 'warning': return `warning ${e.code}: ${e.message}`;
  }
}

/** Phones a selector names. */
export function selectPhones(ctx: ScenarioContext, sel: PhoneSelector): VirtualPhone[] {
  const s = typeof sel === 'string' ? { fleet: sel } : sel;
  const phones = ctx.requireFleet(s.fleet).fleet.phones;
  const n = s.count ?? (s.fraction !== undefined ? Math.round(phones.length * s.fraction) : phones.length);
  return phones.slice(0, Math.min(n, phones.length));
}

const phoneAction = (act: (p: VirtualPhone) => void): Exec => (async (ctx: ScenarioContext, sel: PhoneSelector, progress: Progress) => {
  const phones = selectPhones(ctx, sel);
  const fleetName = typeof sel === 'string' ? sel : sel.fleet;
  const r = await ctx.requireFleet(fleetName).fleet.each(act, { phones, onProgress: (p) => progress(p.done, p.total) });
  return [`${phones.length} phone(s): ${Object.entries(r.tally).map(([k, v]) => `${v} ${k}`).join(', ')}`];
}) as Exec;

/** Parses "24h", "30m", "1.5d", "5y". */
export function durationMs(text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d|y)$/.exec(text.trim());
  if (!m) throw new EmulatorError('INVALID_ARGUMENT', `"${text}" is not a duration like 24h, 30m or 5y`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, y: 365 * 86_400_000 }[m[2] as 'ms']!;
  return Math.round(Number(m[1]) * unit);
}

const SERVICES_OF: Record<NetworkService, ClusterServiceName[] | undefined> = {
  tftp: ['tftp', 'http'], http: ['http'], tvs: ['tvs'], sip: ['sip'], capf: ['capf'], https: ['https'], all: undefined,
};

async function network(ctx: ScenarioContext, a: { cluster: string; node?: string; service?: NetworkService }, up: boolean): Promise<string[]> {
  const rc = ctx.requireCluster(a.cluster);
  const nodes = a.node ? [a.node] : rc.cluster.state.nodes.map((n) => n.hostname);
  const services = SERVICES_OF[a.service ?? 'all'];
  for (const n of nodes) {
    if (!services) await (up ? rc.servers.start(n) : rc.servers.stop(n));
    else for (const s of services) await (up ? rc.servers.start(n, s) : rc.servers.stop(n, s));
  }
  return [`${a.cluster}: ${a.service ?? 'every service'} ${up ? 'started' : 'stopped'} on ${nodes.join(', ')}`];
}

const DEFAULT_STORE: Partial<Record<Purpose, TrustStoreName>> = { CAPF: 'CAPF-trust', tomcat: 'tomcat-trust', 'tomcat-ECDSA': 'tomcat-trust' };

function trustNameOf(ctx: ScenarioContext, ref: CertRef): string {
  return certOf(ctx.certificate(ref)).subject.find(([k]) => k === 'CN')?.[1] ?? 'unknown';
}

export const STEPS: Record<string, Exec> = {
  generate: (async (ctx: ScenarioContext, a: { cluster: string; purpose: Purpose; node: string; keyLength?: number; hash?: string; distribution?: 'node' | 'multi-server' }) => {
    const c = ctx.requireCluster(a.cluster).cluster;
    return describeOp(a.cluster, await c.generate({ purpose: a.purpose, node: a.node, ...(a.keyLength ? { keyLength: a.keyLength } : {}), ...(a.hash ? { hash: a.hash.replace('SHA', 'SHA-') as 'SHA-256' } : {}), ...(a.distribution ? { distribution: a.distribution } : {}) }));
  }) as Exec,
  regenerate: (async (ctx: ScenarioContext, a: { cluster: string; purpose: Purpose; node: string }) => describeOp(a.cluster, await ctx.requireCluster(a.cluster).cluster.regenerate(a.purpose, a.node))) as Exec,
  csr: (async (ctx: ScenarioContext, a: { cluster: string; purpose: Purpose; node: string; sign?: boolean }) => {
    const c = ctx.requireCluster(a.cluster).cluster;
    const out = describeOp(a.cluster, await c.csr({ purpose: a.purpose, node: a.node }));
    if (a.sign === false) return out;
    const pending = c.state.csrs.find((x) => x.purpose === a.purpose && x.node === a.node);
    const e = ctx.lab.cas.enterprise;
    if (!pending || !e) throw new EmulatorError('INVALID_STATE', 'no pending CSR or no enterprise CA to sign it');
    const cert = await signCsr(e.issuing, parseCsr(pending.csrPem), { now: new Date(ctx.clock.now()), serial: ctx.lab.random.bytes(16).map((b, i) => (i === 0 ? (b & 0x7f) | 0x10 : b)) });
    const store = PURPOSE_RULES[a.purpose].chainStore;
    for (const ca of [e.root, e.issuing]) {
      const r = await c.uploadTrust({ store, node: a.node, data: new Uint8Array(Buffer.from(toPem(ca.certificate.der))) });
      out.push(...describeOp(a.cluster, r));
    }
    out.push(...describeOp(a.cluster, await c.uploadIdentity({ purpose: a.purpose, node: a.node, data: new Uint8Array(Buffer.from(toPem(cert.der))) })));
    return out;
  }) as Exec,
  upload: (async (ctx: ScenarioContext, a: { cluster: string; store?: TrustStoreName; node: string; from: CertRef }) => {
    const store = a.store ?? ('purpose' in a.from ? DEFAULT_STORE[a.from.purpose] : undefined) ?? 'CallManager-trust';
    return describeOp(a.cluster, await ctx.requireCluster(a.cluster).cluster.uploadTrust({ store, node: a.node, data: new Uint8Array(Buffer.from(ctx.certificate(a.from))) }));
  }) as Exec,
  delete: (async (ctx: ScenarioContext, a: { cluster: string; store: TrustStoreName; node: string; name?: string; from?: CertRef }) => {
    const name = a.name ?? (a.from ? trustNameOf(ctx, a.from) : undefined);
    if (!name) throw new EmulatorError('INVALID_ARGUMENT', 'delete needs a name or from');
    return describeOp(a.cluster, await ctx.requireCluster(a.cluster).cluster.deleteTrust({ store: a.store, node: a.node, name }));
  }) as Exec,
  reuse: (async (ctx: ScenarioContext, a: { cluster: string; which: 'tomcat' | 'tomcat-ECDSA' }) => describeOp(a.cluster, await ctx.requireCluster(a.cluster).cluster.reuse(a.which))) as Exec,
  'bulk-export': (async (ctx: ScenarioContext, a: { cluster: string }) => {
    const m = await bulkExport(ctx.requireCluster(a.cluster).cluster.state, ctx.sftpDir, new Date(ctx.clock.now()));
    return [`${a.cluster}: exported ${m.certificates.map((c) => `${c.type}:${c.node}`).join(', ')} to ${join(ctx.sftpDir, a.cluster)}`];
  }) as Exec,
  'bulk-consolidate': (async (ctx: ScenarioContext) => {
    const b = await bulkConsolidate(ctx.sftpDir, new Date(ctx.clock.now()));
    return [`consolidated ${b.clusters.join(', ')}`];
  }) as Exec,
  'bulk-import': (async (ctx: ScenarioContext, a: { cluster: string; types?: BulkType[] }) => {
    const read = await readConsolidated(ctx.sftpDir);
    return describeOp(a.cluster, await ctx.requireCluster(a.cluster).cluster.bulkImport(read.certificates, a.types ?? ['TFTP', 'ITL_Recovery', 'CAPF']));
  }) as Exec,
  'itl-reset': (async (ctx: ScenarioContext, a: { cluster: string }) => describeOp(a.cluster, await ctx.requireCluster(a.cluster).cluster.itlReset({ which: 'localkey' }))) as Exec,
  ctl: (async (ctx: ScenarioContext, a: { cluster: string; action: 'set-mixed' | 'set-non-secure' | 'update' | 'reset-localkey' }) => {
    const c = ctx.requireCluster(a.cluster).cluster;
    const r = a.action === 'set-mixed' ? await c.ctlSetCluster('mixed') : a.action === 'set-non-secure' ? await c.ctlSetCluster('non-secure') : a.action === 'update' ? await c.ctlUpdate() : await c.ctlResetLocalkey();
    return describeOp(a.cluster, r);
  }) as Exec,
  param: (async (ctx: ScenarioContext, a: { cluster: string; name: string; value: string | boolean }) => {
    const c = ctx.requireCluster(a.cluster).cluster;
    const key = a.name as keyof EnterpriseParameters;
    if (!(key in c.state.params) && key !== 'capfCertificateIssuer') throw new EmulatorError('INVALID_ARGUMENT', `unknown enterprise parameter "${a.name}"; one of: ${Object.keys(c.state.params).join(', ')}`);
    const value = key === 'tlsCiphers' ? normaliseCipher(String(a.value)) : a.value;
    return describeOp(a.cluster, await c.setParam(key, value as never));
  }) as Exec,
  restart: (async (ctx: ScenarioContext, a: { cluster: string; service: 'TFTP' | 'TVS' | 'CallManager' | 'CAPF'; nodes?: string[] }) => describeOp(a.cluster, await ctx.requireCluster(a.cluster).cluster.restartService(a.service, a.nodes))) as Exec,
  provision: (async (ctx: ScenarioContext, a: { fleet: string; cluster: string; profile?: 'non-secure' | 'authenticated' | 'encrypted'; capf?: { operation?: 'install' | 'none' | 'delete'; authMode?: 'null-string' | 'auth-string' | 'existing-lsc' | 'existing-mic'; authString?: string } }) => {
    const f = ctx.requireFleet(a.fleet);
    const c = ctx.requireCluster(a.cluster).cluster;
    await c.upsertDevices(f.fleet.phones.map((p) => ({ mac: p.record.mac, model: p.model.id, profile: a.profile ?? f.spec.profile ?? 'non-secure', ...(a.capf ? { capf: a.capf } : {}) })));
    return [`${a.cluster}: ${f.fleet.phones.length} device(s) of ${a.fleet} provisioned${a.profile ? ` (${a.profile})` : ''}${a.capf?.operation ? `, CAPF ${a.capf.operation}` : ''}`];
  }) as Exec,
  stop: ((ctx: ScenarioContext, a: { cluster: string; node?: string; service?: NetworkService }) => network(ctx, a, false)) as Exec,
  start: ((ctx: ScenarioContext, a: { cluster: string; node?: string; service?: NetworkService }) => network(ctx, a, true)) as Exec,
  boot: phoneAction((p) => p.powerOn()),
  'power-on': phoneAction((p) => p.powerOn()),
  'power-off': phoneAction((p) => p.powerOff()),
  reset: phoneAction((p) => p.reset()),
  'security-reset': phoneAction((p) => p.securityReset()),
  'factory-reset': phoneAction((p) => p.factoryReset()),
  'delete-itl': phoneAction((p) => p.deleteItl()),
  'open-directory': phoneAction((p) => p.openDirectory()),
  'auth-string': (async (ctx: ScenarioContext, a: { fleet: string; value: string }, progress: Progress) => {
    const f = ctx.requireFleet(a.fleet);
    await f.fleet.each((p) => p.enterAuthString(a.value), { onProgress: (p) => progress(p.done, p.total) });
    return [`authentication string entered on ${f.fleet.phones.length} phone(s)`];
  }) as Exec,
  move: (async (ctx: ScenarioContext, a: { fleet: string; to: string; tftp?: string[]; count?: number }, progress: Progress) => {
    const f = ctx.requireFleet(a.fleet);
    const target = ctx.requireCluster(a.to).cluster;
    const phones = f.fleet.phones.slice(0, a.count ?? f.fleet.phones.length);
    const missing = phones.filter((p) => !target.device(p.device));
    if (missing.length) await target.upsertDevices(missing.map((p) => ({ mac: p.record.mac, model: p.model.id, profile: f.spec.profile ?? 'non-secure' })));
    const servers = (a.tftp ?? [target.publisher.hostname]).map((n) => target.node(n).ipv4);
    await f.fleet.each((p) => p.setTftpServers(servers), { phones, onProgress: (p) => progress(p.done, p.total) });
    if (phones.length === f.fleet.phones.length) f.cluster = a.to;
    return [`${phones.length} phone(s) of ${a.fleet} pointed at ${a.to} (option 150 ${servers.join(', ')})${missing.length ? `; ${missing.length} device(s) added to ${a.to}` : ''}`];
  }) as Exec,
  tamper: (async (ctx: ScenarioContext, a: { cluster: string; node?: string; file: 'ITLFile.tlv' | 'CTLFile.tlv'; how: Tampering | 'none' }) => {
    const rc = ctx.requireCluster(a.cluster);
    const nodes = a.node ? [a.node] : rc.cluster.state.nodes.filter((n) => n.services.includes('TFTP')).map((n) => n.hostname);
    for (const n of nodes) {
      if (a.how === 'none') {
        rc.servers.overrideFile(n, a.file, undefined);
        continue;
      }
      const real = a.file === 'ITLFile.tlv' ? rc.cluster.itl(n) : rc.cluster.ctl();
      if (!real) throw new EmulatorError('INVALID_STATE', `${a.cluster} serves no ${a.file} to tamper with`);
      rc.servers.overrideFile(n, a.file, tamperTrustList(real, a.how));
    }
    return [`${a.cluster}: ${a.file} on ${nodes.join(', ')} ${a.how === 'none' ? 'served as the model builds it again' : `replaced by a copy with ${a.how} tampered`}`];
  }) as Exec,
  advance: (async (ctx: ScenarioContext, a: string) => {
    ctx.clock.advance(durationMs(a));
    await ctx.settle();
    return [`clock advanced ${a} to ${new Date(ctx.clock.now()).toISOString()}`];
  }) as Exec,
  settle: (async (ctx: ScenarioContext) => {
    await ctx.settle();
    return ['every phone at rest'];
  }) as Exec,
};

/** The step's action name and its arguments. */
export function actionOf(step: Step): { action: string; args: unknown } {
  const [action, args] = Object.entries(step).find(([k]) => k !== 'name' && k !== 'expect-error')!;
  return { action, args };
}

/** A one-line description of a step for tables and the report's runbook column. */
export function stepTitle(step: Step): string {
  if (step.name) return step.name;
  const { action, args } = actionOf(step);
  if (action === 'expect') return `expect: ${(args as Array<{ name: string }>).map((e) => e.name).join('; ')}`;
  if (typeof args === 'string') return `${action} ${args}`;
  if (!args) return action;
  const a = args as Record<string, unknown>;
  const parts = ['cluster', 'fleet', 'purpose', 'service', 'node', 'store', 'action', 'name', 'value', 'to', 'which', 'count', 'fraction']
    .filter((k) => a[k] !== undefined).map((k) => String(a[k]));
  if (a['from']) parts.push(`from ${Object.values(a['from'] as object).join('/')}`);
  return `${action} ${parts.join(' ')}`.trim();
}

/** Runs one (non-expect) step; a refused operation with the expected code counts as success. */
export async function runStep(ctx: ScenarioContext, step: Step, progress: Progress): Promise<{ lines: string[]; refused?: string }> {
  const { action, args } = actionOf(step);
  const exec = STEPS[action];
  if (!exec) throw new EmulatorError('INVALID_ARGUMENT', `unknown step "${action}"`);
  const want = step['expect-error'];
  try {
    const lines = await exec(ctx, args as never, progress);
    if (want) throw new EmulatorError('SCENARIO_STEP_FAILED', `step "${stepTitle(step)}" was expected to be refused with ${want}, but it succeeded`);
    return { lines };
  } catch (e) {
    if (want && isEmulatorError(e) && e.code === want) return { lines: [`refused as expected: ${e.code}: ${e.message}`], refused: e.code };
    if (isEmulatorError(e, 'SCENARIO_STEP_FAILED')) throw e;
    const code = isEmulatorError(e) ? e.code : 'INTERNAL';
    throw new EmulatorError('SCENARIO_STEP_FAILED', `step "${stepTitle(step)}" failed: ${code}: ${(e as Error).message}`, { cause: e, details: { code } });
  }
}
