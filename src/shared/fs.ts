import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EmulatorError } from './errors.js';

/**
 * Atomic file writes (architecture.md "State on disk"): write a temporary file beside the
 * target, fsync it, rename it over the target, then fsync the directory. A reader, or a lab
 * reopened after a crash, sees the old file or the new one, never a mix.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fh;
  try {
    fh = await open(tmp, 'wx', mode);
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (cause) {
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new EmulatorError('IO_ERROR', `could not write ${path}: ${(cause as Error).message}`, { cause });
  }
  await syncDir(dir);
}

/**
 * Writes `path` only if it does not exist yet, atomically (temporary file, fsync, hard link).
 * Resolves `false` when another writer got there first; the existing file is left alone.
 */
export async function writeFileOnce(path: string, data: Uint8Array | string, mode = 0o644): Promise<boolean> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    await syncDir(dir);
    return true;
  } catch (cause) {
    throw new EmulatorError('IO_ERROR', `could not write ${path}: ${(cause as Error).message}`, { cause });
  } finally {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  }
}

/**
 * Reads a whole file, turning "not found" into `IO_NOT_FOUND` with the path. Files larger than
 * `maxBytes` are refused with `IO_TOO_LARGE` before anything is read.
 */
export async function readFileBytes(path: string, maxBytes = 64 * 1024 * 1024): Promise<Uint8Array> {
  try {
    const st = await stat(path);
    if (st.isFile() && st.size > maxBytes) {
      throw new EmulatorError('IO_TOO_LARGE', `${path} is ${st.size} bytes; the limit for this input is ${maxBytes}`, { details: { path, size: st.size, maxBytes } });
    }
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    if (cause instanceof EmulatorError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new EmulatorError('IO_NOT_FOUND', `${path}: no such file`, { cause, details: { path } });
    if (code === 'EISDIR') throw new EmulatorError('IO_ERROR', `${path} is a directory, not a file`, { cause, details: { path } });
    throw new EmulatorError('IO_ERROR', `${path}: ${(cause as Error).message}`, { cause, details: { path } });
  }
}
