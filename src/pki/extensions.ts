import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax, BasicConstraints, CRLDistributionPoints, ExtendedKeyUsage, id_ce_basicConstraints, id_ce_cRLDistributionPoints,
  id_ce_extKeyUsage, id_ce_keyUsage, id_ce_subjectAltName, id_pe_authorityInfoAccess, KeyUsage, SubjectAlternativeName, type Extensions,
} from '@peculiar/asn1-x509';

/**
 * The X.509 extensions the CUCM rules look at: key usage and extended key usage (CSR tables 3
 * and 4 of the certificate chapter), subject alternative names (multi-server SAN certificates,
 * the "no wildcard" upload rule) and basic constraints (CAPF must be CA:TRUE, pathlen:0 —
 * phone-behaviour.md CAPF-5).
 */
export type KeyUsageName = 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign' | 'encipherOnly' | 'decipherOnly';

export const EKU = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  ipsecEndSystem: '1.3.6.1.5.5.7.3.5',
} as const;
export type EkuName = keyof typeof EKU;

export interface CertificateExtensions {
  keyUsage: KeyUsageName[] | null;
  extendedKeyUsage: string[] | null;
  dnsNames: string[];
  uris: string[];
  basicConstraints: { ca: boolean; pathLength: number | null } | null;
  /** AIA id-ad-ocsp URIs and CRL Distribution Point URIs (revocation checking reads them). */
  ocspUrls: string[];
  crlUrls: string[];
}

const ID_AD_OCSP = '1.3.6.1.5.5.7.48.1';

export function parseExtensions(exts: Extensions | undefined): CertificateExtensions {
  const out: CertificateExtensions = { keyUsage: null, extendedKeyUsage: null, dnsNames: [], uris: [], basicConstraints: null, ocspUrls: [], crlUrls: [] };
  for (const e of exts ?? []) {
    const v = e.extnValue.buffer;
    switch (e.extnID) {
      case id_ce_keyUsage:
        out.keyUsage = AsnConvert.parse(v, KeyUsage).toJSON() as KeyUsageName[];
        break;
      case id_ce_extKeyUsage:
        out.extendedKeyUsage = [...AsnConvert.parse(v, ExtendedKeyUsage)];
        break;
      case id_ce_subjectAltName:
        for (const gn of AsnConvert.parse(v, SubjectAlternativeName)) {
          if (gn.dNSName !== undefined) out.dnsNames.push(gn.dNSName);
          if (gn.uniformResourceIdentifier !== undefined) out.uris.push(gn.uniformResourceIdentifier);
        }
        break;
      case id_pe_authorityInfoAccess:
        for (const ad of AsnConvert.parse(v, AuthorityInfoAccessSyntax)) {
          if (ad.accessMethod === ID_AD_OCSP && ad.accessLocation.uniformResourceIdentifier) out.ocspUrls.push(ad.accessLocation.uniformResourceIdentifier);
        }
        break;
      case id_ce_cRLDistributionPoints:
        for (const dp of AsnConvert.parse(v, CRLDistributionPoints)) {
          for (const gn of dp.distributionPoint?.fullName ?? []) if (gn.uniformResourceIdentifier) out.crlUrls.push(gn.uniformResourceIdentifier);
        }
        break;
      case id_ce_basicConstraints: {
        const bc = AsnConvert.parse(v, BasicConstraints);
        out.basicConstraints = { ca: bc.cA, pathLength: bc.pathLenConstraint ?? null };
        break;
      }
      default:
    }
  }
  return out;
}

/** EKU OIDs → short names where known. */
export function ekuNames(oids: readonly string[]): string[] {
  const byOid = new Map(Object.entries(EKU).map(([k, v]) => [v as string, k]));
  return oids.map((o) => byOid.get(o) ?? o);
}
