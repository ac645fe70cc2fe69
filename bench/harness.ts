/**
 * A small benchmark harness: each benchmark measures a subject against a baseline *in the same
 * run*, interleaving short rounds of each so that machine noise (the other core busy, CPU
 * frequency changes) hits both alike, and reports the ratio. No thresholds: these numbers go
 * into issue notes, not into pass/fail tests.
 */
export interface Rate {
  ops: number;
  seconds: number;
  perSecond: number;
}

export interface Comparison {
  name: string;
  unit: string;
  baselineName: string;
  baseline: Rate;
  subject: Rate;
  ratio: number;
}

function time(fn: () => void, iterations: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Runs `fn` until ~`ms` have passed in rounds of `batch`, returning the total. */
function calibrate(fn: () => void): number {
  let n = 1;
  while (time(fn, n) < 0.02) n *= 2;
  return n;
}

export function compareSync(name: string, unit: string, baselineName: string, baseline: () => void, subject: () => void, seconds = 3): Comparison {
  const nb = calibrate(baseline);
  const ns = calibrate(subject);
  const b: Rate = { ops: 0, seconds: 0, perSecond: 0 };
  const s: Rate = { ops: 0, seconds: 0, perSecond: 0 };
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    b.seconds += time(baseline, nb);
    b.ops += nb;
    s.seconds += time(subject, ns);
    s.ops += ns;
  }
  b.perSecond = b.ops / b.seconds;
  s.perSecond = s.ops / s.seconds;
  return { name, unit, baselineName, baseline: b, subject: s, ratio: s.perSecond / b.perSecond };
}

export function formatRate(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(1);
}

export function printComparison(c: Comparison): void {
  process.stdout.write(
    `${c.name}\n` +
      `  subject : ${formatRate(c.subject.perSecond).padStart(8)} ${c.unit}/s\n` +
      `  baseline: ${formatRate(c.baseline.perSecond).padStart(8)} ${c.unit}/s  (${c.baselineName})\n` +
      `  ratio   : ${c.ratio.toFixed(3)}\n\n`,
  );
}
