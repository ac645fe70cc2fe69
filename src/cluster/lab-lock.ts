import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EmulatorError } from '../shared/errors.js';
import { writeFileOnce } from '../shared/fs.js';

/**
 * The lab's write lock (decision 023): `lab/.lock`, created atomically with its holder written
 * in it, removed when the holder is done. Every commit to the lab — a cluster operation, a new
 * cluster, the key-pool cursors — runs while holding it, so that CLI commands run at the same
 * time in several terminals, and a `trustlab serve` recording CAPF enrolments, all persist.
 *
 * A lock left by a process that died (kill -9) is stale: its holder names a pid on this host
 * that is gone, or whose start time differs (the pid was reused). A waiter breaks such a lock
 * at once. A live holder is waited for up to a bound, then the waiter fails with `LAB_BUSY`
 * naming the holder. Holders only hold the lock for one commit, milliseconds to a few seconds.
 */
export const LAB_LOCK_FILE = '.lock';

/** How long a writer waits for another by default ($TRUSTLAB_LOCK_TIMEOUT_MS overrides). */
export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

/** A lock from another host cannot be checked for liveness; past this age it is taken as stale. */
const FOREIGN_STALE_MS = 10 * 60_000;

export interface LockHolder {
  pid: number;
  host: string;
  /** Linux process start time (field 22 of /proc/PID/stat), to tell a reused pid apart. */
  procStart?: string;
  since: string;
  command: string;
  nonce: string;
}

export interface LabLockOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** What the holder is doing, shown to anyone who has to wait for it. */
  command?: string;
}

const held = new AsyncLocalStorage<Set<string>>();
const local = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` holding the write lock of the lab at `dir`. Re-entrant within one async call chain;
 * calls from one process on one lab queue in process before taking the file lock.
 */
export async function withLabLock<T>(dir: string, fn: () => Promise<T>, o: LabLockOptions = {}): Promise<T> {
  const mine = held.getStore();
  if (mine?.has(dir)) return fn();
  const before = local.get(dir) ?? Promise.resolve();
  const run = async (): Promise<T> => {
    const release = await acquire(dir, o);
    try {
      return await held.run(new Set([...(mine ?? []), dir]), fn);
    } finally {
      await release();
    }
  };
  const p = before.then(run, run);
  const tail = p.catch(() => undefined);
  local.set(dir, tail);
  void tail.then(() => {
    if (local.get(dir) === tail) local.delete(dir);
  });
  return p;
}

async function acquire(dir: string, o: LabLockOptions): Promise<() => Promise<void>> {
  const path = join(dir, LAB_LOCK_FILE);
  const timeoutMs = o.timeoutMs ?? (Number(process.env.TRUSTLAB_LOCK_TIMEOUT_MS) || DEFAULT_LOCK_TIMEOUT_MS);
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    ...procStartOf(process.pid),
    since: new Date().toISOString(),
    command: o.command ?? commandLine(),
    nonce: randomBytes(8).toString('hex'),
  };
  await mkdir(dir, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let wait = 5;
  for (;;) {
    o.signal?.throwIfAborted();
    if (await writeFileOnce(path, JSON.stringify(me) + '\n', 0o644)) break;
    const other = await readHolder(path);
    if (!other || isStale(other)) {
      await breakLock(path, other);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new EmulatorError('LAB_BUSY', `the lab ${dir} is being changed by pid ${other.pid} on ${other.host} (${other.command}, since ${other.since}); waited ${Math.round(timeoutMs / 1000)} s. Try again when it is done; if that process is gone, delete ${path}.`, { details: { holder: other } });
    }
    await sleep(Math.min(wait, deadline - Date.now()), o.signal);
    wait = Math.min(wait * 2, 100);
  }
  return async () => {
    const now = await readHolder(path);
    if (now?.nonce === me.nonce) await rm(path, { force: true });
  };
}

/** The holder named in the lock file, or undefined for a file cut short (its writer died). */
async function readHolder(path: string): Promise<LockHolder | undefined> {
  const raw = await readFile(path, 'utf8').catch(() => undefined);
  if (raw === undefined) return { pid: 0, host: '', since: '', command: '', nonce: 'gone' };
  try {
    const h = JSON.parse(raw) as LockHolder;
    return typeof h.pid === 'number' && typeof h.nonce === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

export function isStale(h: LockHolder): boolean {
  if (h.nonce === 'gone') return false; // released between our attempt and the read: retry
  if (h.host !== hostname()) return Date.now() - Date.parse(h.since) > FOREIGN_STALE_MS;
  if (!alive(h.pid)) return true;
  const start = procStartOf(h.pid).procStart;
  return h.procStart !== undefined && start !== undefined && start !== h.procStart;
}

/**
 * Removes a stale lock without removing a fresh one that replaced it meanwhile: the file is
 * renamed aside (atomic; one breaker wins), and put back if what was moved is not the stale
 * holder that was inspected.
 */
async function breakLock(path: string, stale: LockHolder | undefined): Promise<void> {
  if (stale?.nonce === 'gone') return;
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else broke or released it
  }
  const moved = await readHolder(aside);
  if (stale && moved && moved.nonce !== stale.nonce && !isStale(moved)) await link(aside, path).catch(() => undefined);
  await rm(aside, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function procStartOf(pid: number): { procStart?: string } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { procStart: fields[19]! };
  } catch {
    return {};
  }
}

function commandLine(): string {
  const args = process.argv.slice(2).map((a, i, all) => (all[i - 1] === '--password' ? '…' : a.startsWith('--password=') ? '--password=…' : a));
  return ['trustlab', ...args].join(' ').slice(0, 200);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(1, ms));
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
