import type { AddressInfo } from 'node:net';
import { TftpServer, type TftpEvent } from '../../../tftp-sim/index.js';
import { TvsServer, type TvsEvent } from '../../../tvs-sim/index.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { EmulatorError } from '../../shared/errors.js';
import { EventBus } from '../../shared/events.js';
import type { ListenOptions } from '../../shared/lifecycle.js';
import { CapfServer, type CapfEvent } from '../../capf/index.js';
import { SipRegistrar, type SipEvent } from '../../sip/index.js';
import { HttpFileService, TomcatService, type HttpFileEvent, type TomcatEvent } from '../../ucm/index.js';
import { ClusterCapfAuthority } from './capf-authority.js';
import { ClusterFileProvider } from './file-provider.js';
import { clusterRegistrarPolicy } from './registrar-policy.js';
import { current, type ClusterSource } from './source.js';
import { clusterTvsAuthority } from './tvs-authority.js';

/** Ports every node's services bind (architecture.md "Ports"). Each node binds its own address. */
export interface ClusterPorts {
  tftp: number;
  http: number;
  tvs: number;
  capf: number;
  sip: number;
  sipTls: number;
  https: number;
}

/**
 * The well-known ports. Phones learn the TVS, CAPF and SIP ports from their config file, which
 * the cluster builds with these; TFTP and HTTP are the DHCP side, which a fleet is told.
 */
export const STANDARD_PORTS: ClusterPorts = { tftp: 69, http: 6970, tvs: 2445, capf: 3804, sip: 5060, sipTls: 5061, https: 8443 };

export type ClusterServiceName = 'tftp' | 'http' | 'tvs' | 'capf' | 'sip' | 'https';

/** Every server event, tagged with the node whose server emitted it. */
export type ClusterServiceEvent = (TftpEvent | HttpFileEvent | TvsEvent | CapfEvent | SipEvent | TomcatEvent) & { node: string; service: ClusterServiceName };

export interface ClusterServersOptions {
  /** Nodes to serve (default: every node of the cluster). */
  nodes?: readonly string[];
  /** Ports (default {@link STANDARD_PORTS}; ports below 1024 need privileges). */
  ports?: Partial<ClusterPorts>;
  /**
   * Bind this address for every node instead of the node's own (`0.0.0.0` to serve real phones
   * on a host interface). Only one node can be served then, since the ports would clash.
   */
  host?: string;
  /** Simulated time for certificate validity, TVS cache lifetimes and LSC dates (default: system). */
  clock?: Clock;
  /** Real time for socket timeouts (TFTP retransmissions, HTTP); default the system clock. */
  netClock?: Clock;
  /** Turn off services, e.g. `{ capf: false }`. */
  services?: Partial<Record<ClusterServiceName, boolean>>;
  /** TFTP limits (a fleet raises the per-client cap). */
  tftp?: { maxTransfers?: number; maxTransfersPerClient?: number; timeoutMs?: number; maxRetries?: number };
  /** SIP registrar: idle and handshake timeouts, connection cap. */
  sip?: { maxConnections?: number; idleTimeoutMs?: number; handshakeAlerts?: boolean };
}

/** Where one node's services listen once started. */
export interface NodeEndpoints {
  node: string;
  address: string;
  tftp?: AddressInfo;
  http?: AddressInfo;
  tvs?: AddressInfo;
  capf?: AddressInfo;
  sip?: AddressInfo;
  sipTls?: AddressInfo;
  https?: AddressInfo;
}

interface Running {
  node: string;
  service: ClusterServiceName;
  close(): Promise<void>;
}

/**
 * All of a cluster's network services on real sockets (issue 5 "serve --lab --cluster"): for
 * each node, TFTP and HTTP 6970 where it runs TFTP, TVS on 2445 where it runs TVS, the SIP
 * registrar (5061 TLS, 5060 TCP) where it runs CallManager, CAPF on 3804 on the publisher, and
 * Cisco Tomcat's HTTPS 8443 (the corporate directory) on every node.
 * Each binds the node's own address (127.x.y.z in a lab), so phones reach "the subscriber" the
 * way DHCP option 150 and the config file point them.
 *
 * The servers are thin: they read the cluster model on every connection and request through the
 * adapters in this folder, so an operation on the model (a regenerated TVS certificate, a new
 * trust entry, a CallManager restart) is what the next handshake sees, with no restart here.
 */
export class ClusterServers {
  readonly events = new EventBus<ClusterServiceEvent>();
  /** The CAPF authority (publisher), for `flush()` before reading recorded LSCs. */
  readonly capf: ClusterCapfAuthority;
  readonly #source: ClusterSource;
  readonly #o: ClusterServersOptions;
  readonly #ports: ClusterPorts;
  #running: Running[] = [];
  #registrars = new Map<string, SipRegistrar>();
  #endpoints: NodeEndpoints[] = [];
  #closing: Promise<void> | undefined;
  readonly #overrides = new Map<string, Map<string, Uint8Array>>();

  constructor(source: ClusterSource, options: ClusterServersOptions = {}) {
    this.#source = source;
    this.#o = options;
    this.#ports = { ...STANDARD_PORTS, ...options.ports };
    this.capf = new ClusterCapfAuthority(source, {
      ...(options.clock ? { clock: options.clock } : {}),
      onRecordError: (e) => this.events.emit({ type: 'capf.error', remote: '-', code: 'RECORD_FAILED', message: (e as Error).message, node: current(source).publisher.hostname, service: 'capf' } as ClusterServiceEvent),
    });
  }

  get endpoints(): readonly NodeEndpoints[] {
    return this.#endpoints;
  }

  /** The registrar of a node (its registration table), once listening. */
  registrar(node: string): SipRegistrar | undefined {
    return this.#registrars.get(node);
  }

  /**
   * Starts every service of every chosen node. If any fails to bind, the ones already started
   * are closed and the error (`LISTEN_FAILED`, with the node and service) is thrown.
   */
  async listen(options: ListenOptions = {}): Promise<NodeEndpoints[]> {
    if (this.#closing || this.#running.length) throw new EmulatorError('INVALID_STATE', 'ClusterServers.listen() called twice');
    const cluster = current(this.#source);
    const nodes = (this.#o.nodes ?? cluster.state.nodes.map((n) => n.hostname)).map((h) => cluster.node(h));
    if (this.#o.host && nodes.length > 1) throw new EmulatorError('USAGE', `one --host for ${nodes.length} nodes would bind the same ports twice; pass --node, or let each node bind its own address`);
    try {
      for (const n of nodes) this.#endpoints.push(await this.#startNode(n.hostname, this.#o.host ?? n.ipv4, n.services, options));
    } catch (e) {
      await this.close();
      throw e;
    }
    options.signal?.addEventListener('abort', () => void this.close(), { once: true });
    return this.#endpoints;
  }

  /** Closes every server (idempotent) after writing outstanding CAPF records to the model. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled(this.#running.map((r) => r.close()));
      await this.capf.flush();
    })();
    return this.#closing;
  }

  /**
   * Serves `bytes` instead of the model's file `name` on a node's TFTP and HTTP (`undefined`
   * puts the model's file back). `ITLFile.tlv` and `CTLFile.tlv` cover the per-MAC names too.
   */
  overrideFile(node: string, name: string, bytes: Uint8Array | undefined): void {
    let m = this.#overrides.get(node);
    if (!m) this.#overrides.set(node, (m = new Map()));
    if (bytes) m.set(name, bytes);
    else m.delete(name);
  }

  #overridesOf(node: string): Map<string, Uint8Array> {
    let m = this.#overrides.get(node);
    if (!m) this.#overrides.set(node, (m = new Map()));
    return m;
  }

  /** True while the node's service is listening (`utils service list` shows it STARTED). */
  isRunning(node: string, service: ClusterServiceName): boolean {
    return this.#running.some((r) => r.node === node && r.service === service);
  }

  /** Stops one service (or all) of a node, as `utils service stop` or a node going down would. */
  async stop(node: string, service?: ClusterServiceName): Promise<void> {
    const hit = this.#running.filter((r) => r.node === node && (!service || r.service === service));
    this.#running = this.#running.filter((r) => !hit.includes(r));
    await Promise.allSettled(hit.map((r) => r.close()));
    const ep = this.#endpoints.find((e) => e.node === node);
    if (ep) for (const r of hit) for (const k of ENDPOINT_KEYS[r.service]) delete ep[k];
    if (!service || service === 'sip') this.#registrars.delete(node);
  }

  /** Starts a stopped service (or every service the model gives the node) again. */
  async start(node: string, service?: ClusterServiceName): Promise<void> {
    const n = current(this.#source).node(node);
    const ep = this.#endpoints.find((e) => e.node === node);
    if (!ep) throw new EmulatorError('INVALID_STATE', `node ${node} is not served here`);
    const wanted = service ? [service] : SERVICE_ORDER;
    for (const s of wanted) {
      if (this.#running.some((r) => r.node === node && r.service === s)) continue;
      await this.#startService(node, ep, n.services, s, {});
    }
  }

  async #startNode(node: string, host: string, services: readonly string[], o: ListenOptions): Promise<NodeEndpoints> {
    const ep: NodeEndpoints = { node, address: host };
    for (const s of SERVICE_ORDER) await this.#startService(node, ep, services, s, o);
    return ep;
  }

  async #startService(node: string, ep: NodeEndpoints, services: readonly string[], service: ClusterServiceName, o: ListenOptions): Promise<void> {
    if (this.#o.services?.[service] === false) return;
    const host = ep.address;
    const clock = this.#o.clock ?? systemClock;
    const netClock = this.#o.netClock ?? systemClock;
    const source = this.#source;
    const bind = async <T>(port: number, start: () => Promise<T>): Promise<T> => {
      try {
        return await start();
      } catch (e) {
        const errno = (e as EmulatorError).details?.['errno'];
        const hint = errno === 'EACCES' ? ' (ports below 1024 need root; choose another port)' : errno === 'EADDRINUSE' ? ' (already in use: is another trustlab serve running on this address?)' : errno === 'EADDRNOTAVAIL' ? ` (${host} is not an address of this machine)` : '';
        throw new EmulatorError('LISTEN_FAILED', `${service} on ${node} cannot listen on ${host}:${port}${hint}`, { cause: e, details: { node, service, host, port, ...(errno ? { errno } : {}) } });
      }
    };
    const running = (close: () => Promise<void>): void => void this.#running.push({ node, service, close });
    switch (service) {
      case 'tftp': {
        if (!services.includes('TFTP')) return;
        const server = new TftpServer({ files: new ClusterFileProvider(source, node, this.#overridesOf(node)), clock: netClock, ...defined(this.#o.tftp ?? {}) });
        this.#forward(server.events, node, 'tftp');
        ep.tftp = await bind(this.#ports.tftp, () => server.listen({ host, port: this.#ports.tftp, ...sig(o) }));
        return running(() => server.close());
      }
      case 'http': {
        if (!services.includes('TFTP')) return;
        const server = new HttpFileService({ files: new ClusterFileProvider(source, node, this.#overridesOf(node)), clock: netClock });
        this.#forward(server.events, node, 'http');
        ep.http = await bind(this.#ports.http, () => server.listen({ host, port: this.#ports.http, ...sig(o) }));
        return running(() => server.close());
      }
      case 'tvs': {
        if (!services.includes('TVS')) return;
        const server = new TvsServer({
          // `set tls min-version` defaults to 1.0 on CUCM, and 79xx phones speak only TLS 1.0 (TLS-6).
          name: node, host, port: this.#ports.tvs, clock, minVersion: 'TLSv1',
          identity: () => {
            const id = current(source).presented(node, 'TVS').rsa;
            if (!id) throw new EmulatorError('INVALID_STATE', `node ${node} has no TVS certificate`);
            return id;
          },
          authority: clusterTvsAuthority(source, node),
        });
        this.#forward(server.events, node, 'tvs');
        ep.tvs = await bind(this.#ports.tvs, () => server.listen(sig(o)));
        return running(() => server.close());
      }
      case 'sip': {
        if (!services.includes('CallManager')) return;
        const server = new SipRegistrar({ policy: clusterRegistrarPolicy(source, node, clock), host, tlsPort: this.#ports.sipTls, tcpPort: this.#ports.sip, clock, ...defined(this.#o.sip ?? {}) });
        this.#forward(server.events, node, 'sip');
        await bind(this.#ports.sipTls, () => server.listen(sig(o)));
        if (server.addresses.tls) ep.sipTls = server.addresses.tls;
        if (server.addresses.tcp) ep.sip = server.addresses.tcp;
        this.#registrars.set(node, server);
        return running(() => server.close());
      }
      case 'https': {
        const server = new TomcatService({
          host, port: this.#ports.https, clock: netClock,
          identity: () => {
            const id = current(source).presented(node, 'tomcat').rsa;
            if (!id) throw new EmulatorError('INVALID_STATE', `node ${node} has no tomcat certificate`);
            return id;
          },
        });
        this.#forward(server.events, node, 'https');
        ep.https = await bind(this.#ports.https, () => server.listen(sig(o)));
        return running(() => server.close());
      }
      case 'capf': {
        if (!services.includes('CAPF')) return;
        const server = new CapfServer({ authority: this.capf, host, port: this.#ports.capf, clock });
        this.#forward(server.events, node, 'capf');
        ep.capf = await bind(this.#ports.capf, () => server.listen(sig(o)));
        return running(() => server.close());
      }
    }
  }

  #forward<E extends { type: string }>(bus: EventBus<E>, node: string, service: ClusterServiceName): void {
    bus.onAny((e) => {
      if (this.events.wants(e.type as ClusterServiceEvent['type'])) this.events.emit({ ...e, node, service } as unknown as ClusterServiceEvent);
    });
  }
}

const SERVICE_ORDER: readonly ClusterServiceName[] = ['tftp', 'http', 'tvs', 'sip', 'capf', 'https'];
const ENDPOINT_KEYS: Record<ClusterServiceName, ReadonlyArray<'tftp' | 'http' | 'tvs' | 'capf' | 'sip' | 'sipTls' | 'https'>> = {
  tftp: ['tftp'], http: ['http'], tvs: ['tvs'], capf: ['capf'], sip: ['sip', 'sipTls'], https: ['https'],
};

function sig(o: ListenOptions): ListenOptions {
  return o.signal ? { signal: o.signal } : {};
}

/** Drops undefined members (exactOptionalPropertyTypes). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
