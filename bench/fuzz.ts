import { performance } from 'node:perf_hooks';
import { decodeTrustList, verifyTrustList } from '../src/trustlist/index.js';
import { execCodec, execPhone, fuzz, fuzzParallel, fuzzSetup } from '../src/fuzz/index.js';
import { printComparison, type Comparison } from './harness.js';

/**
 * Issue 8: fuzz executions per second for the codec target (mutate, decode, re-encode twice)
 * and the phone target (mutate, the phone's trust decision, the independent reference verdict),
 * each against two baselines measured in the same run (issue 17 §4):
 *
 * - the bare rate of the work it cannot avoid: decoding the unmutated ITL (codec), decoding plus
 *   verifying it (phone);
 * - the target's own oracle on the unmutated seeds (`execCodec`: decode, two encodes, re-decode;
 *   `execPhone`: the phone's decision and the reference verdict, over the scenes in turn), so
 *   that the ratio separates what the mutation and the loop cost from what the oracle costs.
 */
export async function benchFuzz(seconds: number): Promise<Comparison[]> {
  const setup = await fuzzSetup({ seed: 'bench', ...(process.env.TRUSTLAB_KEYPOOL ? { keyPoolDir: process.env.TRUSTLAB_KEYPOOL } : {}) });
  try {
    const itl = setup.seeds.itl[0]!;
    const bare = (fn: () => void): { ops: number; seconds: number; perSecond: number } => {
      const t0 = performance.now();
      let ops = 0;
      while (performance.now() - t0 < seconds * 1000) {
        for (let i = 0; i < 64; i++) fn();
        ops += 64;
      }
      const s = (performance.now() - t0) / 1000;
      return { ops, seconds: s, perSecond: ops / s };
    };
    const out: Comparison[] = [];
    const scenes = setup.scenes.itl;
    let turn = 0;
    for (const [target, baseline, label, oracle, oracleLabel] of [
      ['codec', () => void decodeTrustList(itl), 'bare decodeTrustList of the unmutated ITL', () => void execCodec('itl', itl), 'the codec oracle on the unmutated seed (decode, 2 encodes, re-decode)'],
      ['phone', () => void verifyTrustList(itl), 'bare decode + verify of the unmutated ITL', () => void execPhone('itl', itl, scenes[turn++ % scenes.length]!), 'the phone oracle on the unmutated seed (decision + reference verdict, each scene in turn)'],
    ] as const) {
      const base = bare(baseline);
      const oracleRate = bare(oracle);
      const r = await fuzz({ kind: 'itl', target, seed: 'bench', timeMs: seconds * 1000, setup, minimise: false });
      const subject = { ops: r.status.execs, seconds: r.status.elapsedMs / 1000, perSecond: r.status.execsPerSecond };
      for (const [b, l] of [[base, label], [oracleRate, oracleLabel]] as const) {
        const c: Comparison = { name: `fuzz itl --target ${target} (${r.findings.length} findings)`, unit: 'execs', baselineName: l, baseline: b, subject, ratio: subject.perSecond / b.perSecond };
        printComparison(c);
        out.push(c);
      }
    }
    // Every core: the codec target in two worker threads against the one-thread run above (issue 17 §5).
    const one = out[0]!.subject;
    const par = await fuzzParallel({ kind: 'itl', target: 'codec', seed: 'bench', workers: 2, timeMs: seconds * 1000, minimise: false, ...(process.env.TRUSTLAB_KEYPOOL ? { keyPoolDir: process.env.TRUSTLAB_KEYPOOL } : {}) });
    const c: Comparison = { name: 'fuzz itl --target codec --workers 2', unit: 'execs', baselineName: 'the same target in one thread, above', baseline: one, subject: { ops: par.status.execs, seconds: par.status.elapsedMs / 1000, perSecond: par.status.execsPerSecond }, ratio: par.status.execsPerSecond / one.perSecond };
    printComparison(c);
    out.push(c);
    process.stdout.write('\n');
    return out;
  } finally {
    setup.dispose();
  }
}
