import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, runScenario, type RunEvent, type RunReport } from '../../src/scenario/index.js';
import { EventBus } from '../../src/shared/events.js';
import { ProcessLink } from '../../src/dist/index.js';
import { ROOT } from '../helpers/cli.js';
import { TEST_KEYPOOL_DIR } from '../helpers/keypool.js';
import { comparable } from './report-equality.js';

/**
 * Issue 17 §1: fleets split over shard processes give the same report as one process, for the
 * same seed, whatever the number of shards (phone i lives on shard i mod N; the coordinator owns
 * the clock and each step ends at the shards' barrier). Two shipped scenarios: the README's
 * runbook comparison (four clusters, resets, TVS) and the cloned-LSC one (copy-lsc across
 * fleets, CAPF on a secure profile). A shard process that dies fails the run with SHARD_LOST.
 */
const shipped = (name: string) => {
  const file = join(ROOT, 'fixtures', 'scenarios', `${name}.yaml`);
  const text = readFileSync(file, 'utf8');
  return { scenario: parseScenario(text, file), text, file };
};

async function runWith(name: string, workers: number): Promise<RunReport> {
  const s = shipped(name);
  return runScenario(s.scenario, { runDir: mkdtempSync(join(tmpdir(), `trustlab-shards-${workers}-`)), keyPoolDir: TEST_KEYPOOL_DIR, workers, source: s.text, file: s.file });
}

describe('sharded fleets (issue 17 §1)', () => {
  for (const name of ['runbook-comparison', 'tls-device-identity']) {
    it(`${name}: the same report in this process, in 1 shard process and in 3`, async () => {
      const one = await runWith(name, 0);
      expect(one.error).toBeUndefined();
      expect(one.execution).toEqual({ shards: 1, where: 'this process' });
      for (const workers of [1, 3]) {
        const r = await runWith(name, workers);
        expect(r.execution).toEqual({ shards: workers, where: `${workers} child process${workers > 1 ? 'es' : ''}` });
        expect(comparable(r)).toEqual(comparable(one));
      }
    }, 120_000);
  }

  it('a shard process killed mid-run fails the run with SHARD_LOST and still returns the report', async () => {
    const text = `name: shard lost
seed: lost
clusters:
  - { name: A, release: "12.5", nodes: [pub] }
fleets:
  - { name: phones, cluster: A, count: 8, models: { "8861": 1 }, initial: provisioned }
steps:
  - advance: 2h
  - reset: phones
`;
    const links = [new ProcessLink(0), new ProcessLink(1)];
    const events = new EventBus<RunEvent>();
    // When the second step starts, shard 1's process is killed.
    events.on('step.start', (e) => {
      if (e.index === 2) process.kill(links[1]!.pid!, 'SIGKILL');
    });
    const started = runScenario(parseScenario(text, 'lost.yaml'), { runDir: mkdtempSync(join(tmpdir(), 'trustlab-shard-lost-')), keyPoolDir: TEST_KEYPOOL_DIR, links, linksLabel: '2 test processes', events });
    const r = await started;
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/SHARD_LOST: shard 1 was lost/);
    expect(r.steps.at(-1)?.index).toBe(2);
    // Every phone is in the report, once: shard 0's as they are, shard 1's as they last reported.
    expect(new Set(r.phones.map((p) => p.device)).size).toBe(8);
  }, 60_000);
});
