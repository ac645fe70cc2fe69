import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tftpGet } from '../tftp-sim/index.js';
import { ROOT, trustlab } from './helpers/cli.js';
import { eventually, seededBytes } from './helpers/tftp.js';

/**
 * `trustlab serve tftp` as a tester runs it: the built executable in a child process, on
 * loopback with port 0 (the bound ports are read back from its log), fetched from with the
 * TFTP client and HTTP, then stopped with SIGINT. Needs `npm run build` first, like the other
 * CLI tests.
 */
const BIN = resolve(ROOT, 'bin/trustlab.js');
const root = mkdtempSync(join(tmpdir(), 'serve-tftp-'));
const ITL = seededBytes(10 * 1024, 'serve-itl');
writeFileSync(join(root, 'ITLFile.tlv'), ITL);

interface Running {
  child: ChildProcess;
  lines: string[];
  stderr: string[];
  exit: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function serve(args: string[], options: { uid?: number; gid?: number } = {}): Running {
  if (!existsSync(resolve(ROOT, 'dist/src/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const child = spawn(process.execPath, [BIN, 'serve', 'tftp', ...args], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.push(child);
  const lines: string[] = [];
  const stderr: string[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, lines, stderr, exit };
}

async function portOf(r: Running, pattern: RegExp): Promise<number> {
  await eventually(() => r.lines.some((l) => pattern.test(l)) || r.child.exitCode !== null, 15_000, `a line matching ${pattern}`);
  const m = r.lines.map((l) => pattern.exec(l)).find(Boolean);
  if (!m) throw new Error(`no ${pattern} in:\n${r.lines.join('\n')}\n${r.stderr.join('')}`);
  return Number(m[1]);
}

describe('trustlab serve tftp', () => {
  it('serves a directory over TFTP and HTTP, logs one line per transfer, and stops on SIGINT', async () => {
    const r = serve(['--root', root, '--host', '127.0.0.1', '--port', '0', '--http-port', '0']);
    const port = await portOf(r, /tftp listening on udp 127\.0\.0\.1:(\d+)/);
    const httpPort = await portOf(r, /http listening on tcp 127\.0\.0\.1:(\d+)/);
    const got = await tftpGet('ITLFile.tlv', { host: '127.0.0.1', port, blockSize: 1428, tsize: true });
    expect(Buffer.from(got.bytes).equals(Buffer.from(ITL))).toBe(true);
    await expect(tftpGet('missing.tlv', { host: '127.0.0.1', port })).rejects.toMatchObject({ code: 'TFTP_NOT_FOUND' });
    const res = await fetch(`http://127.0.0.1:${httpPort}/ITLFile.tlv`);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(ITL))).toBe(true);
    await eventually(() => r.lines.filter((l) => / (tftp|http) 127\.0\.0\.1:\d+ /.test(l)).length >= 3, 5000, 'three transfer lines');
    const transfers = r.lines.filter((l) => / (tftp|http) 127\.0\.0\.1:\d+ /.test(l));
    expect(transfers).toEqual([
      expect.stringMatching(/tftp 127\.0\.0\.1:\d+ RRQ ITLFile\.tlv octet 10240 B blksize=1428 window=1 \d+ ms ok$/),
      expect.stringMatching(/tftp 127\.0\.0\.1:\d+ missing\.tlv ERROR 1 sent \(not-found\): File not found$/),
      expect.stringMatching(/http 127\.0\.0\.1:\d+ GET \/ITLFile\.tlv 200 10240 B \d+ ms$/),
    ]);
    r.child.kill('SIGINT');
    expect(await r.exit).toBe(0);
    expect(r.lines.at(-1)).toBe('stopped');
  });

  it('--json logs one JSON event per line', async () => {
    const r = serve(['--root', root, '--host', '127.0.0.1', '--port', '0', '--no-http', '--json']);
    await eventually(() => r.lines.length >= 1, 15_000, 'listening line');
    const listening = JSON.parse(r.lines[0]!);
    expect(listening).toMatchObject({ type: 'tftp.listening', address: { address: '127.0.0.1' } });
    await tftpGet('ITLFile.tlv', { host: '127.0.0.1', port: listening.address.port });
    await eventually(() => r.lines.length >= 2, 5000, 'transfer line');
    expect(JSON.parse(r.lines[1]!)).toMatchObject({ type: 'tftp.complete', file: 'ITLFile.tlv', bytes: 10240, time: expect.any(String) });
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
  });

  it('exits 64 without --root and 66 for a root that does not exist', async () => {
    const none = await trustlab(['serve', 'tftp', '--port', '0']);
    expect(none.code).toBe(64);
    expect(none.stderr).toContain('--root');
    const missing = await trustlab(['serve', 'tftp', '--root', join(root, 'nope'), '--port', '0']);
    expect(missing.code).toBe(66);
  });

  it('says to use --port 6969 or privileges when port 69 needs root (EACCES)', async (ctx) => {
    const asRoot = process.getuid?.() === 0;
    // As root, drop to `nobody` for the child; as anyone else, port 69 already needs privileges.
    const r = serve(['--root', root, '--host', '127.0.0.1', '--port', '69', '--no-http'], asRoot ? { uid: 65534, gid: 65534 } : {});
    const code = await r.exit;
    const err = r.stderr.join('');
    if (code === null || (code !== 0 && !/EACCES|permission denied/.test(err))) {
      ctx.skip(`could not provoke EACCES on port 69 here (exit ${code}: ${err.trim().slice(0, 200)})`);
    }
    expect(code).toBe(2);
    expect(err).toContain('LISTEN_FAILED');
    expect(err).toContain('--port 6969');
    expect(err).toMatch(/run with privileges/);
  });
});
