import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFileName } from './file-provider.js';
import { StaticDirectoryProvider } from './static-provider.js';

describe('checkFileName (shared by TFTP and HTTP)', () => {
  it.each([
    ['ITLFile.tlv', 'ITLFile.tlv'],
    ['SEP001122334455.cnf.xml.sgn', 'SEP001122334455.cnf.xml.sgn'],
    ['firmware/sip88xx.loads', 'firmware/sip88xx.loads'],
    ['a/./b', 'a/b'],
    ['a//b/', 'a/b'],
    ['..foo', '..foo'],
  ])('accepts %j as %j', (requested, name) => {
    expect(checkFileName(requested)).toEqual({ ok: true, name });
  });
  it.each([
    ['', 'empty'],
    ['.', 'empty'],
    ['/etc/passwd', 'absolute'],
    ['../etc/passwd', 'traversal'],
    ['a/../../b', 'traversal'],
    ['a/..', 'traversal'],
    ['..\\windows', 'backslash'],
    ['C:\\boot.ini', 'backslash'],
    ['a\nb', 'control-character'],
    ['x'.repeat(256), 'too-long'],
  ])('refuses %j (%s)', (requested, reason) => {
    expect(checkFileName(requested)).toMatchObject({ ok: false, reason });
  });
});

describe('StaticDirectoryProvider', () => {
  const outside = mkdtempSync(join(tmpdir(), 'tftp-outside-'));
  writeFileSync(join(outside, 'secret'), 'secret');
  const root = mkdtempSync(join(tmpdir(), 'tftp-root-'));
  writeFileSync(join(root, 'ITLFile.tlv'), Uint8Array.of(1, 2, 3));
  writeFileSync(join(root, 'empty'), '');
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'sub', 'f'), 'in sub');
  writeFileSync(join(root, 'big'), new Uint8Array(101));
  symlinkSync(join(outside, 'secret'), join(root, 'escape'));
  symlinkSync(join(outside), join(root, 'escape-dir'));
  symlinkSync('sub/f', join(root, 'inside-link'));
  symlinkSync('loop', join(root, 'loop'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  const p = new StaticDirectoryProvider(root, { maxFileBytes: 100 });
  const denied = (reason: string) => expect.objectContaining({ code: 'FILE_ACCESS_DENIED', details: expect.objectContaining({ reason }) });

  it('reads files, empty files and files in subdirectories; follows links that stay inside', async () => {
    expect(await p.read('ITLFile.tlv')).toEqual(Uint8Array.of(1, 2, 3));
    expect(await p.read('empty')).toEqual(new Uint8Array(0));
    expect(Buffer.from((await p.read('sub/f'))!).toString()).toBe('in sub');
    expect(Buffer.from((await p.read('inside-link'))!).toString()).toBe('in sub');
  });
  it('answers undefined for a missing file, or a path through a file', async () => {
    expect(await p.read('missing')).toBeUndefined();
    expect(await p.read('ITLFile.tlv/x')).toBeUndefined();
  });
  it('refuses traversal, links out of the root, directories, FIFOs, loops and files over the cap', async () => {
    await expect(p.read('../' + 'x')).rejects.toEqual(denied('traversal'));
    await expect(p.read('/etc/passwd')).rejects.toEqual(denied('absolute'));
    await expect(p.read('escape')).rejects.toEqual(denied('outside-root'));
    await expect(p.read('escape-dir/secret')).rejects.toEqual(denied('outside-root'));
    await expect(p.read('sub')).rejects.toEqual(denied('directory'));
    await expect(p.read('fifo')).rejects.toEqual(denied('not-a-file'));
    await expect(p.read('loop')).rejects.toEqual(denied('symlink-loop'));
    await expect(p.read('big')).rejects.toEqual(denied('too-large'));
  });
});
