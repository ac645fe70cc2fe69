import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trustlab } from '../helpers/cli.js';

/**
 * Issue 15 §7, extreme values. Before: `advance: 300000y` exited 70 with a stack trace
 * (`RangeError: Invalid time value`) and no report; `start: "9999-12-31T23:59:59Z"` passed
 * validation and failed at run time; 20,000-deep nesting reported "Maximum call stack size
 * exceeded". Now the schema bounds every duration and start time, nesting is capped, a clock
 * driven past its range fails the step with TIME_OUT_OF_RANGE and the partial report, and no
 * command prints a stack trace without --debug.
 */
const HEAD = `name: extreme
clusters:
  - { name: A, release: "12.5", nodes: [pub] }
fleets:
  - { name: phones, cluster: A, count: 1, models: { "8845": 1 }, initial: provisioned }
`;

function scenario(dir: string, name: string, text: string): string {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, text);
  return f;
}

describe('attack: extreme values in scenarios', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trustlab-attack-extreme-'));

  it('advance: 300000y, start in 9999 and 20,000-deep nesting are refused before anything runs (exit 2, SCENARIO_INVALID), without a stack trace', { timeout: 60_000 }, async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['far-advance', `${HEAD}steps:\n  - advance: 300000y\n`, /duration of at most 100y/],
      ['far-start', `${HEAD}start: "9999-12-31T23:59:59Z"\nsteps:\n  - advance: 1d\n`, /between 1970 and 2100/],
      ['deep', `${HEAD}steps:\n  - advance: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, /nest more than 64 levels/],
    ];
    for (const [name, text, message] of cases) {
      const r = await trustlab(['run', scenario(dir, name, text), '--lab', join(dir, `lab-${name}`), '--json']);
      expect(r.code, `${name}: ${r.stdout}${r.stderr}`).toBe(2);
      const err = JSON.parse(r.stdout).error;
      expect(err.code).toBe('SCENARIO_INVALID');
      expect(err.message).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const plain = await trustlab(['run', join(dir, `${name}.yaml`), '--lab', join(dir, `lab-${name}`)]);
      expect(plain.code).toBe(2);
      expect(plain.stderr).not.toMatch(/\n\s+at /);
      expect(plain.stderr).not.toContain('Maximum call stack');
    }
  });

  it('a legal run driven past the clock\'s range fails its step with TIME_OUT_OF_RANGE and still writes the partial report', { timeout: 120_000 }, async () => {
    // From 2100, an hour is legal; seven years would pass 2106-02-07T06:28:15Z, the last u32 ITL timestamp.
    const steps = '  - advance: 1h\n  - advance: 7y\n';
    const lab = join(dir, 'lab-range');
    const r = await trustlab(['run', scenario(dir, 'range', `${HEAD}start: "2100-01-01T00:00:00Z"\nsteps:\n${steps}`), '--lab', lab, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(false);
    expect(report.error).toContain('TIME_OUT_OF_RANGE');
    expect(report.steps.at(-1).error).toContain('TIME_OUT_OF_RANGE');
    expect(report.steps.length).toBe(3);
    expect(report.steps[1].error).toBeUndefined();
    const runs = readdirSync(join(lab, 'runs'));
    expect(runs.length).toBe(1);
    expect(existsSync(join(lab, 'runs', runs[0]!, 'report.html'))).toBe(true);
    expect(JSON.parse(readFileSync(join(lab, 'runs', runs[0]!, 'report.json'), 'utf8')).error).toContain('TIME_OUT_OF_RANGE');
  });
});
