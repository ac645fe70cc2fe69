import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EmulatorError } from '../shared/errors.js';
import type { ShardManifest, ShardProgress, ShardReply, ShardRequest, ShardSetup } from './protocol.js';
import { ShardHost } from './shard.js';

/**
 * How the coordinator reaches one shard (decision 029): in this process, in a child process over
 * its IPC channel, or (dist/redis.ts) through BullMQ jobs. Each request resolves with the shard's
 * reply or rejects with a typed error: SHARD_FAILED when the shard answered with an error,
 * SHARD_LOST when it went away. The caller bounds the wait (the step watchdog).
 */
export type OkReply = Extract<ShardReply, { ok: true }>;

export interface ShardLink {
  readonly shard: number;
  /** Builds the shard's phones; resolves with what they are. */
  start(setup: ShardSetup, onProgress?: (p: ShardProgress) => void): Promise<ShardManifest>;
  request(req: ShardRequest, onProgress?: (p: ShardProgress) => void): Promise<OkReply>;
  /** Ends the shard (idempotent); its phones are switched off. */
  close(): Promise<void>;
}

/** Shards that can take one request for all of them as a unit (a BullMQ flow: the barrier is the parent job). */
export interface ShardGroup {
  requestAll(req: ShardRequest): Promise<OkReply[]>;
}

export function unwrap(shard: number, req: ShardRequest, r: ShardReply): OkReply {
  if (r.ok) return r;
  throw new EmulatorError('SHARD_FAILED', `shard ${shard} failed ${req.op}: ${r.code}: ${r.message}`, { details: { code: r.code, shard } });
}

/** A shard in this process: no copying, the same protocol. */
export class LocalLink implements ShardLink {
  #host: ShardHost | undefined;
  constructor(readonly shard: number) {}

  async start(setup: ShardSetup, onProgress?: (p: ShardProgress) => void): Promise<ShardManifest> {
    this.#host = await ShardHost.create(setup, onProgress);
    return this.#host.manifest;
  }

  async request(req: ShardRequest, onProgress?: (p: ShardProgress) => void): Promise<OkReply> {
    if (!this.#host) throw new EmulatorError('INVALID_STATE', `shard ${this.shard} was not started`);
    return unwrap(this.shard, req, await this.#host.handle(req, onProgress));
  }

  async close(): Promise<void> {
    await this.#host?.handle({ op: 'close' });
  }
}

/** Messages on a shard process's IPC channel. */
export type ToShard = { id: number; setup: ShardSetup } | { id: number; req: ShardRequest };
export type FromShard =
  | { id: number; reply: ShardReply; manifest?: ShardManifest }
  | { id: number; progress: ShardProgress }
  | { id: number; failed: { code: string; message: string } };

/** The compiled module beside this one (tests run the TypeScript sources; child processes run dist/). */
export function builtModule(name: string): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return here.replace(/link\.js$/, name);
  return here.replace(/\/src\/dist\/link\.ts$/, `/dist/src/dist/${name}`);
}

/**
 * A shard in a child process of its own: its own event loop, its own heap and its own file
 * descriptor limit (20,000 here), which a 40,000-phone run needs (issue 17 §3). The child exits
 * when this process does (its IPC channel closes).
 */
export class ProcessLink implements ShardLink {
  #child: ChildProcess | undefined;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (m: FromShard) => void; reject: (e: Error) => void; onProgress?: (p: ShardProgress) => void; what: string }>();
  #gone: Error | undefined;
  #closing: Promise<void> | undefined;

  constructor(readonly shard: number, readonly o: { execArgv?: string[] } = {}) {}

  /** The child's pid (tests kill it). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async start(setup: ShardSetup, onProgress?: (p: ShardProgress) => void): Promise<ShardManifest> {
    const child = fork(builtModule('shard-process.js'), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: this.o.execArgv ?? inheritedExecArgv() });
    this.#child = child;
    child.on('message', (m: FromShard) => this.#onMessage(m));
    child.on('exit', (code, signal) => this.#lost(`its process exited (${signal ?? `code ${code}`})`));
    child.on('error', (e) => this.#lost(`its process failed: ${e.message}`));
    const m = await this.#send({ id: 0, setup }, 'setup', onProgress);
    if ('reply' in m && m.manifest) return m.manifest;
    throw new EmulatorError('SHARD_FAILED', `shard ${this.shard} answered setup without its phones`);
  }

  async request(req: ShardRequest, onProgress?: (p: ShardProgress) => void): Promise<OkReply> {
    const m = await this.#send({ id: 0, req }, req.op, onProgress);
    if (!('reply' in m)) throw new EmulatorError('SHARD_FAILED', `shard ${this.shard} answered ${req.op} with nothing`);
    return unwrap(this.shard, req, m.reply);
  }

  #send(msg: ToShard, what: string, onProgress?: (p: ShardProgress) => void): Promise<FromShard> {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, ...(onProgress ? { onProgress } : {}), what });
      this.#child!.send({ ...msg, id }, (err) => {
        if (err) this.#lost(`sending ${what} failed: ${err.message}`);
      });
    });
  }

  #onMessage(m: FromShard): void {
    const p = this.#pending.get(m.id);
    if (!p) return;
    if ('progress' in m) return p.onProgress?.(m.progress);
    this.#pending.delete(m.id);
    if ('failed' in m) p.reject(new EmulatorError('SHARD_FAILED', `shard ${this.shard} failed ${p.what}: ${m.failed.code}: ${m.failed.message}`, { details: { code: m.failed.code, shard: this.shard } }));
    else p.resolve(m);
  }

  #lost(why: string): void {
    if (this.#gone) return;
    this.#gone = new EmulatorError('SHARD_LOST', `shard ${this.shard} was lost: ${why}`, { details: { shard: this.shard } });
    for (const p of this.#pending.values()) p.reject(new EmulatorError('SHARD_LOST', `shard ${this.shard} was lost during ${p.what}: ${why}`, { details: { shard: this.shard } }));
    this.#pending.clear();
  }

  /** Asks the shard to close, then ends its process: SIGTERM after 1 s, SIGKILL after 2 s. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const child = this.#child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      if (!this.#gone) await Promise.race([this.request({ op: 'close' }).catch(() => undefined), delay(1000)]);
      child.disconnect?.();
      const t1 = setTimeout(() => child.kill('SIGTERM'), 1000);
      const t2 = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t1);
      clearTimeout(t2);
    })();
    return this.#closing;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** The node flags a shard inherits from its coordinator: profiling, heap size and gc (`node --cpu-prof bin/trustlab.js run …` profiles the shards too). */
function inheritedExecArgv(): string[] {
  return process.execArgv.filter((a) => /^--(cpu-prof|heap-prof|max-old-space-size|expose-gc)/.test(a));
}
