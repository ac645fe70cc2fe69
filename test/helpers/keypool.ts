import { resolve } from 'node:path';
import { KeyPool } from '../../src/pki/index.js';
import { ROOT } from './cli.js';

/**
 * The key pool tests draw from: `<repo>/.trustlab-keypool` (git-ignored), shared by every test
 * file, so a warm checkout builds clusters without generating keys. A fresh CI checkout fills
 * it on first use.
 */
export const TEST_KEYPOOL_DIR = resolve(ROOT, '.trustlab-keypool');

export function testKeyPool(cursors?: Record<string, number>): KeyPool {
  return new KeyPool({ dir: TEST_KEYPOOL_DIR, cycle: { device: 64 }, ...(cursors ? { cursors } : {}) });
}
