import { createPrivateKey, createPublicKey, generateKeyPair as nodeGenerateKeyPair, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EmulatorError } from '../shared/errors.js';
import { writeFileOnce } from '../shared/fs.js';
import type { KeyPair, KeySpec } from './keys.js';

/**
 * A pool of pre-generated key pairs cached on disk (issue 3; architecture.md "keys … key
 * pool"). An RSA-2048 key costs about 0.2 s to generate and an RSA-4096 key about 1.5 s, so a
 * fleet of thousands of phones, or a test suite that builds dozens of clusters, takes its keys
 * from here.
 *
 * Keys are files `<dir>/<namespace>/<spec>/<index>.pem`, generated on demand and kept, and are
 * handed out in a stable order: the n-th key a lab takes from a namespace is always the same
 * key, so a lab rebuilt from the same seed gets the same keys. The lab stores its cursors
 * (see {@link KeyPool.cursors}).
 *
 * Namespaces keep uses apart: `identity` keys (CUCM certificates, CAs) are never handed out
 * twice to the same lab, so a regenerated certificate always has a new key; `device` keys
 * (phone MICs and LSCs) may cycle through a bounded set (`cycle`), since thousands of phones
 * need not have distinct keys for any trust decision the emulator makes, only distinct
 * certificates.
 *
 * Sharing: with `shared: true` the pool lives in `~/.cache/trustlab/keypool` (or
 * `$TRUSTLAB_KEYPOOL`) and all labs draw the same sequence; with `shared: false` the pool lives
 * inside the lab. A lab with its own pool can be copied to another machine and reopened with
 * the same keys. Sharing is an explicit lab option, recorded in lab.json.
 */

export type KeyNamespace = 'identity' | 'device';

export interface KeyPoolOptions {
  dir: string;
  /** Per namespace: after this many keys, start again at key 0 (default: never cycle). */
  cycle?: Partial<Record<KeyNamespace, number>>;
  /** Where each namespace's cursor starts (a reopened lab passes its saved cursors). */
  cursors?: Record<string, number>;
}

const generate = promisify(nodeGenerateKeyPair);

export function specId(spec: KeySpec): string {
  return spec.type === 'rsa' ? `rsa-${spec.bits}` : `ec-${spec.curve.toLowerCase()}`;
}

/** The pool directory used when labs share keys. */
export function sharedKeyPoolDir(): string {
  return process.env.TRUSTLAB_KEYPOOL ?? join(homedir(), '.cache', 'trustlab', 'keypool');
}

export class KeyPool {
  readonly dir: string;
  readonly #cycle: Partial<Record<KeyNamespace, number>>;
  readonly #cursors: Map<string, number>;
  /** Loaded keys by file path; a cycling device pool keeps each key parsed once. */
  readonly #loaded = new Map<string, Promise<KeyPair>>();

  constructor(o: KeyPoolOptions) {
    this.dir = o.dir;
    this.#cycle = o.cycle ?? {};
    this.#cursors = new Map(Object.entries(o.cursors ?? {}));
  }

  /** Cursor positions to save with the lab, keyed `<namespace>/<spec>`. */
  get cursors(): Record<string, number> {
    return Object.fromEntries([...this.#cursors].sort(([a], [b]) => a.localeCompare(b)));
  }

  /**
   * Moves every cursor at least as far as `cursors` (saved by another process of the same lab),
   * so that no key handed out there is handed out again here.
   */
  catchUp(cursors: Record<string, number>): void {
    for (const [id, n] of Object.entries(cursors)) if (n > (this.#cursors.get(id) ?? 0)) this.#cursors.set(id, n);
  }

  /** The next key of `spec` in `namespace`. */
  async take(spec: KeySpec, namespace: KeyNamespace = 'identity'): Promise<KeyPair> {
    const id = `${namespace}/${specId(spec)}`;
    const n = this.#cursors.get(id) ?? 0;
    this.#cursors.set(id, n + 1);
    const cycle = this.#cycle[namespace];
    return this.#at(namespace, spec, cycle ? n % cycle : n);
  }

  /** Makes sure keys `0..count-1` of `spec` exist on disk (generating in parallel). */
  async fill(spec: KeySpec, count: number, namespace: KeyNamespace = 'identity', onProgress?: (done: number, total: number) => void): Promise<void> {
    const dir = join(this.dir, namespace, specId(spec));
    await mkdir(dir, { recursive: true });
    const have = new Set(await readdir(dir));
    const missing: number[] = [];
    for (let i = 0; i < count; i++) if (!have.has(fileName(i))) missing.push(i);
    let done = count - missing.length;
    onProgress?.(done, count);
    const parallel = 4;
    for (let i = 0; i < missing.length; i += parallel) {
      await Promise.all(missing.slice(i, i + parallel).map(async (index) => {
        await this.#at(namespace, spec, index);
        onProgress?.(++done, count);
      }));
    }
  }

  #at(namespace: KeyNamespace, spec: KeySpec, index: number): Promise<KeyPair> {
    const path = join(this.dir, namespace, specId(spec), fileName(index));
    let p = this.#loaded.get(path);
    if (!p) {
      p = this.#load(spec, path);
      this.#loaded.set(path, p);
      p.catch(() => this.#loaded.delete(path));
    }
    return p;
  }

  async #load(spec: KeySpec, path: string): Promise<KeyPair> {
    let pem: string;
    try {
      pem = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new EmulatorError('IO_ERROR', `key pool: cannot read ${path}`, { cause: e });
      return this.#generate(spec, path);
    }
    try {
      const privateKey = createPrivateKey(pem);
      return { spec, privateKey, publicKey: createPublicKey(privateKey) };
    } catch (cause) {
      throw new EmulatorError('PKI_BAD_KEY', `key pool file ${path} is not a private key; delete it and it will be regenerated`, { cause });
    }
  }

  /**
   * Generates a key and publishes it with a write-once link, so that when two processes sharing
   * a pool race for the same index, both end up using the key that reached the disk first.
   */
  async #generate(spec: KeySpec, path: string): Promise<KeyPair> {
    const pair: { privateKey: KeyObject; publicKey: KeyObject } = spec.type === 'rsa'
      ? await generate('rsa', { modulusLength: spec.bits, publicExponent: 0x10001 })
      : await generate('ec', { namedCurve: spec.curve });
    const published = await writeFileOnce(path, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
    return published ? { spec, ...pair } : this.#load(spec, path);
  }
}

function fileName(index: number): string {
  return `${String(index).padStart(6, '0')}.pem`;
}
