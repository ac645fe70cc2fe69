import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseScenario, runScenario } from '../../src/scenario/index.js';
import { ROOT } from '../helpers/cli.js';
import { TEST_KEYPOOL_DIR } from '../helpers/keypool.js';

/** Every built-in scenario, sorted; the two fixture test files each take half, to run in parallel. */
export const FIXTURES = readdirSync(join(ROOT, 'fixtures', 'scenarios')).filter((f) => f.endsWith('.yaml')).sort();

/** Runs each scenario on real sockets and requires every one of its own expectations to hold. */
export function runFixtures(files: string[]): void {
  for (const f of files) {
    it(f, async () => {
      const text = readFileSync(join(ROOT, 'fixtures', 'scenarios', f), 'utf8');
      const scenario = parseScenario(text, f);
      const report = await runScenario(scenario, { runDir: mkdtempSync(join(tmpdir(), 'trustlab-run-')), keyPoolDir: TEST_KEYPOOL_DIR, source: text });
      expect(report.error).toBeUndefined();
      expect(report.expectations.length).toBeGreaterThan(0);
      expect(report.expectations.filter((e) => !e.ok)).toEqual([]);
      expect(report.ok).toBe(true);
    }, 180_000);
  }
}
