import { randomInt } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { testLab } from './lab.js';
import { ClusterServers, type ClusterServiceEvent } from '../../src/cluster/serve/index.js';
import type { Cluster, ClusterInit, Lab } from '../../src/cluster/index.js';
import { systemClock, type ManualClock } from '../../src/shared/clock.js';
import { manufacturePhone, PhoneStore, VirtualPhone, type PhoneBusEvent, type PhoneEnv } from '../../phones/index.js';
import { EventBus } from '../../src/shared/events.js';

/**
 * Phones against modelled clusters on real sockets, for the scenario tests (issue 6). Each
 * cluster's nodes bind addresses of their own in a random 127.a.b.0/24 block with the standard
 * TVS, CAPF and SIP ports (which the config files name), plus TFTP on 6969 and HTTP on 6970, so
 * test files running side by side do not collide.
 */
export const TEST_TFTP_PORT = 6969;

export interface RunningCluster {
  cluster: Cluster;
  servers: ClusterServers;
  /** Every server event, in order. */
  log: ClusterServiceEvent[];
  /** Events of one type since the last `mark()`. */
  since(type: ClusterServiceEvent['type']): ClusterServiceEvent[];
  mark(): void;
  /** The address of a node (what DHCP option 150 names). */
  ip(node: string): string;
}

export async function startCluster(lab: Lab, clock: ManualClock, init: Omit<ClusterInit, 'nodes'> & { nodes: string[] }): Promise<RunningCluster> {
  const a = randomInt(2, 250);
  const b = randomInt(1, 250);
  const cluster = await lab.createCluster({ ...init, nodes: init.nodes.map((hostname, i) => ({ hostname, ipv4: `127.${a}.${b}.${10 + i}` })) });
  const servers = new ClusterServers(cluster, { clock, netClock: systemClock, ports: { tftp: TEST_TFTP_PORT }, tftp: { maxTransfersPerClient: 256 } });
  const log: ClusterServiceEvent[] = [];
  let mark = 0;
  servers.events.onAny((e) => log.push(e));
  await servers.listen();
  return {
    cluster, servers, log,
    since: (type) => log.slice(mark).filter((e) => e.type === type),
    mark: () => void (mark = log.length),
    ip: (node) => cluster.node(node).ipv4,
  };
}

let macCounter = randomInt(0, 0xffff);

/** A fresh MAC (random block per test file, counting up). */
export function nextMac(): string {
  macCounter++;
  return `00CC${randomInt(0, 0xffff).toString(16).padStart(4, '0')}${(macCounter & 0xffff).toString(16).padStart(4, '0')}`.toUpperCase();
}

export interface TestPhone {
  phone: VirtualPhone;
  statuses: string[];
  effects: Array<{ effect: string; detail: string }>;
  /** Boots (or acts) and waits for the phone to rest. */
  act(f: (p: VirtualPhone) => void): Promise<void>;
  /** Statuses and effects since the last act. */
  last: { statuses: string[]; effects: Array<{ effect: string; detail: string }> };
}

/** Manufactures a phone (MIC from the lab's CAs) and wraps it for tests. */
export async function makePhone(lab: Lab, clock: ManualClock, o: { mac?: string; model?: string; tftp: string[]; store?: PhoneStore; env?: PhoneEnv }): Promise<TestPhone> {
  const record = await manufacturePhone({
    mac: o.mac ?? nextMac(), model: o.model ?? '8861', tftpServers: o.tftp,
    manufacturing: lab.cas.manufacturing, pool: lab.pool, manufactured: new Date(clock.now() - 86_400_000 * 30),
  });
  await o.store?.saveRecord(record);
  return wrapPhone(new VirtualPhone(record, undefined, testEnv(lab, clock, o)));
}

export function testEnv(lab: Lab, clock: ManualClock, o: { store?: PhoneStore; env?: PhoneEnv } = {}): PhoneEnv {
  return {
    clock, netClock: systemClock, tftpPort: TEST_TFTP_PORT, httpPort: 6970, timeoutMs: 3000,
    keySource: (s) => lab.pool.take(s, 'device'),
    ...(o.store ? { store: o.store } : {}),
    events: new EventBus<PhoneBusEvent>(),
    ...o.env,
  };
}

export function wrapPhone(phone: VirtualPhone): TestPhone {
  const t: TestPhone = {
    phone, statuses: [], effects: [], last: { statuses: [], effects: [] },
    async act(f) {
      t.last = { statuses: [], effects: [] };
      f(phone);
      await phone.whenIdle();
      await phone.flushed();
    },
  };
  phone.events.onAny((e) => {
    if (e.type === 'phone.status') {
      t.statuses.push(e.message);
      t.last.statuses.push(e.message);
    } else if (e.type === 'phone.effect') {
      t.effects.push({ effect: e.effect, detail: e.detail });
      t.last.effects.push({ effect: e.effect, detail: e.detail });
    }
  });
  return t;
}

/**
 * A lab for one test file, with its clusters' servers closed after the file: registers the
 * vitest hooks and returns accessors (the lab exists once `beforeAll` has run).
 */
export function scenarioLab(): {
  readonly lab: Lab;
  readonly clock: ManualClock;
  cluster(release: '11.5' | '12.5' | '14' | '15', name: string, o?: { nodes?: string[]; mixed?: boolean; ecdsa?: boolean }): Promise<RunningCluster>;
} {
  let lab: Lab | undefined;
  let clock: ManualClock | undefined;
  const running: RunningCluster[] = [];
  beforeAll(async () => {
    ({ lab, clock } = await testLab());
  }, 60_000);
  afterAll(async () => {
    await Promise.all(running.map((r) => r.servers.close()));
  });
  return {
    get lab() {
      return lab!;
    },
    get clock() {
      return clock!;
    },
    async cluster(release, name, o = {}) {
      const r = await startCluster(lab!, clock!, { name, release, nodes: o.nodes ?? ['pub', 'sub'], ...(o.ecdsa === false ? { ecdsa: false } : {}) });
      if (o.mixed) await r.cluster.ctlSetCluster('mixed');
      running.push(r);
      return r;
    },
  };
}
