import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseScenario, runScenario, writeReports, type RunReport } from '../../src/scenario/index.js';
import { TEST_KEYPOOL_DIR } from '../helpers/keypool.js';
import { has } from '../helpers/tools.js';

/**
 * Reports (issue 7): junit.xml with one case per expectation, report.json, and report.html
 * opened in headless Chromium (Debian's `chromium`, installed by .ci/run) to find the chart and
 * the tables. Also: runs are deterministic for a seed.
 */
const TEXT = `name: report test
seed: report
clusters:
  - { name: A, release: "11.5", nodes: [pub, sub] }
fleets:
  - { name: phones, cluster: A, count: 6, models: { "8861": 1, "7942": 1 }, initial: provisioned }
steps:
  - regenerate: { cluster: A, purpose: CallManager, node: pub }
  - regenerate: { cluster: A, purpose: TVS, node: pub }
  - regenerate: { cluster: A, purpose: TVS, node: sub }
  - restart: { cluster: A, service: TFTP }
  - reset: phones
  - expect:
      - name: stale config everywhere
        phones: { fleet: phones, state: registered-stale-config, count: all }
      - name: a deliberately wrong expectation
        phones: { fleet: phones, state: registered, count: all }
`;

let report: RunReport;
let files: { json: string; junit: string; html: string };

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trustlab-report-'));
  report = await runScenario(parseScenario(TEXT, 'report.yaml'), { runDir: dir, keyPoolDir: TEST_KEYPOOL_DIR, source: TEXT, file: 'report.yaml' });
  files = await writeReports(dir, report);
}, 120_000);

describe('run reports', () => {
  it('fails the run and names the failed expectation, with what was observed', () => {
    expect(report.ok).toBe(false);
    expect(report.expectations.map((e) => [e.name, e.ok])).toEqual([['stale config everywhere', true], ['a deliberately wrong expectation', false]]);
    expect(report.expectations[1]!.observed).toContain('6 registered-stale-config');
    expect(report.steps.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(report.steps[0]!.tally['phones']).toEqual({ registered: 6 });
    expect(report.steps[5]!.tally['phones']).toEqual({ 'registered-stale-config': 6 });
    expect(report.phones.every((p) => p.state === 'registered-stale-config')).toBe(true);
    expect(report.phones[0]!.timeline!.some((t) => t.message === 'Trust List update failed')).toBe(true);
  });

  it('writes junit.xml with one test case per expectation and a failure for the wrong one', () => {
    const xml = readFileSync(files.junit, 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml).toMatch(/<testsuite name="report test" tests="2" failures="1" errors="0"/);
    expect(xml).toMatch(/name="step 6: a deliberately wrong expectation"[^]*<failure message="expected all 6 registered; observed 6 registered-stale-config/);
  });

  it('writes report.json that reads back identically', () => {
    expect(JSON.parse(readFileSync(files.json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it('is deterministic for a seed: the same steps give the same tallies, expectations and phones', async () => {
    const again = await runScenario(parseScenario(TEXT, 'report.yaml'), { runDir: mkdtempSync(join(tmpdir(), 'trustlab-report-')), keyPoolDir: TEST_KEYPOOL_DIR });
    const shape = (r: RunReport) => ({ steps: r.steps.map((s) => [s.title, s.tally, s.tvs, s.registrations, s.lines]), expectations: r.expectations, phones: r.phones.map((p) => [p.device, p.model, p.state, p.reason]) });
    expect(shape(again)).toEqual(shape(report));
  }, 120_000);

  it.skipIf(!has('chromium'))('renders in headless Chromium with the state chart, the steps table and the runbook', async () => {
    const dom = await new Promise<string>((resolve, reject) => {
      execFile('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${files.html}`], { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    expect(dom).toMatch(/<svg id="state-chart"[^>]*>/);
    const chart = dom.slice(dom.indexOf('<svg id="state-chart"'), dom.indexOf('</svg>'));
    expect((chart.match(/<rect /g) ?? []).length).toBeGreaterThanOrEqual(7);
    expect(chart).toContain('registered-stale-config');
    expect(dom).toMatch(/<table id="steps">[^]*<tbody>(?:[^]*?<tr){7}/);
    expect(dom).toContain('a deliberately wrong expectation');
    expect(dom).toMatch(/<pre id="runbook">name: report test/);
  }, 90_000);
  if (!has('chromium')) it('skips the Chromium check: `chromium` is not installed (.ci/run installs it)', () => expect(has('chromium')).toBe(false));
});
