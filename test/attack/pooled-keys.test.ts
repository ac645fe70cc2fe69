import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trustlab } from '../helpers/cli.js';

/**
 * Issue 15, "the shared key pool": a lab whose private keys come from the pool other labs share
 * is not served on a non-loopback address without being told (decision 025).
 */
describe('attack: pooled keys served to a network', () => {
  it('serve --host 0.0.0.0 refuses a pooled-key lab with LAB_POOLED_KEYS, saying to use --private-keys', { timeout: 60_000 }, async () => {
    const lab = mkdtempSync(join(tmpdir(), 'trustlab-attack-pool-'));
    expect((await trustlab(['cluster', 'init', 'A', '--release', '12.5', '--nodes', 'pub', '--lab', lab])).code).toBe(0);
    const r = await trustlab(['serve', '--lab', lab, '--host', '0.0.0.0', '--json']);
    expect(r.code).toBe(2);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('LAB_POOLED_KEYS');
    expect(err.message).toContain('--private-keys');
  });
});
