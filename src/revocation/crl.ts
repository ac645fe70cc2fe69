import type { KeyObject } from 'node:crypto';
import { DecodeError } from '../shared/errors.js';
import { cryptoPrivateKey, cryptoPublicKey, loadX509, x509SigningAlgorithm } from '../pki/issue.js';
import type { CertificateInfo } from '../pki/index.js';
import { CrlReason, crlReasonName, type CrlReasonName } from './reasons.js';
import { normalSerial, type CaRevocationState } from './registry.js';

/**
 * Certificate revocation lists (RFC 5280 §5), built and read with `@peculiar/x509`. The lab CA
 * publishes one per CA at its CRL Distribution Point; the cluster downloads and checks them
 * ("Enable CRL", ucm-certificates.txt). Decoding caps the size and turns any failure into a
 * `DecodeError` (`CRL_TOO_LARGE`, `CRL_MALFORMED`).
 */
export const MAX_CRL_BYTES = 4 * 1024 * 1024;
const CRL_NUMBER_OID = '2.5.29.20';

export interface CrlBuild {
  ca: { certificate: CertificateInfo; privateKey: KeyObject };
  state: CaRevocationState;
  thisUpdate: Date;
  nextUpdate: Date;
}

export async function buildCrl(b: CrlBuild): Promise<Uint8Array> {
  const x509 = await loadX509();
  const hash = 'SHA-256';
  const issuer = new x509.X509Certificate(b.ca.certificate.der);
  const crlNumber = new x509.Extension(CRL_NUMBER_OID, false, integerDer(b.state.crlNumber));
  const aki = await x509.AuthorityKeyIdentifierExtension.create(await cryptoPublicKey(b.ca.certificate.publicKey, hash) as unknown as Parameters<typeof x509.AuthorityKeyIdentifierExtension.create>[0], false);
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuer.subjectName,
    thisUpdate: b.thisUpdate,
    nextUpdate: b.nextUpdate,
    signingAlgorithm: x509SigningAlgorithm(b.ca.privateKey, hash),
    signingKey: await cryptoPrivateKey(b.ca.privateKey, hash) as unknown as Parameters<typeof x509.X509CrlGenerator.create>[0]['signingKey'],
    extensions: [aki, crlNumber],
    entries: b.state.revoked.map((r) => ({
      serialNumber: evenHex(r.serial),
      revocationDate: new Date(r.revokedAt),
      ...(r.reason !== 'unspecified' ? { reason: CrlReason[r.reason] as number } : {}),
    })),
  });
  return new Uint8Array(crl.rawData);
}

/** DER INTEGER for a small non-negative number. */
function integerDer(n: number): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return new Uint8Array([0x02, bytes.length, ...bytes]);
}

function evenHex(serial: string): string {
  const s = normalSerial(serial);
  const even = s.length % 2 ? `0${s}` : s;
  return parseInt(even.slice(0, 2), 16) & 0x80 ? `00${even}` : even;
}

export interface CrlEntry {
  serial: string;
  revokedAt: Date;
  reason?: CrlReasonName;
}

export interface DecodedCrl {
  issuer: string;
  /** DER of the issuer Name, to match against a certificate's issuer (RFC 5280 §6.3.3 b). */
  issuerNameDer: Uint8Array;
  thisUpdate: Date;
  nextUpdate?: Date;
  crlNumber?: number;
  entries: CrlEntry[];
  /** True when the CRL's signature verifies under `issuer`'s key. */
  verify(issuer: CertificateInfo): Promise<boolean>;
}

export async function decodeCrl(der: Uint8Array): Promise<DecodedCrl> {
  if (der.length > MAX_CRL_BYTES) throw new DecodeError('CRL_TOO_LARGE', MAX_CRL_BYTES, `CRL of ${der.length} bytes is over the ${MAX_CRL_BYTES}-byte cap`);
  const x509 = await loadX509();
  let crl;
  try {
    crl = new x509.X509Crl(der);
    // Touch the lazily decoded parts so that a malformed entry fails here, not later.
    void crl.entries.map((e) => [e.serialNumber, e.revocationDate, e.reason]);
  } catch (err) {
    throw new DecodeError('CRL_MALFORMED', 0, `not a DER CRL: ${(err as Error).message}`);
  }
  const num = crl.extensions.find((e) => e.type === CRL_NUMBER_OID);
  let crlNumber: number | undefined;
  if (num) {
    const v = new Uint8Array(num.value);
    crlNumber = v[0] === 0x02 ? [...v.subarray(2, 2 + v[1]!)].reduce((n, b) => n * 256 + b, 0) : undefined;
  }
  const entries = crl.entries.map((e) => {
    const reason = e.reason !== undefined ? crlReasonName(e.reason) : undefined;
    return { serial: normalSerial(e.serialNumber), revokedAt: e.revocationDate, ...(reason ? { reason } : {}) };
  });
  const parsed = crl;
  return {
    issuer: crl.issuer,
    issuerNameDer: new Uint8Array(crl.issuerName.toArrayBuffer()),
    thisUpdate: crl.thisUpdate,
    ...(crl.nextUpdate ? { nextUpdate: crl.nextUpdate } : {}),
    ...(crlNumber !== undefined ? { crlNumber } : {}),
    entries,
    verify: async (issuer) => {
      try {
        // The issuer certificate itself, so that the key is imported for the CRL's own hash.
        return await parsed.verify({ publicKey: new x509.X509Certificate(issuer.der) });
      } catch {
        return false;
      }
    },
  };
}
