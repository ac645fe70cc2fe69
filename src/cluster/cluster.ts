import { EmulatorError } from '../shared/errors.js';
import { EventBus } from '../shared/events.js';
import type { HashName } from '../pki/index.js';
import type { ClusterContext } from './context.js';
import type { ClusterEvent, OpResult } from './events.js';
import { buildConfigXml, buildSignedConfig } from './files/config.js';
import { buildItl } from './files/itl.js';
import { identityOf, publisherOf } from './identity.js';
import type { CertMonitorSettings, ClusterState, DeviceEntry, EnterpriseParameters, NodeSpec, Purpose, RevocationCheck, RevocationSettings, ServiceName, TrustStoreName } from './model.js';
import { bulkImport, type BulkCertificate, type BulkImportChoice } from './ops/bulk.js';
import { ctlSetCluster, ctlUpdate } from './ops/ctl.js';
import { generateCsr, type CsrArgs } from './ops/csr.js';
import { recordCapf, removeDevice, requireDevice, upsertDevices, type CapfRecord, type DeviceArgs } from './ops/devices.js';
import { findCertificates, listCertificates, type CertFilter, type CertRow } from './ops/find.js';
import { generateSelfSigned, regenerate, requireNode, type GenerateArgs } from './ops/generate.js';
import { utilsItlReset, type ItlResetArgs } from './ops/itl-reset.js';
import { setParam } from './ops/params.js';
import { recordRevocationChecks, setCommonCriteria, setRevocation } from './ops/revocation.js';
import { CERT_MONITOR_SERVICE, controlCertMonitor, setCertMonitor } from './ops/monitor.js';
import { reuseTomcat } from './ops/reuse.js';
import { restartService } from './ops/services.js';
import { deleteTrust, uploadTrust, type DeleteTrustArgs, type UploadTrustArgs } from './ops/trust.js';
import { uploadIdentity, type UploadIdentityArgs } from './ops/upload-identity.js';
import { tvsVerdict, type TvsVerdict } from './tvs.js';
import { certOf } from './certs.js';
import { recordPendingRestarts } from './pending.js';
import { PHONE_ITL_SIZE_LIMIT } from '../trustlist/index.js';

/** Published on {@link Cluster.bus} after every committed operation. */
export type ClusterBusEvent = { type: 'cluster.changed'; cluster: string; rev: number; operation: string; events: ClusterEvent[] };

/**
 * Where a cluster's commits go. `commit` runs `work` while holding the lab's write lock, on the
 * state as last committed (which another process may have moved past `current`), and persists
 * what it returns (decision 023). Without a store (tests, fuzzing) state lives in memory.
 */
export interface ClusterStore {
  commit<T>(current: ClusterState, work: (latest: ClusterState) => Promise<{ next: ClusterState; value: T }>, operation: string): Promise<T>;
}

/**
 * A modelled CUCM cluster: the state (plain data), the operations a CUCM administrator can run
 * on it, and the reads the network services make (ITL, CTL and config files, what TVS vouches
 * for, which certificate a service presents).
 *
 * Every operation runs on a copy of the state; only when it succeeds, and the copy has been
 * persisted, does it replace the state. A refused operation leaves the cluster — and the lab on
 * disk — exactly as it was. Operations run one at a time.
 */
export class Cluster {
  #state: ClusterState;
  readonly #ctx: ClusterContext;
  readonly #store: ClusterStore | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #files = new Map<string, Uint8Array>();
  readonly bus = new EventBus<ClusterBusEvent>();

  constructor(state: ClusterState, ctx: ClusterContext, store?: ClusterStore) {
    this.#state = state;
    this.#ctx = ctx;
    this.#store = store;
  }

  get state(): Readonly<ClusterState> {
    return this.#state;
  }

  get name(): string {
    return this.#state.name;
  }

  get context(): ClusterContext {
    return this.#ctx;
  }

  /** Runs an operation on a copy of the state and commits it if it succeeds. */
  apply(operation: string, op: (draft: ClusterState, ctx: ClusterContext) => Promise<ClusterEvent[]> | ClusterEvent[]): Promise<OpResult> {
    const attempt = async (latest: ClusterState): Promise<{ next: ClusterState; value: OpResult }> => {
      const draft = structuredClone(latest);
      draft.rev = latest.rev + 1;
      const events = await op(draft, this.#ctx);
      events.push(...this.#sizeWarnings(draft));
      recordPendingRestarts(draft, operation, events);
      return { next: draft, value: { events, warnings: events.filter((e): e is Extract<ClusterEvent, { type: 'warning' }> => e.type === 'warning').map((e) => e.message) } };
    };
    const run = async (): Promise<OpResult> => {
      let committed: ClusterState | undefined;
      const value = this.#store
        ? await this.#store.commit(this.#state, async (latest) => {
          const r = await attempt(latest);
          committed = r.next;
          return r;
        }, operation)
        : await attempt(this.#state).then((r) => ((committed = r.next), r.value));
      this.#state = committed!;
      this.#files.clear();
      this.bus.emit({ type: 'cluster.changed', cluster: committed!.name, rev: committed!.rev, operation, events: value.events });
      return value;
    };
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => undefined);
    return p;
  }

  #sizeWarnings(draft: ClusterState): ClusterEvent[] {
    const out: ClusterEvent[] = [];
    for (const n of draft.nodes.filter((x) => x.services.includes('TFTP'))) {
      const size = buildItl(draft, n).bytes.length;
      if (size > PHONE_ITL_SIZE_LIMIT) {
        out.push({ type: 'warning', code: 'ITL_TOO_LARGE', message: `the ITL of ${n.hostname} is ${size} bytes; phones fail to load ITLs over 64 KB (about 39 certificates, FMT-6): use multi-server SAN certificates or reuse tomcat for CallManager` });
      }
    }
    return out;
  }

  // ── Operations (chapter procedures; see ops/) ──────────────────────────────────────────────

  generate(a: GenerateArgs): Promise<OpResult> {
    return this.apply(`generate ${a.purpose} on ${a.node}`, (s, c) => generateSelfSigned(s, c, a));
  }

  regenerate(purpose: Purpose, node: string): Promise<OpResult> {
    return this.apply(`regenerate ${purpose} on ${node}`, (s, c) => regenerate(s, c, { purpose, node }));
  }

  csr(a: CsrArgs): Promise<OpResult> {
    return this.apply(`csr ${a.purpose}`, (s, c) => generateCsr(s, c, a));
  }

  uploadIdentity(a: UploadIdentityArgs): Promise<OpResult> {
    return this.apply(`upload ${a.purpose}`, (s, c) => uploadIdentity(s, c, a));
  }

  uploadTrust(a: UploadTrustArgs): Promise<OpResult> {
    return this.apply(`upload ${a.store}`, (s, c) => uploadTrust(s, c, a));
  }

  deleteTrust(a: DeleteTrustArgs): Promise<OpResult> {
    return this.apply(`delete ${a.store}/${a.name}`, (s) => deleteTrust(s, a));
  }

  reuse(which: 'tomcat' | 'tomcat-ECDSA'): Promise<OpResult> {
    return this.apply(`reuse ${which}`, (s) => reuseTomcat(s, which));
  }

  itlReset(a: ItlResetArgs): Promise<OpResult> {
    return this.apply(`utils itl reset ${a.which}`, (s) => utilsItlReset(s, a));
  }

  ctlSetCluster(mode: 'mixed' | 'non-secure'): Promise<OpResult> {
    return this.apply(`utils ctl set-cluster ${mode}`, (s, c) => ctlSetCluster(s, c, mode));
  }

  ctlUpdate(): Promise<OpResult> {
    return this.apply('utils ctl update CTLFile', (s, c) => ctlUpdate(s, c, 'normal'));
  }

  ctlResetLocalkey(): Promise<OpResult> {
    return this.apply('utils ctl reset localkey', (s, c) => ctlUpdate(s, c, 'reset-localkey'));
  }

  setParam<K extends keyof EnterpriseParameters>(name: K, value: EnterpriseParameters[K]): Promise<OpResult> {
    return this.apply(`set ${name}`, (s) => setParam(s, name, value));
  }

  setRevocation(patch: Partial<RevocationSettings>): Promise<OpResult> {
    return this.apply('set certificate revocation', (s) => setRevocation(s, patch));
  }

  setCommonCriteria(on: boolean): Promise<OpResult> {
    return this.apply(`utils fips_common_criteria ${on ? 'enable' : 'disable'}`, (s) => setCommonCriteria(s, on));
  }

  recordRevocationChecks(checks: readonly RevocationCheck[]): Promise<OpResult> {
    return this.apply('record revocation checks', (s) => recordRevocationChecks(s, checks));
  }

  setCertMonitor(patch: Partial<CertMonitorSettings>): Promise<OpResult> {
    return this.apply('set certificate monitor', (s) => setCertMonitor(s, patch));
  }

  controlCertMonitor(action: 'stop' | 'start' | 'restart'): Promise<OpResult> {
    return this.apply(`${action} ${CERT_MONITOR_SERVICE}`, (s, c) => controlCertMonitor(s, action, new Date(c.clock.now()).toISOString()));
  }

  restartService(service: ServiceName, nodes?: readonly string[]): Promise<OpResult> {
    return this.apply(`restart ${service}`, (s) => restartService(s, service, nodes));
  }

  upsertDevices(list: readonly DeviceArgs[]): Promise<OpResult> {
    return this.apply('devices', (s) => upsertDevices(s, list));
  }

  removeDevice(name: string): Promise<OpResult> {
    return this.apply(`remove ${name}`, (s) => removeDevice(s, name));
  }

  recordLsc(device: string, lscPem: string | null): Promise<OpResult> {
    return this.recordCapf([{ device, lscPem }]);
  }

  /** Records CAPF outcomes for many devices in one operation (one write for a fleet's batch). */
  recordCapf(records: readonly CapfRecord[]): Promise<OpResult> {
    return this.apply(records.length === 1 ? `capf ${records[0]!.device}` : `capf ${records.length} devices`, (s) => recordCapf(s, records));
  }

  bulkImport(certs: readonly BulkCertificate[], choice: BulkImportChoice): Promise<OpResult> {
    return this.apply('bulk import', (s, c) => bulkImport(s, c, certs, choice));
  }

  // ── Reads ──────────────────────────────────────────────────────────────────────────────────

  node(hostname: string): NodeSpec {
    return requireNode(this.#state, hostname);
  }

  get publisher(): NodeSpec {
    return publisherOf(this.#state);
  }

  /** The ITL a TFTP node serves now: a pinned `utils itl reset` ITL, or the normal one. */
  itl(hostname: string): Uint8Array {
    return this.#cached(`itl:${hostname}`, () => {
      const override = this.#state.tftp.itlOverrides[hostname];
      if (override) return new Uint8Array(Buffer.from(override, 'base64'));
      return buildItl(this.#state, this.node(hostname)).bytes;
    });
  }

  /** The CTL file, if `utils ctl` ever wrote one. */
  ctl(): Uint8Array | undefined {
    const b64 = this.#state.tftp.ctl;
    return b64 ? this.#cached('ctl', () => new Uint8Array(Buffer.from(b64, 'base64'))) : undefined;
  }

  device(name: string): DeviceEntry | undefined {
    return deviceIndex(this.#state).get(name.toUpperCase());
  }

  requireDevice(name: string): DeviceEntry {
    return requireDevice(this.#state, name);
  }

  /** `SEP<MAC>.cnf.xml` (unsigned) or `.sgn` (signed by `hostname`'s CallManager key). */
  config(deviceName: string, o: { signed: boolean; node: string }): Uint8Array | undefined {
    const d = this.device(deviceName);
    if (!d) return undefined;
    return this.#cached(`cnf:${d.name}:${o.signed}:${o.node}`, () => {
      if (!o.signed) return buildConfigXml(this.#state, d);
      const cm = identityOf(this.#state, 'CallManager', o.node);
      const ts = cm ? Math.floor(certOf(cm.certPem).notBefore.getTime() / 1000) : 0;
      return buildSignedConfig(this.#state, d, this.node(o.node), ts) ?? new Uint8Array(0);
    });
  }

  /** What `hostname`'s TVS answers for a certificate. */
  tvs(hostname: string, certDer: Uint8Array): TvsVerdict {
    return tvsVerdict(this.#state, hostname, certDer);
  }

  /**
   * The certificates a service on a node presents in TLS: CallManager (RSA and ECDSA) as
   * loaded when the CallManager service last started; TVS and CAPF as they are now (both
   * restart themselves when their certificate changes); tomcat as it is now (the manual Tomcat
   * restart is not modelled: docs/decisions/021-phone-https-services.md).
   */
  presented(hostname: string, service: 'CallManager' | 'TVS' | 'CAPF' | 'tomcat'): { rsa?: { certPem: string; keyPem: string }; ecdsa?: { certPem: string; keyPem: string } } {
    const s = this.#state;
    if (service === 'CallManager') {
      const loaded = s.services.find((x) => x.node === hostname && x.service === 'CallManager')?.loaded ?? {};
      return { ...(loaded.CallManager ? { rsa: loaded.CallManager } : {}), ...(loaded['CallManager-ECDSA'] ? { ecdsa: loaded['CallManager-ECDSA'] } : {}) };
    }
    const id = identityOf(s, service, service === 'CAPF' ? publisherOf(s).hostname : hostname);
    return id ? { rsa: { certPem: id.certPem, keyPem: id.keyPem } } : {};
  }

  /** PEM certificates in a node's trust store. */
  trustStore(hostname: string, store: TrustStoreName): string[] {
    return this.#state.trust.filter((t) => t.node === hostname && t.store === store).map((t) => t.certPem);
  }

  certificates(filter?: CertFilter): CertRow[] {
    return filter ? findCertificates(this.#state, filter) : listCertificates(this.#state);
  }

  #cached(key: string, make: () => Uint8Array): Uint8Array {
    let v = this.#files.get(key);
    if (!v) {
      v = make();
      this.#files.set(key, v);
    }
    return v;
  }
}

/**
 * Devices by name, built once per state (states are replaced, never mutated, after an operation
 * commits): servers look a device up on every TFTP read, REGISTER and CAPF session, and a
 * cluster-size fleet has tens of thousands.
 */
const deviceIndexes = new WeakMap<ClusterState, Map<string, DeviceEntry>>();

function deviceIndex(state: ClusterState): Map<string, DeviceEntry> {
  let m = deviceIndexes.get(state);
  if (!m) deviceIndexes.set(state, (m = new Map(state.devices.map((d) => [d.name, d]))));
  return m;
}

export function requireHash(h: string | undefined): HashName | undefined {
  if (h === undefined) return undefined;
  const n = h.toUpperCase().replace(/^SHA-?/, 'SHA-');
  if (n === 'SHA-256' || n === 'SHA-384' || n === 'SHA-512') return n;
  throw new EmulatorError('CERT_PARAMS_INVALID', `hash "${h}" is not SHA256, SHA384 or SHA512`);
}
