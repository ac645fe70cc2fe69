import type { KeySpec } from '../src/pki/index.js';
import type { Clock } from '../src/shared/clock.js';
import { CapfServer, lscIssuer, type CapfAuthority, type CapfDevice, type CapfEvent, type CapfIdentity, type CapfServerOptions, type CapfStatus } from '../src/capf/index.js';
import { EventBus } from '../src/shared/events.js';
import { DEVICE, type LabPki } from './sip-pki.js';

/**
 * A small in-test {@link CapfAuthority}: plain maps standing in for the cluster model, with the
 * default LSC issuer signing with the current CAPF identity. Tests mutate its fields to change
 * "the model" between connections.
 */
export class TestCapfAuthority implements CapfAuthority {
  readonly devices = new Map<string, CapfDevice>();
  readonly lscs = new Map<string, Uint8Array | null>();
  readonly statuses = new Map<string, CapfStatus[]>();
  readonly issued: Array<{ deviceName: string; keySpec: KeySpec }> = [];
  trust: string[];
  failIssue = false;
  readonly #issue: (deviceName: string, spki: Uint8Array) => Promise<Uint8Array>;

  constructor(public id: CapfIdentity, trust: string[] = [], clock?: Clock) {
    this.trust = trust;
    this.#issue = lscIssuer(() => this.id, clock ? { clock } : {});
  }

  identity(): CapfIdentity {
    return this.id;
  }

  device(name: string): CapfDevice | undefined {
    return this.devices.get(name);
  }

  trustForAuth(): readonly string[] {
    return this.trust;
  }

  async issue(deviceName: string, spki: Uint8Array, keySpec: KeySpec): Promise<Uint8Array> {
    if (this.failIssue) throw new Error('CA unreachable');
    this.issued.push({ deviceName, keySpec });
    return this.#issue(deviceName, spki);
  }

  recordLsc(deviceName: string, lsc: Uint8Array | null): void {
    this.lscs.set(deviceName, lsc);
  }

  recordStatus(deviceName: string, status: CapfStatus): void {
    const list = this.statuses.get(deviceName) ?? [];
    list.push(status);
    this.statuses.set(deviceName, list);
  }
}

/**
 * A CAPF server on port 0 for one test device (null-string install, RSA 2048), recording every
 * event; `servers` collects it so the test's afterEach can close it.
 */
export async function startTestCapf(pki: LabPki, servers: CapfServer[], extra: Partial<CapfServerOptions> = {}) {
  const authority = new TestCapfAuthority({ certPem: pki.capf.certPem, keyPem: pki.capf.keyPem }, [pki.mfgRoot.certPem]);
  authority.devices.set(DEVICE, { authMode: 'null-string', operation: 'install', keySpec: { type: 'rsa', bits: 2048 } });
  const events: CapfEvent[] = [];
  const bus = new EventBus<CapfEvent>();
  bus.onAny((e) => events.push(e));
  const server = new CapfServer({ authority, port: 0, events: bus, ...extra });
  servers.push(server);
  return { server, authority, events, port: (await server.listen()).port };
}
