import { performance } from 'node:perf_hooks';
import { ClusterServers } from '../cluster/serve/index.js';
import { PHONE_ITL_SIZE_LIMIT } from '../trustlist/index.js';
import { systemClock, type ManualClock } from '../shared/clock.js';
import { manufacturePhone, VirtualPhone, type PhoneBusEvent } from '../../phones/index.js';
import { EventBus } from '../shared/events.js';
import * as M from '../../phones/machine/messages.js';
import type { FuzzStatus } from './engine.js';
import { FindingLog, type Finding } from './findings.js';
import { mutate, MUTATORS, type MutationContext } from './mutators.js';
import { referenceRecords, referenceVerdict } from './reference.js';
import { Rng } from './rng.js';
import type { FuzzSetup } from './setup.js';

/**
 * The served target (issue 8): mutants of cluster A's ITL or CTL are served over the TFTP and
 * HTTP servers to running virtual phones, which reset and fetch them over real sockets. After
 * each mutant every phone must either hold a file the reference accepts, or keep its last good
 * trust list and show the documented status ("Trust List update failed" / "CTL update failed").
 */
export const SERVED_TFTP_PORT = 6969;

export async function fuzzServed(o: { kind: 'itl' | 'ctl'; seed: string; runs?: number; timeMs?: number; setup: FuzzSetup; phones?: number; onStatus?: (s: FuzzStatus) => void; onFinding?: (f: Finding) => void | Promise<void>; signal?: AbortSignal }): Promise<{ status: FuzzStatus; findings: Finding[] }> {
  const { A, lab } = o.setup;
  const clock = lab.clock as ManualClock;
  const servers = new ClusterServers(A, { clock, netClock: systemClock, ports: { tftp: SERVED_TFTP_PORT }, nodes: ['pub', 'sub'] });
  await servers.listen();
  const rng = new Rng(`${o.seed}/served/${o.kind}`);
  const file = o.kind === 'itl' ? 'ITLFile.tlv' : 'CTLFile.tlv';
  const seed = o.kind === 'itl' ? A.itl('pub') : A.ctl()!;
  const corpus = [seed];
  const mctx: MutationContext = { rng, corpus, rogue: o.setup.rogue, forged: o.setup.forged, kind: 'list' };
  const models = ['8861', '8845', '7942', '7841'];
  const phones: VirtualPhone[] = [];
  const statuses = new Map<string, string[]>();
  const events = new EventBus<PhoneBusEvent>();
  events.on('phone.status', (e) => statuses.get(e.device)?.push(e.message));
  for (let i = 0; i < (o.phones ?? 4); i++) {
    const record = await manufacturePhone({ mac: `00AF0000${i.toString(16).padStart(4, '0')}`.toUpperCase(), model: models[i % models.length]!, tftpServers: [A.node('pub').ipv4], manufacturing: lab.cas.manufacturing, pool: lab.pool, manufactured: new Date(clock.now() - 86_400_000) });
    phones.push(new VirtualPhone(record, undefined, { clock, netClock: systemClock, tftpPort: SERVED_TFTP_PORT, httpPort: 6970, timeoutMs: 3000, events }));
  }
  await A.upsertDevices(phones.map((p) => ({ mac: p.record.mac, model: p.model.id })));
  for (const p of phones) p.powerOn();
  await Promise.all(phones.map((p) => p.whenIdle()));
  const log = new FindingLog(o.onFinding);
  let execs = 0;
  let accepted = 0;
  const t0 = performance.now();
  const runs = o.runs ?? (o.timeMs ? Number.POSITIVE_INFINITY : 200);
  const deadline = o.timeMs ? t0 + o.timeMs : Number.POSITIVE_INFINITY;
  const status = (): FuzzStatus => ({ execs, elapsedMs: performance.now() - t0, execsPerSecond: execs / Math.max((performance.now() - t0) / 1000, 1e-9), findings: log.findings.length, errorCodes: [], features: 0, corpus: corpus.length, accepted, disagreements: 0, byKind: log.byKind });
  const report = (kind: Finding['kind'], message: string, bytes: Uint8Array, iteration: number, applied: string[]): Promise<void> =>
    log.report({ fuzzKind: o.kind, target: 'served', kind, message, seed: o.seed, iteration, mutators: applied, input: Buffer.from(bytes).toString('base64') });
  try {
    for (let i = 0; i < runs && performance.now() < deadline && !o.signal?.aborted; i++) {
      const { bytes, applied } = mutate(seed, mctx, Object.keys(MUTATORS));
      for (const n of ['pub', 'sub']) servers.overrideFile(n, file, bytes);
      const before = phones.map((p) => ({ itl: p.state.flash.itl, ctl: p.state.flash.ctl }));
      for (const p of phones) statuses.set(p.device, []);
      for (const p of phones) p.reset();
      await Promise.all(phones.map((p) => p.whenIdle()));
      execs++;
      for (const [k, p] of phones.entries()) {
        const was = before[k]!;
        const now = o.kind === 'itl' ? p.state.flash.itl : p.state.flash.ctl;
        const held = o.kind === 'itl' ? was.itl : was.ctl;
        if (now !== held) {
          accepted++;
          const trustedFrom = o.kind === 'itl' ? (was.ctl ?? was.itl) : (was.ctl ?? was.itl);
          const trusted = (referenceRecords(new Uint8Array(Buffer.from(trustedFrom ?? '', 'base64'))) ?? []).filter((r) => r.role === 0 || (o.kind === 'itl' && was.ctl !== undefined && r.role === 2)).map((r) => r.der);
          const ref = referenceVerdict(new Uint8Array(Buffer.from(now ?? '', 'base64')), { trusted, tvs: o.setup.scenes.itl[0]!.reference.tvs, firstUse: !was.itl && !was.ctl, ...(o.kind === 'itl' ? { maxBytes: PHONE_ITL_SIZE_LIMIT } : {}) });
          if (!ref.acceptable) await report('false-accept', `${p.model.productName} installed a served ${file} the reference rejects: ${ref.why}`, bytes, i, applied);
        } else {
          const msgs = statuses.get(p.device) ?? [];
          const rejected = p.state.boot[o.kind] === 'rejected';
          const documented = msgs.includes(M.STATUS.trustListUpdateFailed) || msgs.includes(M.STATUS.ctlUpdateFailed);
          if (rejected && !documented && p.model.sbd) await report('state-lost', `${p.model.productName} rejected the served ${file} without the documented status message`, bytes, i, applied);
        }
      }
      if (o.onStatus && (i & 7) === 0) o.onStatus(status());
    }
  } finally {
    for (const p of phones) p.powerOff();
    await servers.close();
  }
  const s = status();
  o.onStatus?.(s);
  return { status: s, findings: log.findings };
}
