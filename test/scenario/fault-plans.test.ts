import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, runScenario, type FaultPlan } from '../../src/scenario/index.js';
import { ROOT } from '../helpers/cli.js';
import { TEST_KEYPOOL_DIR } from '../helpers/keypool.js';
import { FIXTURES } from './fixtures-helper.js';

/**
 * Issue 13 "Must show": with a fault plan that stops CAPF, TVS or TFTP mid-run, every shipped
 * scenario either passes or fails with a named reason — an expectation that did not hold (with
 * what was observed), a refused step, or a step that did not settle — and never hangs, crashes or
 * meets an event the phone's machine has no edge for. Each scenario gets one of the three faults
 * in turn, just before its middle step, so that phones meet it in the middle of the runbook. A
 * stopped TFTP server keeps each phone waiting through its retransmissions, so the phones' network
 * timeout is 1 s here instead of 5 s.
 */
const FAULTS: ReadonlyArray<FaultPlan['service']> = ['capf', 'tvs', 'tftp'];

describe('every shipped scenario under a fault plan ends with a named outcome', () => {
  FIXTURES.forEach((f, i) => {
    const service = FAULTS[i % FAULTS.length]!;
    it(`${f} with ${service} stopped mid-run`, async () => {
      const text = readFileSync(join(ROOT, 'fixtures', 'scenarios', f), 'utf8');
      const scenario = parseScenario(text, f);
      const at = Math.max(1, Math.ceil(scenario.steps.length / 2));
      const report = await runScenario(scenario, { runDir: mkdtempSync(join(tmpdir(), 'trustlab-fault-')), keyPoolDir: TEST_KEYPOOL_DIR, faults: [{ at, service }], networkTimeoutMs: 1000 });
      expect(report.faults).toEqual([{ at, service }]);
      expect(report.steps.find((s) => s.index === at)?.lines.some((l) => l.startsWith(`fault: `))).toBe(true);
      const failed = report.expectations.filter((e) => !e.ok);
      if (report.ok) {
        expect(failed).toEqual([]);
      } else {
        // A named reason: the failed expectations say what they saw, or the error names its code.
        const named = failed.length > 0 && failed.every((e) => e.observed.length > 0) || /^(SCENARIO_STEP_FAILED|STEP_NOT_SETTLED|[A-Z_]+):|step \d+ ".*" failed: [A-Z_]+:/.test(report.error ?? '');
        expect(named, `neither a failed expectation nor a named error: ${report.error}`).toBe(true);
      }
      expect(report.error ?? '').not.toMatch(/INTERNAL|INVALID_TRANSITION/);
      expect(report.warnings ?? []).toEqual([]);
      for (const p of report.phones) expect(p.reason).not.toMatch(/INVALID_TRANSITION|internal/);
    }, 180_000);
  });
});
