import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = resolve(ROOT, 'bin/trustlab.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `trustlab` executable (as `npx trustlab` would) in a child process.
 * `npm test` builds first; run `npm run build` before running these tests alone.
 */
export function trustlab(args: readonly string[], opts: { cwd?: string; input?: string } = {}): Promise<CliResult> {
  if (!existsSync(resolve(ROOT, 'dist/src/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  return new Promise((resolveP) => {
    const env = { ...process.env, TRUSTLAB_KEYPOOL: process.env.TRUSTLAB_KEYPOOL ?? resolve(ROOT, '.trustlab-keypool') };
    const child = execFile(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', env }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolveP({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Runs any program; resolves with its exit code and output (never rejects). */
export function run(cmd: string, args: readonly string[], opts: { cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolveP) => {
    execFile(cmd, [...args], { cwd: opts.cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 127) : 0;
      resolveP({ code, stdout, stderr });
    });
  });
}
