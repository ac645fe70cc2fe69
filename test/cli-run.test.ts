import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, trustlab } from './helpers/cli.js';
import { Lab } from '../src/cluster/index.js';

/**
 * `trustlab run`, `scenarios` and `report` as a tester uses them (issue 7): exit codes, the
 * failed expectation named, positioned errors with nothing run, --what-if, reprinting a past run,
 * and Ctrl-C closing everything and leaving the lab readable.
 */
const small = (expectState: string) => `name: cli run
seed: cli
clusters:
  - { name: A, release: "12.5", nodes: [pub] }
fleets:
  - { name: phones, cluster: A, count: 3, models: { "8861": 1 }, initial: factory-fresh }
steps:
  - boot: phones
  - expect:
      - name: phones are ${expectState}
        phones: { fleet: phones, state: ${expectState}, count: all }
`;

function scenarioFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustlab-cli-run-'));
  const f = join(dir, 'scenario.yaml');
  writeFileSync(f, text);
  return f;
}

describe('trustlab run', () => {
  it('exits 0 when every expectation holds and writes the three reports under <lab>/runs', async () => {
    const lab = mkdtempSync(join(tmpdir(), 'lab-'));
    const r = await trustlab(['run', scenarioFile(small('registered')), '--lab', lab]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('cli run — PASSED');
    expect(r.stdout).toMatch(/phones\s+A \(12\.5\)\s+factory-fresh\s+3\s+3\s+0\s+100%/);
    const runs = readdirSync(join(lab, 'runs'));
    expect(runs).toHaveLength(1);
    for (const f of ['report.json', 'report.html', 'junit.xml']) expect(existsSync(join(lab, 'runs', runs[0]!, f))).toBe(true);
    const again = await trustlab(['report', join(lab, 'runs', runs[0]!)]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('cli run — PASSED');
  }, 120_000);

  it('a fleet that does not say how it starts is provisioned, and the run header, the survival table and the reports say so', async () => {
    const lab = mkdtempSync(join(tmpdir(), 'lab-'));
    const text = `name: default start
seed: default-start
clusters:
  - { name: A, release: "12.5", nodes: [pub] }
fleets:
  - { name: phones, cluster: A, count: 2, models: { "8861": 1 } }
steps:
  - expect:
      - name: in service before step 1
        phones: { fleet: phones, state: registered, count: all }
`;
    const r = await trustlab(['run', scenarioFile(text), '--lab', lab]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('fleet phones: 2 phone(s) on A, starting provisioned (the default)');
    expect(r.stdout).toMatch(/phones\s+A \(12\.5\)\s+provisioned\s+2\s+2\s+100%/);
    const run = join(lab, 'runs', readdirSync(join(lab, 'runs'))[0]!);
    expect(JSON.parse(readFileSync(join(run, 'report.json'), 'utf8')).fleets[0].initial).toBe('provisioned');
    expect(readFileSync(join(run, 'report.html'), 'utf8')).toMatch(/<table id="fleets">[\s\S]*<td[^>]*>provisioned<\/td>/);
  }, 120_000);

  it('exits 1 and names the expectation that failed', async () => {
    const r = await trustlab(['run', scenarioFile(small('unregistered')), '--lab', mkdtempSync(join(tmpdir(), 'lab-')), '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED');
    expect(r.stdout).toMatch(/✗\s+2\s+phones are unregistered\s+all 3 unregistered\s+3 registered/);
  }, 120_000);

  it('exits 2 with file:line:column and a hint, and runs nothing, for an invalid file', async () => {
    const lab = mkdtempSync(join(tmpdir(), 'lab-'));
    const f = scenarioFile(small('registered').replace('boot: phones', 'bot: phones'));
    const r = await trustlab(['run', f, '--lab', lab]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`scenario.yaml:8:5: unknown step "bot" (did you mean "boot"?)`);
    expect(existsSync(join(lab, 'runs'))).toBe(false);
  });

  it('--what-if skips expectations and predicts the outcome per population', async () => {
    const r = await trustlab(['run', scenarioFile(small('unregistered')), '--what-if', '--lab', mkdtempSync(join(tmpdir(), 'lab-')), '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Predicted outcome by population:');
    expect(r.stdout).toMatch(/phones\s+12\.5\s+8861\s+factory-fresh\s+3\s+3/);
    // It checked nothing, so it did not pass (issue 18): the verdict says it is a prediction.
    expect(r.stdout).toContain('cli run (what-if) — PREDICTED (what-if: expectations were not checked');
    expect(r.stdout).not.toContain('PASSED');
  }, 120_000);

  it('says NO EXPECTATIONS, not PASSED, for a run of a scenario that checks nothing', async () => {
    const lab = mkdtempSync(join(tmpdir(), 'lab-'));
    const r = await trustlab(['run', scenarioFile(small('registered').replace(/  - expect:[\s\S]*$/, '')), '--lab', lab, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; verdict: string; expectations: unknown[]; files: { html: string } };
    expect(report.expectations).toHaveLength(0);
    expect(report.verdict).toBe('NO EXPECTATIONS');
    expect(readFileSync(report.files.html, 'utf8')).toContain('>NO EXPECTATIONS</span>');
    const text = await trustlab(['report', join(report.files.html, '..')]);
    expect(text.stdout).toContain('cli run — NO EXPECTATIONS (the run completed, but the scenario checks nothing');
  }, 120_000);

  it('lists the built-in scenarios and runs one by name', async () => {
    const list = await trustlab(['scenarios']);
    expect(list.code).toBe(0);
    const ids = list.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);
    for (const id of ['sc-01-trust-on-first-use', 'sc-29-manual-recovery', 'migration-template', 'runbook-comparison']) expect(ids).toContain(id);
    expect(list.stdout).toMatch(/sc-04-callmanager-and-tvs-together-pre12\s+On 11\.5, regenerating CallManager and TVS/);
    const byName = await trustlab(['run', 'sc-02', '--quiet', '--lab', mkdtempSync(join(tmpdir(), 'lab-'))]);
    expect(byName.code).toBe(0);
    expect(byName.stdout).toContain('SC-2 Unchanged ITL — PASSED');
    const ambiguous = await trustlab(['run', 'sc-0']);
    expect(ambiguous.code).toBe(66);
    expect(ambiguous.stderr).toMatch(/it could be sc-01-trust-on-first-use, sc-02-unchanged-itl/);
  }, 120_000);

  it.each([['SIGINT'], ['SIGTERM']] as const)('closes every server on %s within 2 s, writes the report as interrupted and leaves the lab readable', async (signal) => {
    const lab = mkdtempSync(join(tmpdir(), 'lab-'));
    const text = small('registered').replace('count: 3', 'count: 40').replace('  - boot: phones\n', '  - boot: phones\n  - reset: phones\n  - reset: phones\n  - reset: phones\n');
    const child = spawn(process.execPath, [resolve(ROOT, 'bin/trustlab.js'), 'run', scenarioFile(text), '--lab', lab], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRUSTLAB_KEYPOOL: resolve(ROOT, '.trustlab-keypool') } });
    let err = '';
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((res) => child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/ 1\. boot phones/.test(err)) res();
    }));
    // Interrupted in the middle of a step (the resets of 40 phones), not between steps.
    child.kill(signal);
    const killed = Date.now();
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    const stoppedInMs = Date.now() - killed;
    expect(code).toBe(130);
    expect(stoppedInMs).toBeLessThan(2000);
    expect(err).toContain(`${signal === 'SIGINT' ? 'interrupted' : 'terminated'}: closing servers`);
    expect(out).toContain('Stopped: interrupted');
    const run = readdirSync(join(lab, 'runs'))[0]!;
    const report = JSON.parse(readFileSync(join(lab, 'runs', run, 'report.json'), 'utf8')) as { ok: boolean; error: string; steps: unknown[] };
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(new RegExp(`^interrupted \\(${signal}\\): the run stopped at step`));
    const reopened = await Lab.open(join(lab, 'runs', run, 'lab'));
    expect((await reopened.cluster('A')).state.devices).toHaveLength(40);
  }, 120_000);
});
