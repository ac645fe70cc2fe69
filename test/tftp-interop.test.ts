import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticDirectoryProvider, TftpServer, type TftpEvent } from '../tftp-sim/index.js';
import { seededBytes } from './helpers/tftp.js';
import { has, runTool } from './helpers/tools.js';

/**
 * Interop with TFTP clients someone else wrote (issue 4, "Must show"): curl, Debian's tftp-hpa
 * and atftp fetch byte-exact files of 0 B, 511 B, 512 B, 10 KB and 1 MB from TftpServer on
 * real UDP (127.0.0.1, port 0), and get the right error for a missing file. The server's own
 * `tftp.complete` events show which options were really negotiated. A client that is not
 * installed skips its tests with the reason (`.ci/run` installs all three).
 */
const CLIENTS = { curl: has('curl'), tftp: has('tftp'), atftp: has('atftp') };
for (const [name, present] of Object.entries(CLIENTS)) {
  if (!present) console.warn(`tftp-interop: SKIPPING the ${name} tests: \`${name}\` is not installed (apt-get install ${name === 'tftp' ? 'tftp-hpa' : name})`);
}

const SIZES = [0, 511, 512, 10 * 1024, 1024 * 1024];
const root = mkdtempSync(join(tmpdir(), 'tftp-interop-root-'));
const out = mkdtempSync(join(tmpdir(), 'tftp-interop-out-'));
const FILES = new Map(SIZES.map((n) => [`file-${n}.bin`, seededBytes(n, `interop-${n}`)]));
const TEXT = 'CUCM says hello\nsecond line\r\nbare CR\rend\n';
let server: TftpServer;
let port = 0;
const events: TftpEvent[] = [];

beforeAll(async () => {
  for (const [name, bytes] of FILES) writeFileSync(join(root, name), bytes);
  writeFileSync(join(root, 'text.txt'), TEXT);
  server = new TftpServer({ files: new StaticDirectoryProvider(root) });
  server.events.onAny((e) => events.push(e));
  port = (await server.listen({ host: '127.0.0.1', port: 0 })).port;
});

afterAll(async () => {
  await server.destroy();
});

let n = 0;
const local = (): string => join(out, `got-${++n}`);

/** The last transfer event for `file` (a complete, an error or a timeout). */
function lastOutcome(file: string): TftpEvent | undefined {
  return events.filter((e) => (e.type === 'tftp.complete' || e.type === 'tftp.error' || e.type === 'tftp.timeout') && e.file === file).at(-1);
}

function expectSame(path: string, name: string): void {
  expect(existsSync(path), `${path} was written`).toBe(true);
  expect(Buffer.from(readFileSync(path)).equals(Buffer.from(FILES.get(name)!)), `${name} is byte-exact`).toBe(true);
}

describe.skipIf(!CLIENTS.curl)('curl tftp://', () => {
  const variants: Array<{ label: string; args: string[]; blockSize: number }> = [
    { label: 'default options (curl sends tsize, blksize 512, timeout)', args: [], blockSize: 512 },
    { label: '--tftp-blksize 1428', args: ['--tftp-blksize', '1428'], blockSize: 1428 },
    { label: '--tftp-no-options (plain RFC 1350)', args: ['--tftp-no-options'], blockSize: 512 },
  ];
  for (const v of variants) {
    it.each(SIZES)(`${v.label}: %d bytes`, async (size) => {
      const name = `file-${size}.bin`;
      const path = local();
      const r = await runTool('curl', ['-sS', ...v.args, '-o', path, `tftp://127.0.0.1:${port}/${name}`]);
      expect(r.code, r.stderr).toBe(0);
      expectSame(path, name);
      expect(lastOutcome(name)).toMatchObject({ type: 'tftp.complete', bytes: size, blockSize: v.blockSize });
    });
  }

  it('exits 68 (CURLE_TFTP_NOTFOUND) for a missing file and 69 (CURLE_TFTP_PERM) for ../', async () => {
    const missing = await runTool('curl', ['-sS', '-o', local(), `tftp://127.0.0.1:${port}/missing.tlv`]);
    expect(missing.code).toBe(68);
    expect(lastOutcome('missing.tlv')).toMatchObject({ type: 'tftp.error', tftpCode: 1 });
    const up = await runTool('curl', ['-sS', '--path-as-is', '-o', local(), `tftp://127.0.0.1:${port}/../etc/passwd`]);
    expect(up.code).toBe(69);
    expect(lastOutcome('../etc/passwd')).toMatchObject({ type: 'tftp.error', tftpCode: 2 });
  });
});

describe.skipIf(!CLIENTS.tftp)('Debian tftp-hpa client', () => {
  it.each(SIZES)('binary mode: %d bytes', async (size) => {
    const name = `file-${size}.bin`;
    const path = local();
    const r = await runTool('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', name, path]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/error|timed out/i);
    expectSame(path, name);
    expect(lastOutcome(name)).toMatchObject({ type: 'tftp.complete', bytes: size, mode: 'octet' });
  });

  it('netascii mode: the text comes back with its own line ends', async () => {
    const path = local();
    const r = await runTool('tftp', ['-m', 'netascii', '127.0.0.1', String(port), '-c', 'get', 'text.txt', path]);
    expect(r.stdout + r.stderr).not.toMatch(/error/i);
    expect(readFileSync(path, 'latin1')).toBe(TEXT);
    expect(lastOutcome('text.txt')).toMatchObject({ type: 'tftp.complete', mode: 'netascii', bytes: Buffer.byteLength(TEXT) + 5 });
  });

  it('reports "Error code 1" for a missing file', async () => {
    const r = await runTool('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', 'missing.cnf.xml', local()]);
    expect(r.stdout + r.stderr).toMatch(/Error code 1: File not found/);
    expect(lastOutcome('missing.cnf.xml')).toMatchObject({ type: 'tftp.error', tftpCode: 1 });
  });
});

describe.skipIf(!CLIENTS.atftp)('Debian atftp client', () => {
  const withOptions = ['--option', 'blksize 1428', '--option', 'tsize enable', '--option', 'timeout 2', '--option', 'windowsize 8'];
  it.each(SIZES)('no options: %d bytes', async (size) => {
    const name = `file-${size}.bin`;
    const path = local();
    const r = await runTool('atftp', ['--get', '-r', name, '-l', path, '127.0.0.1', String(port)]);
    expect(r.code, r.stderr).toBe(0);
    expectSame(path, name);
    expect(lastOutcome(name)).toMatchObject({ type: 'tftp.complete', bytes: size, blockSize: 512, windowSize: 1 });
  });

  it.each(SIZES)('--option blksize 1428, tsize, timeout 2, windowsize 8: %d bytes', async (size) => {
    const name = `file-${size}.bin`;
    const path = local();
    const r = await runTool('atftp', ['--get', '-r', name, '-l', path, ...withOptions, '127.0.0.1', String(port)]);
    expect(r.code, r.stderr).toBe(0);
    expectSame(path, name);
    expect(lastOutcome(name)).toMatchObject({ type: 'tftp.complete', bytes: size, blockSize: 1428, windowSize: 8 });
  });

  it('fails with the server\'s "File not found" for a missing file', async () => {
    const r = await runTool('atftp', ['--get', '-r', 'missing.tlv', '-l', local(), ...withOptions, '127.0.0.1', String(port)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/File not found/);
    expect(lastOutcome('missing.tlv')).toMatchObject({ type: 'tftp.error', tftpCode: 1 });
  });
});

describe('after the interop runs', () => {
  it('holds no transfer and no per-client state', async () => {
    const deadline = Date.now() + 10_000;
    while (server.stats.liveTransfers > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(server.stats).toMatchObject({ liveTransfers: 0, clientsWithTransfers: 0, bytesInFlight: 0, timedOut: 0 });
  });
});
