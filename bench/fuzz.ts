import { performance } from 'node:perf_hooks';
import { decodeTrustList, verifyTrustList } from '../src/trustlist/index.js';
import { fuzz, fuzzSetup } from '../src/fuzz/index.js';
import { printComparison, type Comparison } from './harness.js';

/**
 * Issue 8: fuzz executions per second for the codec target (mutate, decode, re-encode twice)
 * and the phone target (mutate, the phone's trust decision, the independent reference verdict),
 * each against the bare rate of the work it cannot avoid, measured in the same run: decoding the
 * unmutated ITL (codec) and decoding plus verifying it (phone).
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
    for (const [target, baseline, label] of [
      ['codec', () => void decodeTrustList(itl), 'bare decodeTrustList of the unmutated ITL'],
      ['phone', () => void verifyTrustList(itl), 'bare decode + verify of the unmutated ITL'],
    ] as const) {
      const base = bare(baseline);
      const r = await fuzz({ kind: 'itl', target, seed: 'bench', timeMs: seconds * 1000, setup, minimise: false });
      const subject = { ops: r.status.execs, seconds: r.status.elapsedMs / 1000, perSecond: r.status.execsPerSecond };
      const c: Comparison = { name: `fuzz itl --target ${target} (${r.findings.length} findings)`, unit: 'execs', baselineName: label, baseline: base, subject, ratio: subject.perSecond / base.perSecond };
      printComparison(c);
      out.push(c);
    }
    process.stdout.write('\n');
    return out;
  } finally {
    setup.dispose();
  }
}
