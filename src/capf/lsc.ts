import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { EKU, parseCertificate, signCertificate, type CertificateInfo, type DnSpec } from '../pki/index.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { CapfIdentity } from './authority.js';

/**
 * The LSC profile capfd issues (formats.md §5), which CUCM's own LSCs share (CAPF-5: "the LSC must
 * carry digitalSignature and keyEncipherment"; SHA-256 from 11.5(1)SU1):
 *
 * - subject: CN = device name, then O, OU, L, ST, C copied from the issuer's subject;
 * - keyUsage digitalSignature + keyEncipherment (critical); basicConstraints CA:FALSE;
 * - extendedKeyUsage serverAuth, clientAuth, IPsec end system (1.3.6.1.5.5.7.3.5);
 * - subjectAltName URI = device name; SHA-256; a random positive 16-byte serial.
 */
export interface LscIssuerOptions {
  /** Days of validity (CAPF-5: 1–1825). Default 1825. */
  validityDays?: number;
  clock?: Clock;
  /** AIA OCSP and CRL Distribution Point URLs, when the issuer publishes revocation. */
  ocspUrls?: readonly string[];
  crlUrls?: readonly string[];
}

const DAY_MS = 86_400_000;
const COPIED: ReadonlySet<string> = new Set(['O', 'OU', 'L', 'ST', 'C']);

/** Builds the LSC subject: `CN=<device>` then the issuer's O/OU/L/ST/C in the issuer's order. */
export function lscSubject(deviceName: string, issuer: CertificateInfo): DnSpec {
  const out: Array<readonly ['CN' | 'O' | 'OU' | 'L' | 'ST' | 'C', string]> = [['CN', deviceName]];
  for (const [k, v] of issuer.subject) if (COPIED.has(k)) out.push([k as 'O', v]);
  return out;
}

/** Issues one LSC for `publicKey` signed by `issuer` (see the profile above). */
export async function issueLsc(deviceName: string, publicKey: KeyObject, issuer: { certificate: CertificateInfo; privateKey: KeyObject }, options: LscIssuerOptions = {}): Promise<CertificateInfo> {
  const now = (options.clock ?? systemClock).now();
  const days = options.validityDays ?? 1825;
  return signCertificate({
    subject: lscSubject(deviceName, issuer.certificate),
    publicKey,
    signer: { privateKey: issuer.privateKey, certificate: issuer.certificate },
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + days * DAY_MS),
    hash: 'SHA-256',
    keyUsage: ['digitalSignature', 'keyEncipherment'],
    extendedKeyUsage: [EKU.serverAuth, EKU.clientAuth, EKU.ipsecEndSystem],
    uris: [deviceName],
    ...(options.ocspUrls?.length ? { ocspUrls: options.ocspUrls } : {}),
    ...(options.crlUrls?.length ? { crlUrls: options.crlUrls } : {}),
  });
}

/**
 * An `issue` function for a {@link CapfAuthority} that signs with a fixed issuer (the CAPF
 * identity by default): what tests and the default cluster wiring use. `issuer` is read on every
 * call, so a regenerated CAPF certificate signs the next LSC.
 */
export function lscIssuer(issuer: () => CapfIdentity, options: LscIssuerOptions = {}): (deviceName: string, publicKeySpki: Uint8Array) => Promise<Uint8Array> {
  let cached: { pem: string; key: string; value: { certificate: CertificateInfo; privateKey: KeyObject } } | undefined;
  return async (deviceName, spki) => {
    const id = issuer();
    if (!cached || cached.pem !== id.certPem || cached.key !== id.keyPem) {
      cached = { pem: id.certPem, key: id.keyPem, value: { certificate: parseCertificate(id.certPem), privateKey: createPrivateKey(id.keyPem) } };
    }
    const publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    return (await issueLsc(deviceName, publicKey, cached.value, options)).der;
  };
}
