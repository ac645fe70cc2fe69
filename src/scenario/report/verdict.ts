import type { RunReport } from '../runner.js';

/**
 * The one word at the top of every report (issue 18: `--what-if` printed PASSED for a run that
 * checked nothing). A run only PASSES when it checked something and everything held:
 *
 * - ERROR: a step was refused, did not settle, or the run was interrupted;
 * - PREDICTED: a `--what-if` run, whose expectations were skipped on purpose; the population
 *   table is the answer;
 * - NO EXPECTATIONS: the run completed, but the scenario asserts nothing;
 * - PASSED / FAILED: every expectation held, or at least one did not.
 */
export type Verdict = 'PASSED' | 'FAILED' | 'ERROR' | 'PREDICTED' | 'NO EXPECTATIONS';

export function verdictOf(r: Pick<RunReport, 'ok' | 'error' | 'whatIf' | 'expectations'>): Verdict {
  if (r.error) return 'ERROR';
  if (r.whatIf) return 'PREDICTED';
  if (!r.expectations.length) return 'NO EXPECTATIONS';
  return r.ok ? 'PASSED' : 'FAILED';
}

/** What the verdict means, for a reader who has not seen this one before. */
export const VERDICT_MEANING: Readonly<Record<Verdict, string>> = {
  PASSED: 'every expectation held',
  FAILED: 'at least one expectation did not hold',
  ERROR: 'the run did not complete',
  PREDICTED: 'what-if: expectations were not checked; the table of predicted outcomes by population is the answer',
  'NO EXPECTATIONS': 'the run completed, but the scenario checks nothing; add `expect:` steps to make it a test',
};
