import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticDirectoryProvider } from '../tftp-sim/index.js';
import { HttpFileService, type HttpFileEvent } from '../src/ucm/index.js';
import { seededBytes } from './helpers/tftp.js';
import { has, runTool } from './helpers/tools.js';

/**
 * The HTTP file service (port 6970 on CUCM) on a real socket (127.0.0.1, port 0), over the
 * same file provider and name checks as TFTP. Requests go out raw through node:http so that
 * paths like `/../x` reach the server unnormalised, as an attacker would send them.
 */
const root = mkdtempSync(join(tmpdir(), 'http-files-'));
const outside = mkdtempSync(join(tmpdir(), 'http-outside-'));
const ITL = seededBytes(10 * 1024, 'http-itl');
const BIG = seededBytes(1024 * 1024, 'http-big');
let service: HttpFileService;
let port = 0;
const events: HttpFileEvent[] = [];

beforeAll(async () => {
  writeFileSync(join(root, 'ITLFile.tlv'), ITL);
  writeFileSync(join(root, 'big.bin'), BIG);
  writeFileSync(join(root, 'SEP001122334455.cnf.xml'), '<device/>');
  writeFileSync(join(root, 'empty'), '');
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(outside, 'secret'), 'secret');
  symlinkSync(join(outside, 'secret'), join(root, 'escape'));
  service = new HttpFileService({ files: new StaticDirectoryProvider(root) });
  service.events.onAny((e) => events.push(e));
  port = (await service.listen({ host: '127.0.0.1', port: 0 })).port;
});

afterAll(async () => {
  await service.destroy();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function http(method: string, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HttpFileService', () => {
  it('serves files with 200 and an exact Content-Length', async () => {
    const r = await http('GET', '/ITLFile.tlv');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(ITL.length));
    expect(r.headers['content-type']).toBe('application/octet-stream');
    expect(r.body.equals(Buffer.from(ITL))).toBe(true);
    const xml = await http('GET', '/SEP001122334455.cnf.xml?ignored=1');
    expect(xml.status).toBe(200);
    expect(xml.headers['content-type']).toBe('text/xml');
    expect(xml.body.toString()).toBe('<device/>');
    const empty = await http('GET', '/empty');
    expect([empty.status, empty.headers['content-length'], empty.body.length]).toEqual([200, '0', 0]);
    expect(events.filter((e) => e.type === 'http.request').at(-1)).toMatchObject({ method: 'GET', path: '/empty', status: 200, bytes: 0 });
  });

  it('answers HEAD with the headers only', async () => {
    const r = await http('HEAD', '/big.bin');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(BIG.length));
    expect(r.body.length).toBe(0);
  });

  it.each([
    ['GET', '/missing.tlv', 404, 'not-found'],
    ['GET', '/../etc/passwd', 400, 'bad-name'],
    ['GET', '/%2e%2e/etc/passwd', 400, 'bad-name'],
    ['GET', '/sub/../../etc/passwd', 400, 'bad-name'],
    ['GET', '//etc/passwd', 400, 'bad-name'],
    ['GET', '/..%5c..%5cboot.ini', 400, 'bad-name'],
    ['GET', '/a%00b', 400, 'bad-name'],
    ['GET', '/%zz', 400, 'bad-name'],
    ['GET', '/', 400, 'bad-name'],
    ['GET', '/sub', 403, 'access-violation'],
    ['GET', '/escape', 403, 'access-violation'],
    ['POST', '/ITLFile.tlv', 405, 'method'],
    ['PUT', '/ITLFile.tlv', 405, 'method'],
    ['DELETE', '/ITLFile.tlv', 405, 'method'],
  ])('%s %s → %d', async (method, path, status, reason) => {
    const r = await http(method, path);
    expect(r.status).toBe(status);
    expect(r.headers['content-length']).toBe(String(r.body.length));
    if (status === 405) expect(r.headers['allow']).toBe('GET, HEAD');
    expect(r.body.toString()).not.toContain('secret');
    expect(events.filter((e) => e.type === 'http.request').at(-1)).toMatchObject({ method, status, reason });
  });

  it.skipIf(!has('curl'))('serves a 1 MB file byte-exact to curl', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'http-out-')), 'big');
    const r = await runTool('curl', ['-sS', '--fail', '-o', out, `http://127.0.0.1:${port}/big.bin`]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out).equals(Buffer.from(BIG))).toBe(true);
  });

  it('refuses a second listen; close() is idempotent and ends idle keep-alive connections', async () => {
    await expect(service.listen({ host: '127.0.0.1', port: 0 })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    const s2 = new HttpFileService({ files: new StaticDirectoryProvider(root) });
    const p2 = (await s2.listen({ host: '127.0.0.1', port: 0 })).port;
    const res = await fetch(`http://127.0.0.1:${p2}/ITLFile.tlv`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    await Promise.all([s2.close(), s2.close()]);
    expect(s2.state).toBe('closed');
    expect(s2.connections).toBe(0);
    const busy = new HttpFileService({ files: new StaticDirectoryProvider(root) });
    await expect(busy.listen({ host: '127.0.0.1', port })).rejects.toMatchObject({ code: 'LISTEN_FAILED', details: expect.objectContaining({ errno: 'EADDRINUSE' }) });
  });
});
