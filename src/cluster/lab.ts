import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CertificateAuthority, createEnterpriseCa, createManufacturingCas, KeyPool, sharedKeyPoolDir,
  type StoredCa,
} from '../pki/index.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { EmulatorError } from '../shared/errors.js';
import { writeFileAtomic } from '../shared/fs.js';
import { Cluster, type ClusterStore } from './cluster.js';
import type { ClusterContext, LabCas } from './context.js';
import { initCluster, type ClusterInit } from './init.js';
import type { ClusterState } from './model.js';
import { LabRandom } from './random.js';
import { checkClusterState } from './state-check.js';
import { withLabLock } from './lab-lock.js';
import { crlUrlOf, noteIssued, ocspUrlOf, readLabCa, updateLabCa } from './lab-ca.js';

/**
 * A lab directory (architecture.md "State on disk"):
 *
 * ```
 * lab/lab.json                                  format version, key pool, random counter, clusters
 * lab/pki/cas.json, pki/<CA>.pem                 the emulated CAs (JSON is authoritative; PEMs for people)
 * lab/clusters/<name>/cluster.json              the cluster model — the single source of truth
 * lab/clusters/<name>/<node>/identity/<purpose>.pem, .key, .csr
 * lab/clusters/<name>/<node>/trust/<store>/<CN>.pem
 * lab/clusters/<name>/tftp/<node>/ITLFile.tlv, tftp/CTLFile.tlv    as served
 * ```
 *
 * Every file is written atomically (temp file, fsync, rename). An operation writes lab.json
 * (key-pool cursors) first, then cluster.json — the commit point — then the derived files.
 * A crash between steps leaves the lab at the old or the new state: cursors that ran ahead only
 * skip pool keys, and derived files are rewritten from cluster.json on the next open.
 *
 * Every commit holds the lab's write lock (`lab/.lock`, decision 023) and runs on the state as
 * last committed (its revision is read under the lock, the file re-read when another process
 * has moved it on); a commit that finds the revision moved under it although it holds the lock
 * fails with `LAB_CONFLICT` and writes nothing.
 */
export const LAB_FORMAT_VERSION = 1;

/** How often a {@link Lab.live} getter looks for another process's commit, in ms. */
export const LIVE_RECHECK_MS = 200;

export interface LabJson {
  format: 'trustlab-lab';
  formatVersion: number;
  createdAt: string;
  keyPool: { shared: boolean; dir?: string; cursors: Record<string, number> };
  random: { seed?: string; counter: number };
  clusters: string[];
}

export interface LabCreateOptions {
  /** Share pooled keys with other labs (in ~/.cache/trustlab/keypool) or keep them in the lab. */
  sharedKeys?: boolean;
  /** Explicit key pool directory (tests). */
  keyPoolDir?: string;
  clock?: Clock;
  seed?: string;
}

export interface LabOpenOptions {
  clock?: Clock;
  keyPoolDir?: string;
}

export class Lab {
  readonly #clusters = new Map<string, Cluster>();
  #json: LabJson;
  readonly pool: KeyPool;
  readonly random: LabRandom;

  private constructor(readonly dir: string, json: LabJson, readonly cas: LabCas, readonly clock: Clock, poolDir: string) {
    this.#json = json;
    this.pool = new KeyPool({ dir: poolDir, cursors: json.keyPool.cursors, cycle: { device: 512 } });
    this.random = new LabRandom(json.random.seed, json.random.counter);
  }

  static async create(dir: string, o: LabCreateOptions = {}): Promise<Lab> {
    return withLabLock(dir, () => Lab.#create(dir, o));
  }

  static async #create(dir: string, o: LabCreateOptions): Promise<Lab> {
    if (await exists(join(dir, 'lab.json'))) throw new EmulatorError('LAB_EXISTS', `${dir} already holds a lab; open it, or choose another --lab directory`);
    const shared = o.sharedKeys ?? true;
    const poolDir = o.keyPoolDir ?? (shared ? sharedKeyPoolDir() : join(dir, '.keypool'));
    const json: LabJson = {
      format: 'trustlab-lab',
      formatVersion: LAB_FORMAT_VERSION,
      createdAt: new Date((o.clock ?? systemClock).now()).toISOString(),
      keyPool: { shared, ...(o.keyPoolDir ? { dir: o.keyPoolDir } : shared ? {} : { dir: '.keypool' }), cursors: {} },
      random: { ...(o.seed !== undefined ? { seed: o.seed } : {}), counter: 0 },
      clusters: [],
    };
    const pool = new KeyPool({ dir: poolDir, cycle: { device: 512 } });
    const now = new Date((o.clock ?? systemClock).now());
    const manufacturing = await createManufacturingCas(pool, now);
    const enterprise = await createEnterpriseCa(pool, now);
    json.keyPool.cursors = pool.cursors;
    const stored: StoredCa[] = [...manufacturing.values(), enterprise.root, enterprise.issuing].map((c) => c.toStored());
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(join(dir, 'pki', 'cas.json'), JSON.stringify({ cas: stored, enterprise: { root: enterprise.root.name, issuing: enterprise.issuing.name } }, null, 2) + '\n');
    for (const c of stored) await writeFileAtomic(join(dir, 'pki', `${c.name}.pem`), c.certPem);
    await writeFileAtomic(join(dir, 'lab.json'), JSON.stringify(json, null, 2) + '\n');
    return new Lab(dir, json, { manufacturing, enterprise }, o.clock ?? systemClock, poolDir);
  }

  static async open(dir: string, o: LabOpenOptions = {}): Promise<Lab> {
    const path = join(dir, 'lab.json');
    let raw: string;
    try {
      raw = await readFile(path, 'utf8');
    } catch (cause) {
      throw new EmulatorError('LAB_NOT_FOUND', `no lab at ${dir} (no lab.json); create one with: trustlab cluster init NAME --lab ${dir}`, { cause });
    }
    const json = parseJson<LabJson>(raw, path);
    if (json.format !== 'trustlab-lab' || typeof json.formatVersion !== 'number') throw corrupt(path, 'not a trustlab lab.json');
    if (json.formatVersion > LAB_FORMAT_VERSION) {
      throw new EmulatorError('LAB_FORMAT_TOO_NEW', `${dir} was written by a newer trustlab (lab format ${json.formatVersion}; this version reads up to ${LAB_FORMAT_VERSION}). Upgrade trustlab to open it; nothing was changed.`);
    }
    if (!json.keyPool || typeof json.keyPool.cursors !== 'object' || !Array.isArray(json.clusters) || !json.random) throw corrupt(path, 'missing keyPool, random or clusters');
    const casPath = join(dir, 'pki', 'cas.json');
    const casJson = parseJson<{ cas: StoredCa[]; enterprise: { root: string; issuing: string } }>(await readFile(casPath, 'utf8').catch((cause: unknown) => {
      throw new EmulatorError('LAB_CORRUPT', `${casPath} is missing`, { cause });
    }), casPath);
    const byName = new Map<string, CertificateAuthority>();
    for (const s of casJson.cas) byName.set(s.name, CertificateAuthority.fromStored(s, s.parent ? byName.get(s.parent) : undefined));
    const enterprise = { root: byName.get(casJson.enterprise.root)!, issuing: byName.get(casJson.enterprise.issuing)! };
    const manufacturing = new Map([...byName].filter(([n]) => n !== enterprise.root.name && n !== enterprise.issuing.name));
    const poolDir = o.keyPoolDir ?? (json.keyPool.dir ? (json.keyPool.dir.startsWith('/') ? json.keyPool.dir : join(dir, json.keyPool.dir)) : sharedKeyPoolDir());
    return new Lab(dir, json, { manufacturing, enterprise }, o.clock ?? systemClock, poolDir);
  }

  /** Opens the lab, or creates it when it does not exist yet. */
  static async openOrCreate(dir: string, o: LabCreateOptions = {}): Promise<Lab> {
    if (await exists(join(dir, 'lab.json'))) return Lab.open(dir, { ...(o.clock ? { clock: o.clock } : {}), ...(o.keyPoolDir ? { keyPoolDir: o.keyPoolDir } : {}) });
    return withLabLock(dir, async () => ((await exists(join(dir, 'lab.json'))) ? Lab.open(dir, { ...(o.clock ? { clock: o.clock } : {}), ...(o.keyPoolDir ? { keyPoolDir: o.keyPoolDir } : {}) }) : Lab.#create(dir, o)));
  }

  /** True when the lab draws its keys from the pool shared with other labs (not `--private-keys`). */
  get sharedKeys(): boolean {
    return this.#json.keyPool.shared;
  }

  get clusterNames(): string[] {
    return [...this.#json.clusters];
  }

  get context(): ClusterContext {
    return {
      pool: this.pool, cas: this.cas, clock: this.clock, random: (n) => this.random.bytes(n),
      labCa: {
        urlsFor: async (ca) => {
          const j = await readLabCa(this.dir);
          return { ocspUrls: [ocspUrlOf(j)], crlUrls: [crlUrlOf(j, ca)] };
        },
        recordIssued: (ca, cert) => updateLabCa(this.dir, `record ${cert.subjectCucm} issued by ${ca.name}`, (j) => noteIssued(j, ca, cert, new Date(this.clock.now()))),
      },
    };
  }

  async createCluster(init: ClusterInit): Promise<Cluster> {
    return withLabLock(this.dir, async () => {
      await this.#catchUp();
      if (this.#json.clusters.includes(init.name)) throw new EmulatorError('CLUSTER_EXISTS', `the lab already has a cluster named ${init.name}`);
      const state = await initCluster({ subnet: this.#json.clusters.length + 1, ...init }, this.context);
      this.#json.clusters.push(init.name);
      await this.#saveCluster(state);
      const c = new Cluster(state, this.context, this.#store);
      this.#clusters.set(init.name, c);
      return c;
    }, { command: `cluster init ${init.name}` });
  }

  async cluster(name?: string): Promise<Cluster> {
    const chosen = name ?? (this.#json.clusters.length === 1 ? this.#json.clusters[0]! : undefined);
    if (!chosen) {
      throw new EmulatorError('CLUSTER_NOT_FOUND', this.#json.clusters.length ? `the lab has several clusters (${this.#json.clusters.join(', ')}); pass --cluster NAME` : 'the lab has no cluster yet; create one with trustlab cluster init NAME');
    }
    const cached = this.#clusters.get(chosen);
    if (cached) return cached;
    if (!this.#json.clusters.includes(chosen)) await this.#catchUp();
    if (!this.#json.clusters.includes(chosen)) throw new EmulatorError('CLUSTER_NOT_FOUND', `no cluster "${chosen}" in ${this.dir}; clusters: ${this.#json.clusters.join(', ') || 'none'}`);
    const state = await this.#readCluster(chosen);
    if (await this.#viewsLag(state)) await withLabLock(this.dir, async () => this.#writeViews(await this.#readCluster(chosen), true), { command: `rewrite the files of ${chosen}` });
    const c = new Cluster(state, this.context, this.#store);
    this.#clusters.set(chosen, c);
    return c;
  }

  /**
   * A getter for a cluster that re-reads cluster.json when another process has committed to it
   * (a `trustlab serve` sees `trustlab cert regenerate` run in another terminal). It looks at the
   * committed revision, not the file's mtime and size, which two commits within one timestamp
   * tick can leave unchanged (decision 023), and at most every {@link LIVE_RECHECK_MS} of real
   * time: `serve tftp --lab` calls it per request, and a file read per request would cost a
   * fleet's boot dearly. Real time, not the lab clock: this paces I/O on a file other processes write.
   */
  live(name?: string): () => Promise<Cluster> {
    let seen: number | undefined;
    let checkedAt = -Infinity;
    let current: Promise<Cluster> | undefined;
    return async () => {
      if (current && performance.now() - checkedAt < LIVE_RECHECK_MS) return current;
      checkedAt = performance.now();
      const chosen = (await this.cluster(name)).name;
      const mark = await committedRev(this.#clusterPath(chosen));
      if (!current || mark !== seen) {
        if (current && mark !== seen) this.#clusters.delete(chosen);
        seen = mark;
        current = this.cluster(chosen);
      }
      return current;
    };
  }

  /** Saves key-pool cursors and the random counter (call after taking keys outside a cluster op). */
  async saveLab(): Promise<void> {
    await withLabLock(this.dir, async () => {
      const mine = { cursors: this.pool.cursors, counter: this.random.counter };
      await this.#catchUp();
      this.pool.catchUp(mine.cursors);
      this.random.catchUp(mine.counter);
      await this.#writeLabJson();
    }, { command: 'save key-pool cursors' });
  }

  async #writeLabJson(): Promise<void> {
    this.#json.keyPool.cursors = this.pool.cursors;
    this.#json.random.counter = this.random.counter;
    await writeFileAtomic(join(this.dir, 'lab.json'), JSON.stringify(this.#json, null, 2) + '\n');
  }

  /**
   * Brings this process's view of lab.json up to what is committed (call holding the lock):
   * clusters other processes created, and key-pool and random cursors at least as far as theirs,
   * so that no pool key or serial is handed out twice.
   */
  async #catchUp(): Promise<void> {
    const path = join(this.dir, 'lab.json');
    const disk = parseJson<LabJson>(await readFile(path, 'utf8').catch((cause: unknown) => {
      throw new EmulatorError('LAB_CORRUPT', `${path} is missing`, { cause });
    }), path);
    this.pool.catchUp(disk.keyPool?.cursors ?? {});
    this.random.catchUp(disk.random?.counter ?? 0);
    for (const c of disk.clusters ?? []) if (!this.#json.clusters.includes(c)) this.#json.clusters.push(c);
  }

  /** Commits for this lab's clusters (decision 023). */
  readonly #store: ClusterStore = {
    commit: (current, work, operation) => withLabLock(this.dir, async () => {
      await this.#catchUp();
      const path = this.#clusterPath(current.name);
      const seen = await committedRev(path);
      const latest = seen === current.rev ? current : await this.#readCluster(current.name);
      const { next, value } = await work(latest);
      if ((await committedRev(path)) !== latest.rev) {
        throw new EmulatorError('LAB_CONFLICT', `${path} changed while "${operation}" was being committed, by a writer that did not take the lab lock; nothing was written. Run the command again.`);
      }
      await this.#saveCluster(next);
      return value;
    }, { command: operation }),
  };

  #clusterPath(name: string): string {
    return join(this.dir, 'clusters', name, 'cluster.json');
  }

  async #readCluster(name: string): Promise<ClusterState> {
    const path = this.#clusterPath(name);
    return checkClusterState(parseJson<ClusterState>(await readFile(path, 'utf8').catch((cause: unknown) => {
      throw new EmulatorError('LAB_CORRUPT', `${path} is missing`, { cause });
    }), path), path);
  }

  /** Writes lab.json, then cluster.json (the commit point), then the derived files. Holds the lock. */
  async #saveCluster(state: ClusterState): Promise<void> {
    await this.#writeLabJson();
    const path = this.#clusterPath(state.name);
    await writeFileAtomic(path, JSON.stringify(state, null, 1) + '\n');
    await this.#writeViews(state, true);
  }

  async #viewsLag(state: ClusterState): Promise<boolean> {
    return (await readFile(join(this.dir, 'clusters', state.name, '.views-rev'), 'utf8').catch(() => '')) !== String(state.rev);
  }

  /** Writes the derived files (PEMs, served trust lists) when they lag behind cluster.json. */
  async #writeViews(state: ClusterState, force: boolean): Promise<void> {
    const base = join(this.dir, 'clusters', state.name);
    const marker = join(base, '.views-rev');
    if (!force && !(await this.#viewsLag(state))) return;
    const files = new Map<string, string | Uint8Array>();
    for (const id of state.identities) {
      for (const node of id.nodes) {
        files.set(join(node, 'identity', `${id.purpose}.pem`), id.certPem);
        files.set(join(node, 'identity', `${id.purpose}.key`), id.keyPem);
      }
    }
    for (const c of state.csrs) files.set(join(c.node, 'identity', `${c.purpose}.csr`), c.csrPem);
    for (const t of state.trust) files.set(join(t.node, 'trust', t.store, `${t.name}.pem`), t.certPem);
    const cluster = new Cluster(state, this.context);
    for (const n of state.nodes.filter((x) => x.services.includes('TFTP'))) files.set(join('tftp', n.hostname, 'ITLFile.tlv'), cluster.itl(n.hostname));
    const ctl = cluster.ctl();
    if (ctl) files.set(join('tftp', 'CTLFile.tlv'), ctl);
    const keep = new Set(files.keys());
    for (const [rel, data] of files) {
      const path = join(base, rel);
      const old = await readFile(path).catch(() => undefined);
      if (!old || !old.equals(Buffer.from(typeof data === 'string' ? Buffer.from(data) : data))) await writeFileAtomic(path, data, rel.endsWith('.key') ? 0o600 : 0o644);
    }
    for (const root of [...state.nodes.map((n) => n.hostname), 'tftp']) {
      for (const f of await walk(join(base, root))) if (!keep.has(relative(base, f))) await rm(f, { force: true });
    }
    await writeFileAtomic(marker, String(state.rev));
  }
}

function parseJson<T>(raw: string, path: string): T {
  try {
    return JSON.parse(raw) as T;
  } catch (cause) {
    throw new EmulatorError('LAB_CORRUPT', `${path} is not valid JSON (${(cause as Error).message}); restore it from a backup or re-create the lab`, { cause });
  }
}

function corrupt(path: string, why: string): EmulatorError {
  return new EmulatorError('LAB_CORRUPT', `${path}: ${why}`);
}

/**
 * The revision committed in a cluster.json, read from its top-level `"rev"` line (written with
 * one space of indentation; nested entries' revs are indented deeper). Under the lock every
 * commit raises it by one, so it identifies the committed state. File identity (inode, size,
 * mtime) does not: on a file system with coarse timestamps a freed inode is reused by the next
 * write of the same size within one clock tick, and a concurrent upload was lost that way.
 */
async function committedRev(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const m = text === undefined ? null : /^ "rev": (\d+),?$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (!e.name.startsWith('.')) out.push(p);
  }
  return out;
}

