import { certOf, identityOf, type Cluster, type Purpose } from '../cluster/index.js';
import { toPem } from '../pki/index.js';
import { EmulatorError } from '../shared/errors.js';
import type { Lab } from '../cluster/index.js';
import type { CertRef } from './steps/schemas.js';

/**
 * The certificates a run has seen, so that a scenario can name one that is no longer current
 * (issue 14): every identity each cluster has held, in order, the lab CA, and every certificate
 * that has been in a trust store. A reference resolves to the current identity, the previous one
 * (`which: previous`), the CA, or any of them by serial or SHA-256 fingerprint.
 */
export class CertificateIndex {
  /** Identity PEMs per cluster, purpose and node, oldest first. */
  readonly #history = new Map<string, string[]>();
  /** Every certificate seen, by SHA-256 (for serial and fingerprint references). */
  readonly #seen = new Map<string, string>();

  constructor(private readonly lab: Lab, private readonly cluster: (name: string) => Cluster) {}

  /** Records what the cluster holds now: identities that changed since the last call, and its trust certificates. */
  record(name: string, c: Cluster): void {
    for (const id of c.state.identities) {
      for (const node of id.nodes) {
        const key = `${name}|${id.purpose}|${node}`;
        const list = this.#history.get(key) ?? [];
        if (list.at(-1) !== id.certPem) list.push(id.certPem);
        this.#history.set(key, list);
      }
      this.#see(id.certPem);
    }
    for (const t of c.state.trust) this.#see(t.certPem);
  }

  #see(pem: string): void {
    const sha = certOf(pem).sha256;
    if (!this.#seen.has(sha)) this.#seen.set(sha, pem);
  }

  /** The PEM a reference names. Throws CERT_NOT_FOUND (or INVALID_ARGUMENT for an ambiguous serial) with what to do. */
  resolve(ref: CertRef): string {
    if (ref.ca) {
      const e = this.lab.cas.enterprise;
      if (!e) throw new EmulatorError('INVALID_STATE', 'the lab has no enterprise CA');
      return toPem((ref.ca === 'root' ? e.root : e.issuing).certificate.der);
    }
    if (ref.fingerprint) {
      const want = ref.fingerprint.replace(/:/g, '').toLowerCase();
      const pem = this.#seen.get(want);
      if (!pem) throw new EmulatorError('CERT_NOT_FOUND', `no certificate with SHA-256 ${want} has been seen in this run`);
      return pem;
    }
    if (ref.serial) {
      const want = ref.serial.replace(/:/g, '').toLowerCase().replace(/^0+(?=.)/, '');
      const found = [...this.#seen.values()].filter((p) => certOf(p).serialHex.replace(/^0+(?=.)/, '') === want);
      if (found.length === 0) throw new EmulatorError('CERT_NOT_FOUND', `no certificate with serial ${want} has been seen in this run`);
      if (found.length > 1) throw new EmulatorError('INVALID_ARGUMENT', `${found.length} certificates have serial ${want}; name it by fingerprint instead`);
      return found[0]!;
    }
    const { cluster, purpose, node } = ref as Required<Pick<CertRef, 'cluster' | 'purpose' | 'node'>>;
    if (ref.which === 'previous') {
      const list = this.#history.get(`${cluster}|${purpose}|${node}`) ?? [];
      const previous = list.at(-2);
      if (!previous) throw new EmulatorError('CERT_NOT_FOUND', `cluster ${cluster} has had only one ${purpose} certificate on ${node} in this run; "previous" names the one a regeneration or upload replaced`);
      return previous;
    }
    const id = identityOf(this.cluster(cluster).state, purpose as Purpose, node);
    if (!id) throw new EmulatorError('CERT_NOT_FOUND', `cluster ${cluster} has no ${purpose} certificate on ${node}`);
    return id.certPem;
  }
}
