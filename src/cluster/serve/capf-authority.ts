import { createPublicKey } from 'node:crypto';
import { lscIssuer, issueLsc, type CapfAuthority, type CapfStatus } from '../../capf/index.js';
import { toPem } from '../../pki/index.js';
import { EmulatorError } from '../../shared/errors.js';
import type { Clock } from '../../shared/clock.js';
import type { CapfRecord } from '../ops/devices.js';
import { current, type ClusterSource } from './source.js';

export interface ClusterCapfOptions {
  /** Time for LSC validity (the scenario's clock). */
  clock?: Clock;
  /** Days of LSC validity (CAPF-5: 1–1825). Default 1825. */
  lscValidityDays?: number;
  /** Called when recording outcomes in the model fails (the lab directory is unwritable…). */
  onRecordError?: (error: unknown) => void;
}

/**
 * The cluster's CAPF, as the CAPF server's authority (issue 5; formats.md §5; phone-behaviour.md
 * §11): the publisher's CAPF identity, each device's CAPF settings from its device entry
 * (operation, authentication mode and string, key), CAPF-trust for phones that authenticate with
 * an LSC or MIC, and LSCs signed by the CAPF certificate — or by the lab's enterprise CA when the
 * "Certificate Issuer to Endpoint" parameter says `online-ca`.
 *
 * Outcomes (the LSC a device now holds, the status CUCM shows) are recorded in the model in
 * batches: a fleet enrolling thousands of phones costs one model write per batch, not per phone.
 * `flush()` waits for everything recorded so far.
 */
export class ClusterCapfAuthority implements CapfAuthority {
  readonly #source: ClusterSource;
  readonly #o: ClusterCapfOptions;
  readonly #capfIssuer;
  #pending: CapfRecord[] = [];
  #writing: Promise<void> = Promise.resolve();
  #scheduled = false;

  constructor(source: ClusterSource, options: ClusterCapfOptions = {}) {
    this.#source = source;
    this.#o = options;
    this.#capfIssuer = lscIssuer(() => this.identity(), { ...(options.clock ? { clock: options.clock } : {}), ...(options.lscValidityDays ? { validityDays: options.lscValidityDays } : {}) });
  }

  identity(): { certPem: string; keyPem: string } {
    const c = current(this.#source);
    const id = c.presented(c.publisher.hostname, 'CAPF').rsa;
    if (!id) throw new EmulatorError('INVALID_STATE', `cluster ${c.name} has no CAPF certificate; generate one with trustlab cert generate CAPF`);
    return id;
  }

  device(name: string): ReturnType<CapfAuthority['device']> {
    const d = current(this.#source).device(name);
    if (!d) return undefined;
    const operation = d.capf.operation === 'troubleshoot' ? 'fetch' : d.capf.operation;
    return { authMode: d.capf.authMode, ...(d.capf.authString !== undefined ? { authString: d.capf.authString } : {}), operation, keySpec: d.capf.keySpec };
  }

  trustForAuth(): readonly string[] {
    const c = current(this.#source);
    return c.trustStore(c.publisher.hostname, 'CAPF-trust');
  }

  async issue(deviceName: string, publicKeySpki: Uint8Array): Promise<Uint8Array> {
    const c = current(this.#source);
    if (c.state.params.capfCertificateIssuer !== 'online-ca') return this.#capfIssuer(deviceName, publicKeySpki);
    const ca = c.context.cas.enterprise?.issuing;
    if (!ca) throw new EmulatorError('INVALID_STATE', 'the online CA is selected but the lab has no enterprise CA');
    const publicKey = createPublicKey({ key: Buffer.from(publicKeySpki), format: 'der', type: 'spki' });
    // The online CA publishes revocation like any CA: its LSCs carry the AIA and CDP, and it
    // records them, so that its responder can say "good" (decision 027).
    const urls = await c.context.labCa?.urlsFor(ca);
    const cert = await issueLsc(deviceName, publicKey, { certificate: ca.certificate, privateKey: ca.keys.privateKey }, {
      ...(this.#o.clock ? { clock: this.#o.clock } : {}), ...(this.#o.lscValidityDays ? { validityDays: this.#o.lscValidityDays } : {}), ...(urls ?? {}),
    });
    await c.context.labCa?.recordIssued(ca, cert);
    return cert.der;
  }

  recordLsc(deviceName: string, lscDer: Uint8Array | null): void {
    this.#record({ device: deviceName, lscPem: lscDer ? toPem(lscDer) : null });
  }

  recordStatus(deviceName: string, status: CapfStatus): void {
    this.#record({ device: deviceName, status });
  }

  /** Resolves once every outcome recorded so far is in the model (and on disk, for a lab). */
  async flush(): Promise<void> {
    while (this.#pending.length > 0 || this.#scheduled) {
      this.#scheduled = false;
      this.#write();
      await this.#writing;
    }
    await this.#writing;
  }

  #record(r: CapfRecord): void {
    this.#pending.push(r);
    if (this.#scheduled) return;
    this.#scheduled = true;
    // Coalesce what arrives in the same turn and while the previous write runs.
    setImmediate(() => {
      if (!this.#scheduled) return;
      this.#scheduled = false;
      this.#write();
    });
  }

  #write(): void {
    this.#writing = this.#writing.then(async () => {
      const batch = this.#pending;
      this.#pending = [];
      if (batch.length === 0) return;
      try {
        await current(this.#source).recordCapf(batch);
      } catch (e) {
        this.#o.onRecordError?.(e);
      }
    });
  }
}
