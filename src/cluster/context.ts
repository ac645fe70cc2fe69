import type { CertificateAuthority, CertificateInfo, KeyPool } from '../pki/index.js';
import type { Clock } from '../shared/clock.js';

/** The emulated CAs a lab holds (manufacturing hierarchy for MICs, an enterprise CA). */
export interface LabCas {
  manufacturing: ReadonlyMap<string, CertificateAuthority>;
  enterprise?: { root: CertificateAuthority; issuing: CertificateAuthority };
}

/**
 * What operations need from outside the model: keys, the lab's CAs, time (injected, so
 * scenarios run on simulated time) and randomness (seedable, for deterministic runs).
 */
export interface ClusterContext {
  pool: KeyPool;
  cas: LabCas;
  clock: Clock;
  random: (n: number) => Uint8Array;
  /**
   * The lab CA as a publisher of revocation (decision 027), when the lab has one: the AIA and
   * CRL Distribution Point its certificates carry, and the record of what it issued (so that its
   * OCSP responder answers "good", not "unknown", for an LSC the online CA signed).
   */
  labCa?: {
    urlsFor(ca: CertificateAuthority): Promise<{ ocspUrls: string[]; crlUrls: string[] }>;
    recordIssued(ca: CertificateAuthority, cert: CertificateInfo): Promise<void>;
  };
}
