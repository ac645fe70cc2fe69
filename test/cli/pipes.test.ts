import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Issue 18: "Pipes crash it". Every command ends quietly, status 0, when its reader goes away:
 * through a real shell pipeline into `head`, and with the reader closed before the first write.
 */
const BIN = resolve(import.meta.dirname, '../../bin/trustlab.js');
const COMMANDS = [['scenarios', '--json'], ['scenarios'], ['--help'], ['run', '--help'], ['itl', 'dump', resolve(import.meta.dirname, '../../../shared/samples/cucm-ctl-gigantic6-2015/CTLFile.as-found.tlv'), '--json']];

function closedEarly(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const c = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout.destroy();
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => {
      c.kill('SIGKILL');
      fail(new Error(`trustlab ${args.join(' ')} did not end within 30 s after its reader went away`));
    }, 30_000);
    c.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stderr });
    });
  });
}

describe('a reader that goes away', () => {
  it.each(COMMANDS)('`trustlab %s … | head -1` exits 0 with an empty stderr', (...args: string[]) => {
    // PIPESTATUS[0] is trustlab's own status, not head's.
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" ${args.map((a) => `'${a}'`).join(' ')} 2>/tmp/trustlab-pipe-err.$$ | head -1 >/dev/null; s=\${PIPESTATUS[0]}; cat /tmp/trustlab-pipe-err.$$ >&2; rm -f /tmp/trustlab-pipe-err.$$; exit $s`], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.each(COMMANDS)('`trustlab %s …` with its stdout closed before the first write exits 0 quietly', async (...args: string[]) => {
    const r = await closedEarly(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
