import type { KeySpec } from '../src/pki/index.js';
import type { Clock } from '../src/shared/clock.js';
import { lscIssuer, type CapfAuthority, type CapfDevice, type CapfIdentity, type CapfStatus } from '../src/capf/index.js';

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
