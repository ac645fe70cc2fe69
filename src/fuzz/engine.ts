import { performance } from 'node:perf_hooks';
import { FindingLog, findingId, saveScene, type Finding } from './findings.js';
import { minimise } from './minimise.js';
import { MUTATOR_GROUPS, MUTATORS, mutate, SGN_MUTATORS, type MutationContext } from './mutators.js';
import { Rng } from './rng.js';
import type { FuzzSetup } from './setup.js';
import { execCodec, execPhone, PRODUCTION_SUBJECT, type ExecResult, type FuzzKind, type PhoneScene, type PhoneSubject } from './targets.js';

/**
 * The fuzz loop (issue 8): pick an input from the corpus (seeds, then mutants that reached new
 * coverage), apply one to three mutators, run the target's oracle, keep new findings (minimised
 * by delta debugging) and report status. Deterministic for a seed: the generator, the corpus
 * order and every mutator draw from one seeded stream.
 */
export type FuzzTarget = 'codec' | 'phone';

export interface FuzzOptions {
  kind: FuzzKind;
  target: FuzzTarget;
  seed: string;
  /** Stop after this many executions… */
  runs?: number;
  /** …or after this long (ms), whichever comes first. */
  timeMs?: number;
  setup: FuzzSetup;
  /** Extra corpus inputs (files from --corpus). */
  corpus?: Uint8Array[];
  /** The phone decisions under test (a test plants a bug here). */
  subject?: PhoneSubject;
  minimise?: boolean;
  /** Called about every 100 ms. */
  onStatus?: (s: FuzzStatus) => void;
  /** Called for each new (distinct) finding. */
  onFinding?: (f: Finding) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface FuzzStatus {
  execs: number;
  elapsedMs: number;
  execsPerSecond: number;
  findings: number;
  /** Distinct typed error codes seen. */
  errorCodes: string[];
  /** Distinct coverage features (tags, roles, decision paths). */
  features: number;
  corpus: number;
  /** Phone target: mutants the phone accepted, and ones it refused though the reference would accept. */
  accepted: number;
  disagreements: number;
  /** Executions per finding kind. */
  byKind: Record<string, number>;
  /** Served tvs/tftp target: the kinds of reply the server gave to mutants. */
  replies?: string[];
}

export interface FuzzResult {
  status: FuzzStatus;
  findings: Finding[];
}

const CORPUS_LIMIT = 512;

export async function fuzz(o: FuzzOptions): Promise<FuzzResult> {
  const rng = new Rng(`${o.seed}/${o.kind}/${o.target}`);
  const seeds = [...o.setup.seeds[o.kind], ...(o.corpus ?? [])];
  const corpus: Uint8Array[] = [...seeds];
  const mctx: MutationContext = { rng, corpus, rogue: o.setup.rogue, forged: o.setup.forged, kind: o.kind === 'sgn' ? 'sgn' : 'list' };
  // Re-signing costs an RSA signature and only matters to trust decisions, not to parsers.
  const signing = new Set(['sign-with-other-key', 'duplicate-sast-other-key', 'mislabelled-digest']);
  const names = o.kind === 'sgn' ? SGN_MUTATORS
    : o.kind === 'tvs' || o.kind === 'tftp' ? MUTATOR_GROUPS.bytes
    : Object.keys(MUTATORS).filter((n) => o.target === 'phone' || !signing.has(n));
  const scenes: PhoneScene[] = o.target === 'phone' && o.kind !== 'tvs' && o.kind !== 'tftp' ? o.setup.scenes[o.kind] : [];
  const subject = o.subject ?? PRODUCTION_SUBJECT;
  const features = new Set<string>();
  const errorCodes = new Set<string>();
  const log = new FindingLog(o.onFinding);
  let accepted = 0;
  let disagreements = 0;
  const t0 = performance.now();
  let lastStatus = t0;
  let execs = 0;
  const runs = o.runs ?? (o.timeMs ? Number.POSITIVE_INFINITY : 10_000);
  const deadline = o.timeMs ? t0 + o.timeMs : Number.POSITIVE_INFINITY;
  const status = (): FuzzStatus => {
    const elapsedMs = performance.now() - t0;
    return { execs, elapsedMs, execsPerSecond: execs / Math.max(elapsedMs / 1000, 1e-9), findings: log.findings.length, errorCodes: [...errorCodes].sort(), features: features.size, corpus: corpus.length, accepted, disagreements, byKind: log.byKind };
  };
  const exec = (bytes: Uint8Array, scene: PhoneScene | undefined): ExecResult => (o.target === 'phone' && scene ? execPhone(o.kind as 'itl', bytes, scene, subject) : execCodec(o.kind, bytes));

  // Typed errors are the common case of a codec run; their stack traces are not needed and cost
  // a third of the time. Restored when the run ends.
  const stackLimit = Error.stackTraceLimit;
  if (o.target === 'codec') Error.stackTraceLimit = 0;
  try {
    for (let i = 0; i < runs; i++) {
      if ((i & 63) === 0) {
        if (o.signal?.aborted || performance.now() > deadline) break;
        const now = performance.now();
        if (o.onStatus && now - lastStatus > 100) {
          lastStatus = now;
          o.onStatus(status());
          await new Promise((r) => setImmediate(r));
        }
      }
      const base = corpus[rng.int(corpus.length)]!;
      const { bytes, applied } = mutate(base, mctx, names);
      const scene = scenes.length ? scenes[rng.int(scenes.length)] : undefined;
      const r = exec(bytes, scene);
      execs++;
      if (r.errorCode) errorCodes.add(r.errorCode);
      if (r.accepted) accepted++;
      if (r.disagreement) disagreements++;
      let fresh = false;
      for (const f of r.features) {
        if (!features.has(f)) {
          features.add(f);
          fresh = true;
        }
      }
      if (fresh && !r.finding && bytes.length <= 256 * 1024) {
        if (corpus.length >= CORPUS_LIMIT) corpus.splice(seeds.length + rng.int(corpus.length - seeds.length), 1);
        corpus.push(bytes);
      }
      if (!r.finding || !log.isNew(r.finding.kind, r.finding.message, scene?.name)) continue;
      const kind = r.finding.kind;
      const small = o.minimise === false ? undefined : minimise(bytes, (b) => exec(b, scene).finding?.kind === kind, 400);
      const finding: Finding = {
        formatVersion: 1,
        id: findingId(kind, r.finding.message, bytes),
        fuzzKind: o.kind,
        target: o.target,
        kind,
        message: r.finding.message,
        seed: o.seed,
        iteration: i,
        mutators: applied,
        input: Buffer.from(bytes).toString('base64'),
        ...(small ? { minimised: Buffer.from(small).toString('base64') } : {}),
        ...(scene ? { scene: saveScene(scene.name, scene.flash, scene.reference, scene.reference.tvs.filter((d) => scene.tvsVouches(d))) } : {}),
      };
      await log.keep(finding);
    }
  } finally {
    Error.stackTraceLimit = stackLimit;
  }
  const s = status();
  o.onStatus?.(s);
  return { status: s, findings: log.findings };
}

/** Replays a saved finding: runs its input (and minimised input) through the same oracle again. */
export function replay(f: Finding, subject: PhoneSubject = PRODUCTION_SUBJECT): { input: ExecResult; minimised?: ExecResult } {
  const run = (b64: string): ExecResult => {
    const bytes = new Uint8Array(Buffer.from(b64, 'base64'));
    if (f.target === 'phone' && f.scene) {
      const s = f.scene;
      const der = (x: string): Uint8Array => new Uint8Array(Buffer.from(x, 'base64'));
      const vouched = new Set(s.tvs);
      const scene: PhoneScene = {
        name: s.name,
        flash: { tvsCache: [], log: [], ...s.flash },
        reference: { trusted: s.trusted.map(der), tvs: s.tvs.map(der), firstUse: s.firstUse, ...(s.signedFile ? { signedFile: true } : {}) },
        tvsVouches: (d) => vouched.has(Buffer.from(d).toString('base64')),
      };
      return execPhone(f.fuzzKind as 'itl', bytes, scene, subject);
    }
    return execCodec(f.fuzzKind, bytes);
  };
  return { input: run(f.input), ...(f.minimised ? { minimised: run(f.minimised) } : {}) };
}
