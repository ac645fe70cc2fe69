import { createHash, randomInt } from 'node:crypto';
import { createServer } from 'node:net';
import { Lab, TLS_CIPHER_POLICIES, type Cluster, type TlsCipherPolicy, type TrustStoreName } from '../cluster/index.js';
import { ClusterServers, type ClusterServiceEvent } from '../cluster/serve/index.js';
import { certOf } from '../cluster/index.js';
import { ManualClock, systemClock } from '../shared/clock.js';
import { EmulatorError } from '../shared/errors.js';
import { CertificateIndex } from './certs.js';
import { formatDuration, LATEST_SIMULATED } from './steps/common.js';
import type { SettledState } from '../../phones/index.js';
import { PHONES_PER_ADDRESS, planResources, ShardedFleets, type PhoneAction, type ResourcePlan, type PhoneMirror, type ShardGroup, type ShardLink } from '../dist/index.js';
import type { StepView } from './expectations.js';
import type { CertRef, ClusterSpec, FleetSpecYaml, Scenario } from './types.js';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { labRevocationSource, updateLabCa } from '../cluster/lab-ca.js';
import { RevocationServer } from '../revocation/index.js';
import { AlarmLog, ExpiryMonitor, RevocationSchedule, SmtpSink, type Alarm, type SmtpSinkEvent } from '../monitor/index.js';
import { parseRelease } from '../cluster/index.js';

/**
 * Everything a running scenario holds: the lab (in the run directory), each cluster with its
 * servers on loopback, each fleet, the simulated clock, and per-step counters of what the
 * servers saw. Steps (steps.ts) act on it; expectations (expectations.ts) read it.
 */
export const SCENARIO_TFTP_PORT = 6969;
export const DEFAULT_START = '2026-01-01T00:00:00Z';
/** Each phone's per-connection timeout on loopback (real time). */
export const DEFAULT_NETWORK_TIMEOUT_MS = 5000;

export interface RunningCluster {
  spec: ClusterSpec;
  cluster: Cluster;
  servers: ClusterServers;
  /** The Cisco Certificate Expiry Monitor and the scheduled revocation checks, on the simulated clock. */
  monitor: ExpiryMonitor;
  revocation: RevocationSchedule;
}

export interface RunningFleet {
  spec: FleetSpecYaml;
  /** The fleet's phones as the coordinator sees them (mirrors of the phones on the shards). */
  phones: PhoneMirror[];
  /** The cluster the fleet's phones point at now (option 150). */
  cluster: string;
}

/** What the servers of each cluster saw during the current step. */
export interface StepCounters {
  tvs: Map<string, { valid: number; invalid: number }>;
  /** Each TVS answer: about which certificate (SHA-256) or subject, and its result. */
  tvsAnswers: Map<string, Array<{ sha256?: string; subject?: string; status: 'valid' | 'invalid' }>>;
  registrations: Map<string, Set<string>>;
  capfIssued: Map<string, number>;
  /** Phones a cluster reset on its own (REG-1 Automatic). */
  resets: Map<string, number>;
  /** Alarms each cluster raised (expiry monitor, revocation). */
  alarms: Map<string, Alarm[]>;
  /** Mail the scenario's SMTP sink received. */
  mails: SmtpSinkEvent[];
  /** TLS and SIP refusals by each cluster's registrars, by reason. */
  refusals: Map<string, Map<string, number>>;
}

export interface PhoneTimelineEntry {
  step: number;
  at: number;
  message: string;
  kind: 'status' | 'settled';
}

export const TIMELINE_LIMIT = 200;
/** Phones whose timelines go into the report, per fleet (all phones keep their final state). */
export const TIMELINES_PER_FLEET = 100;

export class ScenarioContext {
  readonly clock: ManualClock;
  readonly clusters = new Map<string, RunningCluster>();
  readonly fleets = new Map<string, RunningFleet>();
  counters: StepCounters = emptyCounters();
  step = -1;
  /** What every step so far left behind, oldest first (step 0 is the state before the first step). */
  readonly history: StepView[] = [];
  /** The fleets' shards (set by createFleets). */
  #shards: ShardedFleets | undefined;
  /** Every certificate the run has seen, for references to the previous one, a serial or a fingerprint. */
  readonly certs: CertificateIndex;
  /** Set by the runner: Ctrl-C ends a long `advance` between timers. */
  signal: AbortSignal | undefined;

  private constructor(readonly scenario: Scenario, readonly lab: Lab, readonly sftpDir: string, readonly networkTimeoutMs: number) {
    this.clock = lab.clock as ManualClock;
    this.certs = new CertificateIndex(lab, (name) => this.requireCluster(name).cluster);
  }

  /** Source addresses and descriptors the fleets need (set by createFleets). */
  resourcePlan: ResourcePlan | undefined;

  /** The fleets' shards; throws before createFleets. */
  get shards(): ShardedFleets {
    if (!this.#shards) throw new EmulatorError('INVALID_STATE', 'the fleets have not been created');
    return this.#shards;
  }

  /** INVALID_TRANSITION findings phones reported during the current step (the runner fails the step). */
  get stepFindings(): string[] {
    return this.#shards?.findings ?? [];
  }

  /** What the shards' links have to say for the report (a takeover after a worker died). */
  shardNotes(): string[] {
    return this.#shards?.notes() ?? [];
  }

  /** A phone's status timeline (bounded; kept for the first phones of each fleet). */
  timelineOf(p: PhoneMirror): PhoneTimelineEntry[] | undefined {
    return this.#shards?.timelines.get(p);
  }

  static async create(scenario: Scenario, labDir: string, sftpDir: string, keyPoolDir?: string, networkTimeoutMs = DEFAULT_NETWORK_TIMEOUT_MS): Promise<ScenarioContext> {
    const clock = new ManualClock(new Date(scenario.start ?? DEFAULT_START));
    const lab = await Lab.create(labDir, { clock, seed: scenario.seed ?? scenario.name, ...(keyPoolDir ? { keyPoolDir } : {}) });
    return new ScenarioContext(scenario, lab, sftpDir, networkTimeoutMs);
  }

  /**
   * The lab CA's OCSP responder and CRLs and an SMTP sink, on loopback ports of their own (the CA's
   * URL is set before any certificate is signed, so every one carries it); then the clusters and
   * their servers, each on its own random 127.a.b.0/24 block, each with its expiry monitor and
   * revocation schedule on the simulated clock.
   */
  async startClusters(): Promise<void> {
    this.#ca = new RevocationServer({ source: labRevocationSource(this.lab, 0), clock: this.clock });
    const ca = await this.#ca.listen({ host: '127.0.0.1', port: 0 });
    await updateLabCa(this.lab.dir, 'scenario: the lab CA\'s URL', (j) => {
      j.url = `http://127.0.0.1:${ca.port}`;
    });
    this.#smtp = new SmtpSink({ dir: join(this.lab.dir, 'mail') });
    this.#smtp.events.on('smtp.received', (e) => {
      if (this.counters.mails.length < 100_000) this.counters.mails.push(e);
    });
    this.smtpAddress = await this.#smtp.listen({ port: 0 });
    for (const spec of this.scenario.clusters) {
      const cluster = await this.#createCluster(spec);
      const servers = new ClusterServers(cluster, {
        clock: this.clock, netClock: systemClock, ports: { tftp: SCENARIO_TFTP_PORT },
        tftp: { maxTransfersPerClient: 4096, maxTransfers: 4096 }, sip: { maxConnections: 65_536 },
      });
      servers.events.onAny((e) => this.#count(spec.name, e));
      await servers.listen();
      const alarms = AlarmLog.forCluster(this.lab.dir, spec.name);
      const monitor = new ExpiryMonitor({ clock: this.clock, cluster: () => cluster.state, alarms, upAt: this.clock.now(), mailTimeoutMs: this.networkTimeoutMs });
      monitor.events.on('monitor.alarm', (e) => this.#alarm(spec.name, e.alarm));
      monitor.start();
      const revocation = new RevocationSchedule({ clock: this.clock, cluster: () => cluster, alarms });
      revocation.events.on('revocation.alarm', (e) => this.#alarm(spec.name, e.alarm));
      revocation.refresh();
      // A setting changed by a step re-arms them (a restart recalculates the monitor's schedule).
      cluster.bus.on('cluster.changed', () => {
        monitor.refresh();
        revocation.refresh();
      });
      this.clusters.set(spec.name, { spec, cluster, servers, monitor, revocation });
    }
  }

  #ca: RevocationServer | undefined;
  #smtp: SmtpSink | undefined;
  /** Where the scenario's SMTP sink listens (monitor steps with e-mail point the cluster at it). */
  smtpAddress: AddressInfo | undefined;

  #alarm(cluster: string, a: Alarm): void {
    const list = this.counters.alarms.get(cluster) ?? [];
    if (list.length < 100_000) list.push(a);
    this.counters.alarms.set(cluster, list);
  }

  /**
   * Addresses for the clusters' nodes on real interfaces (`run --bind`), taken in order, so that
   * phones on other machines reach the servers; undefined keeps every cluster on a loopback block.
   */
  bind: string[] | undefined;

  /**
   * Each cluster gets a 127.a.b.0/24 block derived from the seed and its name (phones log the
   * addresses they talk to, so a run is deterministic only if they are too); a block another
   * process is using is skipped, so runs side by side do not collide.
   */
  async #createCluster(spec: ClusterSpec): Promise<Cluster> {
    if (this.bind) {
      if (this.bind.length < spec.nodes.length) throw new EmulatorError('INVALID_ARGUMENT', `--bind gives too few addresses: cluster ${spec.name} needs ${spec.nodes.length} (one per node, each cluster's nodes in order) and ${this.bind.length} are left; add ${spec.nodes.length - this.bind.length} more`);
      const addresses = this.bind.splice(0, spec.nodes.length);
      return this.#makeCluster(spec, addresses);
    }
    const [a, b] = await freeBlock(`${this.scenario.seed ?? this.scenario.name}/${spec.name}`, spec.nodes.length);
    return this.#makeCluster(spec, spec.nodes.map((_, i) => `127.${a}.${b}.${10 + i}`));
  }

  async #makeCluster(spec: ClusterSpec, addresses: string[]): Promise<Cluster> {
    const params = Object.fromEntries(Object.entries(spec.params ?? {}).filter(([k]) => k !== 'tlsCiphers'));
    const { release, su } = parseRelease(spec.release);
    const cluster = await this.lab.createCluster({
      name: spec.name, release, ...(su ? { su } : {}), nodes: spec.nodes.map((hostname, i) => ({ hostname, ipv4: addresses[i]! })),
      ...(spec.ecdsa === false ? { ecdsa: false } : {}), ...(spec.domain ? { domain: spec.domain } : {}), params,
    });
    if (spec.params?.tlsCiphers) await cluster.setParam('tlsCiphers', normaliseCipher(spec.params.tlsCiphers));
    if (spec.security === 'mixed') await cluster.ctlSetCluster('mixed');
    return cluster;
  }

  #count(cluster: string, e: ClusterServiceEvent): void {
    const c = this.counters;
    if (e.type === 'tvs.verify.result') {
      const t = c.tvs.get(cluster) ?? { valid: 0, invalid: 0 };
      t[e.status]++;
      c.tvs.set(cluster, t);
      const list = c.tvsAnswers.get(cluster) ?? [];
      if (list.length < 1_000_000) list.push({ ...(e.certificateSha256 ? { sha256: e.certificateSha256 } : {}), ...(e.subject ? { subject: e.subject } : {}), status: e.status });
      c.tvsAnswers.set(cluster, list);
    } else if (e.type === 'sip.register') {
      const set = c.registrations.get(cluster) ?? new Set<string>();
      set.add(e.deviceName);
      c.registrations.set(cluster, set);
    } else if (e.type === 'capf.issued') {
      c.capfIssued.set(cluster, (c.capfIssued.get(cluster) ?? 0) + 1);
    } else if (e.type === 'sip.refused') {
      const m = c.refusals.get(cluster) ?? new Map<string, number>();
      m.set(e.reason, (m.get(e.reason) ?? 0) + 1);
      c.refusals.set(cluster, m);
    }
  }

  /**
   * Manufactures the fleets' phones on the shards (`links`: one per shard, decision 029) and
   * provisions them as devices in their clusters. Phone `i` of fleet `f` has the MAC
   * `00<A0+f><i>` and connects from `127.0.<1+f>.<2+⌊i/2048⌋>`, whichever shard holds it.
   */
  async createFleets(links: ShardLink[], onProgress?: (done: number, total: number) => void, group?: ShardGroup): Promise<void> {
    const fleets = this.scenario.fleets.map((spec, i) => {
      const rc = this.requireCluster(spec.cluster);
      return {
        name: spec.name, count: spec.count, models: spec.models, macPrefix: `00${(0xa0 + i).toString(16).toUpperCase()}`,
        // On loopback each phone group gets a source address of its own (28k ports each); towards a real interface the OS chooses.
        ...(rc.cluster.publisher.ipv4.startsWith('127.') ? { sourcePrefix: `127.0.${1 + i}` } : {}),
        tftpServers: (spec.tftp ?? [rc.cluster.publisher.hostname]).map((n) => rc.cluster.node(n).ipv4),
      };
    });
    const plan = planResources({ fleets: this.scenario.fleets, shards: links.length, concurrency: 64, loopback: fleets.every((f) => f.sourcePrefix !== undefined) });
    this.resourcePlan = plan;
    this.#shards = await ShardedFleets.start(links, {
      fleets, manufacturing: [...this.lab.cas.manufacturing.values()].map((c) => c.toStored()), keyPoolDir: this.lab.pool.dir, now: this.clock.now(),
      networkTimeoutMs: this.networkTimeoutMs, tftpPort: SCENARIO_TFTP_PORT, httpPort: 6970, phonesPerAddress: PHONES_PER_ADDRESS, timelinePhones: TIMELINES_PER_FLEET, timelineLimit: TIMELINE_LIMIT,
    }, onProgress, group);
    for (const spec of this.scenario.fleets) {
      const rc = this.requireCluster(spec.cluster);
      const phones = this.#shards.fleet(spec.name);
      await rc.cluster.upsertDevices(phones.map((p) => ({ mac: p.mac, model: p.model, profile: spec.profile ?? 'non-secure', ...(spec.capf ? { capf: spec.capf } : {}) })));
      this.fleets.set(spec.name, { spec, phones, cluster: spec.cluster });
    }
    await this.lab.saveLab();
  }

  /**
   * Applies a phone action to the fleet's phones (all, or those given) and waits until each is
   * idle; resolves with their settled states.
   */
  act(fleet: string, action: PhoneAction, phones?: readonly PhoneMirror[], onProgress?: (done: number, total: number) => void): Promise<Partial<Record<SettledState, number>>> {
    return this.shards.act(fleet, action, phones, this.clock.now(), onProgress);
  }

  requireCluster(name: string): RunningCluster {
    const c = this.clusters.get(name);
    if (!c) throw new EmulatorError('CLUSTER_NOT_FOUND', `no cluster "${name}" in this scenario`);
    return c;
  }

  requireFleet(name: string): RunningFleet {
    const f = this.fleets.get(name);
    if (!f) throw new EmulatorError('INVALID_ARGUMENT', `no fleet "${name}" in this scenario`);
    return f;
  }

  /** Every phone of every fleet. */
  allPhones(): PhoneMirror[] {
    return [...this.fleets.values()].flatMap((f) => f.phones);
  }

  /** The PEM of a certificate reference (the current identity, the previous one, the CA, a serial or a fingerprint). */
  certificate(ref: CertRef): string {
    return this.certs.resolve(ref);
  }

  /** Records every cluster's identities and trust certificates, so that later steps can name them (after each step). */
  recordCertificates(): void {
    for (const [name, rc] of this.clusters) this.certs.record(name, rc.cluster);
  }

  /** Whether a trust store holds the certificate (by SHA-256). */
  storeHolds(cluster: string, node: string, store: TrustStoreName, ref: CertRef): boolean {
    const want = certOf(this.certificate(ref)).sha256;
    return this.requireCluster(cluster).cluster.trustStore(node, store).some((p) => certOf(p).sha256 === want);
  }

  async beginStep(index: number): Promise<void> {
    this.step = index;
    this.counters = emptyCounters();
    await this.#shards?.beginStep(index);
  }

  /** Waits until no phone has anything on the network, then writes what the servers recorded. */
  async quiesce(): Promise<void> {
    await this.#shards?.quiesce();
    await Promise.all([...this.clusters.values()].flatMap((c) => [c.monitor.idle(), c.revocation.idle()]));
    await this.flush();
  }

  /**
   * Lets `ms` of simulated time pass, stopping at every timer that falls due on the way and
   * waiting there until the phones are done on the network, so that each acts at the instant its
   * timer fires (a CAPF retry 30 s after a failure is not folded into a five-year jump).
   */
  async advance(ms: number): Promise<{ stops: number }> {
    const target = this.clock.now() + ms;
    if (!(target <= Date.parse(LATEST_SIMULATED))) {
      throw new EmulatorError('TIME_OUT_OF_RANGE', `advancing ${formatDuration(ms)} from ${new Date(this.clock.now()).toISOString()} would take the simulated clock past ${LATEST_SIMULATED}, the last instant an ITL or CTL header timestamp (u32 Unix seconds) can hold`);
    }
    let stops = 0;
    for (;;) {
      const due = this.#nextDue();
      if (due === undefined || due > target) break;
      if (++stops > MAX_TIMER_STOPS) throw new EmulatorError('STEP_NOT_SETTLED', `more than ${MAX_TIMER_STOPS} timers fell due while advancing ${formatDuration(ms)}; something re-arms a timer without letting time pass`);
      await this.#moveClock(due);
      this.signal?.throwIfAborted();
    }
    await this.#moveClock(target);
    return { stops };
  }

  /** The earliest timer of the servers' clock or any shard's. */
  #nextDue(): number | undefined {
    const a = this.clock.nextDue();
    const b = this.#shards?.nextDue;
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  /** Moves simulated time to `to`: the servers' timers fire, then each shard's (the barrier), then everything settles. */
  async #moveClock(to: number): Promise<void> {
    this.clock.advance(Math.max(0, to - this.clock.now()));
    await this.#shards?.advanceTo(this.clock.now());
    await this.quiesce();
  }

  /**
   * Waits until every phone rests. Phones that wait only for a timer (a CAPF retry) are "settled
   * until the clock moves": simulated time passes to their next timer, within `budgetMs`. A phone
   * still not at rest when the budget is spent fails the step with STEP_NOT_SETTLED, naming each
   * phone with its phase and what it waits for.
   */
  async settle(budgetMs = 0): Promise<{ passedMs: number }> {
    const start = this.clock.now();
    await this.quiesce();
    for (let stops = 0; ; stops++) {
      const { notAtRest, restDue: due } = this.#shards?.rest ?? { notAtRest: 0, restDue: undefined };
      if (notAtRest === 0) return { passedMs: this.clock.now() - start };
      if (due === undefined || due > start + budgetMs || stops > MAX_TIMER_STOPS) {
        await this.shards.sync();
        throw notSettled(this.allPhones().filter((p) => !p.atRest).map((p) => p.description ?? p.device), budgetMs ? `within ${formatDuration(budgetMs)} of simulated time` : 'without letting simulated time pass');
      }
      await this.#moveClock(due);
      this.signal?.throwIfAborted();
    }
  }

  /**
   * CUCM resetting the phones registered to a cluster (REG-1, Phone Interaction on Certificate
   * Update = Automatic): every phone its registrars hold a live registration for is reset, and
   * the step waits until they are off the network again. Resolves with the report's line.
   */
  async resetRegistered(cluster: string): Promise<string> {
    const rc = this.requireCluster(cluster);
    const now = this.clock.now();
    const devices = new Set<string>();
    for (const n of rc.cluster.state.nodes) for (const r of rc.servers.registrar(n.hostname)?.registrations.list() ?? []) if (r.expiresAt > now) devices.add(r.deviceName);
    let count = 0;
    await Promise.all([...this.fleets.entries()].map(([name, f]) => {
      const phones = f.phones.filter((p) => devices.has(p.device));
      count += phones.length;
      return phones.length ? this.act(name, { kind: 'reset' }, phones) : undefined;
    }));
    this.counters.resets.set(cluster, (this.counters.resets.get(cluster) ?? 0) + count);
    return `${cluster}: CUCM reset ${count} registered phone(s) (Phone Interaction on Certificate Update = Automatic, REG-1)`;
  }

  /** What the step before an expectation left behind, read live from the phones and counters. */
  liveView(): StepView {
    return {
      step: this.step,
      stateOf: (p) => p.state,
      saw: (p, text) => p.lines.some((m) => m.includes(text)),
      counters: this.counters,
    };
  }

  /**
   * Keeps what the step left behind (each phone's state, what it showed, the counters), so that
   * `when: ever | never` expectations can look back over the run. One byte-sized state per phone
   * and the step's messages: a 10,000-phone fleet costs a few hundred KB per step.
   */
  snapshot(): void {
    const states = new Map<PhoneMirror, SettledState>();
    const shown = new Map<PhoneMirror, string[]>();
    for (const p of this.allPhones()) {
      states.set(p, p.state);
      if (p.lines.length) shown.set(p, p.lines);
    }
    this.history.push({ step: this.step, stateOf: (p) => states.get(p) ?? p.state, saw: (p, text) => (shown.get(p) ?? []).some((m) => m.includes(text)), counters: this.counters });
  }

  /** Phones that wait for a timer before they rest (a CAPF retry), described, for the step's report. */
  waitingOnTimers(): string[] {
    return this.#shards?.waiting ?? [];
  }

  /**
   * Writes what the servers recorded (CAPF outcomes are written in batches) into the model, so
   * the next step sees every LSC issued so far, as CUCM's database would.
   */
  async flush(): Promise<void> {
    await Promise.all([...this.clusters.values()].map((c) => c.servers.capf.flush()));
  }

  /**
   * Powers every phone off (which cancels whatever they had in flight), closes every server and
   * saves the lab, each within a bound. Resolves with what went wrong, for the report's warnings.
   */
  async close(): Promise<string[]> {
    const problems: string[] = [];
    if (this.#shards) {
      await this.#shards.powerOff(CLOSE_BOUND_MS);
      await bounded(this.#shards.close(), CLOSE_BOUND_MS * 2, 'closing the fleet shards').catch((e: Error) => problems.push(e.message));
    }
    const closed = await Promise.allSettled([
      ...[...this.clusters.entries()].map(([name, c]) => bounded(Promise.all([c.servers.close(), c.monitor.stop(), c.revocation.stop()]).then(() => undefined), CLOSE_BOUND_MS, `closing ${name}'s servers`)),
      ...(this.#ca ? [bounded(this.#ca.destroy(), CLOSE_BOUND_MS, 'closing the lab CA')] : []),
      ...(this.#smtp ? [bounded(this.#smtp.close(), CLOSE_BOUND_MS, 'closing the SMTP sink')] : []),
    ]);
    for (const r of closed) if (r.status === 'rejected') problems.push((r.reason as Error).message);
    await this.lab.saveLab().catch((e: unknown) => problems.push(`saving the lab failed: ${(e as Error).message}`));
    return problems;
  }
}

/** How long closing a cluster's servers may take before the run gives up waiting (Ctrl-C ends within 2 s). */
const CLOSE_BOUND_MS = 1500;

function bounded(p: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

async function freeBlock(key: string, nodes: number): Promise<[number, number]> {
  for (let attempt = 0; attempt < 64; attempt++) {
    const h = createHash('sha256').update(`${key}#${attempt}`).digest();
    const a = 2 + (h[0]! % 248);
    const b = 1 + (h[1]! % 249);
    const probes = await Promise.all(Array.from({ length: nodes }, (_, i) => canBind(`127.${a}.${b}.${10 + i}`, 5061)));
    if (probes.every(Boolean)) return [a, b];
  }
  return [randomInt(2, 250), randomInt(1, 250)];
}

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** Timer stops one `advance` or `settle` may make: far more than any runbook needs, few enough to end. */
const MAX_TIMER_STOPS = 100_000;

/** STEP_NOT_SETTLED naming the unsettled phones (the first 20, and how many more). */
export function notSettled(phones: string[], how: string): EmulatorError {
  const shown = phones.slice(0, 20).map((p) => `  ${p}`).join('\n');
  const more = phones.length > 20 ? `\n  … and ${phones.length - 20} more` : '';
  return new EmulatorError('STEP_NOT_SETTLED', `${phones.length} phone(s) did not come to rest ${how}:\n${shown}${more}`, { details: { phones: phones.length } });
}

function emptyCounters(): StepCounters {
  return { tvs: new Map(), tvsAnswers: new Map(), registrations: new Map(), capfIssued: new Map(), resets: new Map(), alarms: new Map(), mails: [], refusals: new Map() };
}

/** Accepts the CUCM label with a plain hyphen or an en dash, and "EC" or "ECDSA". */
export function normaliseCipher(label: string): TlsCipherPolicy {
  const norm = (s: string): string => s.toLowerCase().replace(/[–—]/g, '-').replace(/\becdsa\b/g, 'ec').replace(/[^a-z0-9]+/g, '');
  const found = TLS_CIPHER_POLICIES.find((p) => norm(p) === norm(label));
  if (!found) throw new EmulatorError('INVALID_ARGUMENT', `unknown TLS Ciphers value "${label}"; use one of: ${TLS_CIPHER_POLICIES.join('; ')}`);
  return found;
}
