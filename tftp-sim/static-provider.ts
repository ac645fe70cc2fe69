import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { EmulatorError } from '../src/shared/errors.js';
import { checkFileName, type FileProvider } from './file-provider.js';

/** Limits of {@link StaticDirectoryProvider}. */
export interface StaticDirectoryOptions {
  /** Largest file served; larger ones are refused with `FILE_ACCESS_DENIED` (default 64 MiB). */
  maxFileBytes?: number;
}

const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Serves the files under one directory, as `in.tftpd -s DIR` does. A name is resolved with
 * `realpath`, so a symlink is followed only when its target stays inside the root; the file is
 * then opened without following links (`O_NOFOLLOW`, so a link swapped in after the check is
 * refused) and without blocking (`O_NONBLOCK`, so a FIFO cannot hang a read), and its type and
 * size are checked on the open handle before anything is read.
 */
export class StaticDirectoryProvider implements FileProvider {
  readonly root: string;
  readonly maxFileBytes: number;
  #realRoot: Promise<string> | undefined;

  constructor(root: string, options: StaticDirectoryOptions = {}) {
    const max = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (!Number.isInteger(max) || max < 0) throw new EmulatorError('INVALID_ARGUMENT', `maxFileBytes must be a non-negative integer, not ${max}`);
    this.root = resolve(root);
    this.maxFileBytes = max;
  }

  async read(name: string): Promise<Uint8Array | undefined> {
    const checked = checkFileName(name);
    if (!checked.ok) throw denied(name, checked.reason, checked.message);
    this.#realRoot ??= realpath(this.root).catch((cause: unknown) => {
      this.#realRoot = undefined;
      throw new EmulatorError('IO_ERROR', `TFTP root ${this.root}: ${(cause as Error).message}`, { cause });
    });
    const root = await this.#realRoot;
    let real: string;
    try {
      real = await realpath(resolve(root, checked.name));
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      if (code === 'ELOOP') throw denied(name, 'symlink-loop', 'symlink loop');
      throw new EmulatorError('IO_ERROR', `${name}: ${(cause as Error).message}`, { cause });
    }
    if (real !== root && !real.startsWith(root + sep)) throw denied(name, 'outside-root', 'resolves outside the served directory');
    return this.#readFile(name, real);
  }

  async #readFile(name: string, path: string): Promise<Uint8Array | undefined> {
    let fh;
    try {
      fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ELOOP') throw denied(name, 'symlink', 'changed into a symlink');
      if (code === 'EACCES' || code === 'EPERM') throw denied(name, 'permission', 'not readable by the server');
      throw new EmulatorError('IO_ERROR', `${name}: ${(cause as Error).message}`, { cause });
    }
    try {
      const st = await fh.stat();
      if (st.isDirectory()) throw denied(name, 'directory', 'is a directory');
      if (!st.isFile()) throw denied(name, 'not-a-file', 'is not a regular file');
      if (st.size > this.maxFileBytes) throw denied(name, 'too-large', `is ${st.size} bytes, over the ${this.maxFileBytes}-byte cap`);
      const buf = new Uint8Array(st.size);
      let off = 0;
      while (off < buf.length) {
        const { bytesRead } = await fh.read(buf, off, buf.length - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return off === buf.length ? buf : buf.slice(0, off);
    } catch (cause) {
      if (cause instanceof EmulatorError) throw cause;
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'EISDIR') throw denied(name, 'directory', 'is a directory');
      throw new EmulatorError('IO_ERROR', `${name}: ${(cause as Error).message}`, { cause });
    } finally {
      await fh.close().catch(() => undefined);
    }
  }
}

function denied(name: string, reason: string, message: string): EmulatorError {
  return new EmulatorError('FILE_ACCESS_DENIED', `${name}: ${message}`, { details: { name, reason } });
}
