import type { RunReport } from '../runner.js';

/**
 * JUnit XML for CI systems (issue 7): one test suite per run, one test case per expectation
 * (named by the expectation, classname = scenario), a failure with expected/observed for each
 * failed one, and an error case when a step failed or the run was interrupted.
 */
export function junitXml(r: RunReport): string {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const cls = esc(r.scenario.name);
  const cases = r.expectations.map((e) => {
    const head = `    <testcase classname="${cls}" name="${esc(`step ${e.step}: ${e.name}`)}" time="0">`;
    return e.ok ? `${head}</testcase>` : `${head}\n      <failure message="${esc(`expected ${e.expected}; observed ${e.observed}`)}">${esc(`expected: ${e.expected}\nobserved: ${e.observed}`)}</failure>\n    </testcase>`;
  });
  if (r.error) cases.push(`    <testcase classname="${cls}" name="run"><error message="${esc(r.error)}">${esc(r.error)}</error></testcase>`);
  const failures = r.expectations.filter((e) => !e.ok).length;
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="trustlab" tests="${cases.length}" failures="${failures}" errors="${r.error ? 1 : 0}" time="${(r.durationMs / 1000).toFixed(3)}">
  <testsuite name="${cls}" tests="${cases.length}" failures="${failures}" errors="${r.error ? 1 : 0}" timestamp="${r.startedAt}" time="${(r.durationMs / 1000).toFixed(3)}">
${cases.join('\n')}
  </testsuite>
</testsuites>
`;
}
