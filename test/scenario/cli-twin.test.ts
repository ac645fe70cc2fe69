import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkScenario, parseScenario, runScenario, type RunReport } from '../../src/scenario/index.js';
import { ROOT } from '../helpers/cli.js';
import { TEST_KEYPOOL_DIR } from '../helpers/keypool.js';

/**
 * Issue 18: one shipped scenario written as `cli:` steps (REG-8, CallManager regenerated on 12.5
 * in mixed mode) gives the outcome of its structured twin, on real sockets. The CLI lines do the
 * work: leaving out `utils ctl update CTLFile` leaves every phone unregistered, as SC-20 shows.
 */
const DIR = join(ROOT, 'fixtures', 'scenarios');
const STRUCTURED = 'reg-08-callmanager-regen-12.5.yaml';
const CLI = 'reg-08-callmanager-regen-12.5-cli.yaml';

async function run(text: string, name: string): Promise<RunReport> {
  return runScenario(parseScenario(text, name), { runDir: mkdtempSync(join(tmpdir(), 'trustlab-twin-')), keyPoolDir: TEST_KEYPOOL_DIR, source: text });
}

/** What a run concluded: expectations, survival per population, and each phone's final state. */
const outcome = (r: RunReport) => ({
  verdict: r.verdict,
  expectations: r.expectations.map((e) => ({ name: e.name, ok: e.ok, observed: e.observed })),
  populations: r.populations,
  phones: r.phones.map((p) => ({ device: p.device, model: p.model, state: p.state, reason: p.reason })),
  tvs: r.steps.at(-1)!.tvs,
});

describe('the CLI-only REG-8 scenario and its structured twin', () => {
  it('is written entirely as cli: steps, apart from the GUI phone reset and the expectations', () => {
    const steps = parseScenario(readFileSync(join(DIR, CLI), 'utf8'), CLI).steps.map((s) => Object.keys(s).find((k) => k !== 'name')!);
    expect(new Set(steps)).toEqual(new Set(['cli', 'reset', 'expect']));
    expect(steps.filter((s) => s === 'cli').length).toBeGreaterThanOrEqual(8);
  });

  it('gives the same outcome, phone by phone', async () => {
    const a = await run(readFileSync(join(DIR, STRUCTURED), 'utf8'), STRUCTURED);
    const b = await run(readFileSync(join(DIR, CLI), 'utf8'), CLI);
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    expect(a.verdict).toBe('PASSED');
    expect(outcome(b)).toEqual(outcome(a));
    expect(b.steps.find((s) => s.action === 'cli')!.lines.join('\n')).toContain('Successfully Regenerated Certificate for CallManager.');
  }, 180_000);

  it('without `utils ctl update CTLFile` the phones do not register: the CLI lines are what keeps them', async () => {
    const text = readFileSync(join(DIR, CLI), 'utf8').replace(/^ {2}- cli: utils ctl update CTLFile\n/m, '');
    expect(text).not.toContain('utils ctl update');
    const r = await run(text, 'no-ctl-update.yaml');
    expect(r.verdict).toBe('FAILED');
    expect(r.phones.every((p) => p.state !== 'registered')).toBe(true);
  }, 180_000);

  it('a cli: line that is not emulated is found when the file loads, with its line, column and the nearest command', () => {
    const text = `name: t\nclusters:\n  - { name: A, release: "12.5", nodes: [pub, sub] }\nfleets:\n  - { name: phones, cluster: A, count: 1, models: { "8861": 1 } }\nsteps:\n  - cli: set cert regenerate CallManager\n  - cli: { node: sub, line: utils service restart }\n`;
    const p = checkScenario(text, 'x.yaml').problems;
    expect(p).toHaveLength(2);
    expect(p[0]).toMatchObject({ line: 7, path: '/steps/0/cli', hint: expect.stringContaining('set cert regen unit') });
    expect(p[1]).toMatchObject({ line: 8, path: '/steps/1/cli/line', message: expect.stringContaining('missing service') });
  });

  it('a cli: line in a scenario of several clusters must name its cluster, found when the file loads', () => {
    const text = `name: t\nclusters:\n  - { name: A, release: "12.5", nodes: [pub] }\n  - { name: B, release: "12.5", nodes: [bpub] }\nfleets: []\nsteps:\n  - cli: show itl\n  - cli: { cluster: B, line: show itl }\n`;
    const p = checkScenario(text, 'x.yaml').problems;
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ line: 7, path: '/steps/0/cli', hint: 'cli: { cluster: NAME, line: "show itl" }' });
  });
});
