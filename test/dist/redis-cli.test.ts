import { describe, expect, it } from 'vitest';
import { trustlab } from '../helpers/cli.js';

/** `--redis` with nothing listening fails fast with REDIS_UNAVAILABLE and what to do, not a hang (issue 17 §2). */
describe('trustlab run/worker --redis without a Redis', () => {
  it('run: exit 2, REDIS_UNAVAILABLE, the hint to start redis-server', async () => {
    const r = await trustlab(['run', 'sc-19', '--redis', 'redis://127.0.0.1:1', '--lab', '/tmp/trustlab-no-redis']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/REDIS_UNAVAILABLE: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(r.stderr).toMatch(/hint: start Redis/);
  });

  it('worker: exit 2 with REDIS_UNAVAILABLE; a URL that is not redis:// is a usage error', async () => {
    const r = await trustlab(['worker', '--redis', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/REDIS_UNAVAILABLE/);
    const bad = await trustlab(['worker', '--redis', 'http://127.0.0.1:6379']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/must start with redis:\/\//);
  });

  it('worker --help says what it does and how it fails over', async () => {
    const r = await trustlab(['worker', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--redis <url>/);
    expect(r.stdout).toMatch(/takes over the shards of a worker that died|another worker takes them over/);
  });
});
