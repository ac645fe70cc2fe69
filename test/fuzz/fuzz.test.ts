import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execCodec, execPhone, fuzz, fuzzSetup, mutate, MUTATOR_GROUPS, MUTATORS, readFinding, referenceVerdict, replay, Rng, writeFinding, type FuzzKind, type FuzzSetup } from '../../src/fuzz/index.js';
import { verifyTrustList } from '../../src/trustlist/index.js';
import { TEST_KEYPOOL_DIR } from '../helpers/keypool.js';
import { ROOT } from '../helpers/cli.js';
import { IGNORES_DIGEST_ID, TRUSTS_FIRST_SAST, TVS_EDGE_MISSING } from './planted-bugs.js';

/**
 * The fuzzer's oracles (issue 8): bounded fast-check properties for CI, a clean default run
 * against the product, and two bugs planted in fixtures that the default run must catch.
 */
let setup: FuzzSetup;

beforeAll(async () => {
  setup = await fuzzSetup({ seed: 'test', keyPoolDir: TEST_KEYPOOL_DIR, samplesDir: join(ROOT, '..', 'shared', 'samples') });
}, 120_000);

afterAll(() => setup?.dispose());

const mutationSeq = fc.tuple(fc.integer({ min: 0, max: 2 ** 31 }), fc.nat({ max: 20 }));

function mutant(kind: FuzzKind, seed: number, pick: number): { bytes: Uint8Array; applied: string[] } {
  const rng = new Rng(seed);
  const seeds = setup.seeds[kind];
  const names = kind === 'tvs' || kind === 'tftp' ? MUTATOR_GROUPS.bytes : undefined;
  return mutate(seeds[pick % seeds.length]!, { rng, corpus: seeds, rogue: setup.rogue, forged: setup.forged, kind: kind === 'sgn' ? 'sgn' : 'list' }, names ?? Object.keys(MUTATORS));
}

describe('codec oracle', () => {
  it('the seeds include the real samples and decode', () => {
    expect(setup.seeds.itl.length).toBeGreaterThanOrEqual(6);
    for (const s of setup.seeds.itl) expect(execCodec('itl', s).finding).toBeUndefined();
  });

  for (const kind of ['itl', 'sgn', 'tvs', 'tftp'] as const) {
    it(`${kind}: arbitrary bytes and mutants give a value or a typed error, and re-encode stably`, () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => execCodec(kind, b).finding === undefined), { numRuns: 300, seed: 11 });
      fc.assert(fc.property(mutationSeq, ([s, p]) => {
        const r = execCodec(kind, mutant(kind, s, p).bytes);
        return r.finding === undefined;
      }), { numRuns: 400, seed: 12 });
    });
  }
});

describe('reference verifier', () => {
  it('agrees with the production verifier on the samples and generated files', () => {
    for (const b of setup.seeds.itl) {
      const own = referenceVerdict(b, { trusted: [], tvs: [], firstUse: true });
      expect(own.acceptable, `sample of ${b.length} bytes`).toBe(verifyTrustList(b).valid);
    }
  });

  it('accepts only what production accepts on first use is also acceptable to it (no false accepts), over mutants', () => {
    fc.assert(fc.property(mutationSeq, ([s, p]) => {
      const { bytes } = mutant('itl', s, p);
      let prod = false;
      try {
        prod = verifyTrustList(bytes).valid;
      } catch {
        prod = false;
      }
      return !prod || referenceVerdict(bytes, { trusted: [], tvs: [], firstUse: true }).acceptable;
    }), { numRuns: 400, seed: 13 });
  });
});

describe('phone oracle', () => {
  it('never finds a false accept or a first-use fallback in the product, for mutants of every kind', () => {
    for (const kind of ['itl', 'ctl', 'sgn'] as const) {
      fc.assert(fc.property(mutationSeq, fc.nat(), ([s, p], sc) => {
        const scenes = setup.scenes[kind];
        const r = execPhone(kind, mutant(kind, s, p).bytes, scenes[sc % scenes.length]!);
        return r.finding === undefined;
      }), { numRuns: 300, seed: 14 });
    }
  });

  it('a forged look-alike of the trusted signer, validly signed by the forger, is refused (regression)', () => {
    const scene = setup.scenes.itl[0]!;
    const rng = new Rng(5);
    const m = { rng, corpus: [], rogue: setup.rogue, forged: setup.forged, kind: 'list' as const };
    for (let i = 0; i < 20; i++) {
      const { bytes } = mutate(setup.seeds.itl[0]!, m, ['duplicate-sast-other-key']);
      const r = execPhone('itl', bytes, scene);
      expect(r.finding).toBeUndefined();
      expect(r.accepted).toBe(false);
    }
  });

  it('a default run of the product finds nothing, deterministically for a seed', async () => {
    const a = await fuzz({ kind: 'itl', target: 'phone', seed: 'ci', runs: 3000, setup });
    const b = await fuzz({ kind: 'itl', target: 'phone', seed: 'ci', runs: 3000, setup });
    expect(a.findings).toEqual([]);
    expect(a.status.execs).toBe(3000);
    expect({ ...a.status, elapsedMs: 0, execsPerSecond: 0 }).toEqual({ ...b.status, elapsedMs: 0, execsPerSecond: 0 });
  }, 120_000);
});

describe('planted bugs are caught by the default run', () => {
  it('a verifier that ignores the digest id: false accept, minimised, saved, and replayed', async () => {
    const r = await fuzz({ kind: 'itl', target: 'phone', seed: '1', setup, subject: IGNORES_DIGEST_ID });
    const f = r.findings.find((x) => x.kind === 'false-accept');
    expect(f, `no finding in ${r.status.execs} executions`).toBeDefined();
    expect(f!.message).toMatch(/digest id/);
    const dir = mkdtempSync(join(tmpdir(), 'findings-'));
    const saved = await readFinding(await writeFinding(dir, f!));
    expect(replay(saved, IGNORES_DIGEST_ID).input.finding?.kind).toBe('false-accept');
    expect(replay(saved).input.finding).toBeUndefined();
  }, 180_000);

  it('a verifier that trusts the first SAST record without checking the signature: false accept', async () => {
    const r = await fuzz({ kind: 'itl', target: 'phone', seed: '1', setup, subject: TRUSTS_FIRST_SAST });
    const f = r.findings.find((x) => x.kind === 'false-accept');
    expect(f).toBeDefined();
    expect(f!.minimised).toBeDefined();
    expect(replay(f!, TRUSTS_FIRST_SAST).minimised?.finding?.kind).toBe('false-accept');
  }, 180_000);

  it('a machine whose TVS table lost its answer edge: INVALID_TRANSITION, counted as a finding', async () => {
    const r = await fuzz({ kind: 'itl', target: 'phone', seed: '1', runs: 2000, setup, subject: TVS_EDGE_MISSING, minimise: false });
    const f = r.findings.find((x) => x.kind === 'invalid-transition');
    expect(f, `no finding in ${r.status.execs} executions`).toBeDefined();
    expect(f!.message).toMatch(/INVALID_TRANSITION|no edge/);
    expect(r.status.byKind['invalid-transition']).toBeGreaterThan(0);
    expect(replay(f!).input.finding).toBeUndefined();
  }, 180_000);
});
