import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, type ClusterInit } from '../../src/cluster/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { TEST_KEYPOOL_DIR } from './keypool.js';

/** A fresh lab in a temporary directory, on a manual clock, drawing keys from the test pool. */
export async function testLab(o: { seed?: string; start?: Date } = {}): Promise<{ lab: Lab; clock: ManualClock; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'trustlab-lab-'));
  const clock = new ManualClock(o.start ?? new Date(Date.UTC(2026, 2, 1)));
  const lab = await Lab.create(dir, { keyPoolDir: TEST_KEYPOOL_DIR, clock, ...(o.seed ? { seed: o.seed } : {}) });
  return { lab, clock, dir };
}

export function nodes(...hosts: string[]): ClusterInit['nodes'] {
  return hosts.map((hostname) => ({ hostname }));
}
