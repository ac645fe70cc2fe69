import { EKU, type KeyUsageName } from '../pki/index.js';
import type { Purpose, TrustStoreName, ServiceName } from './model.js';
import { Role } from '../trustlist/index.js';

/**
 * Per-purpose rules for identity certificates. Sources: the certificate chapter's Table 3
 * (CSR key usage; our reading of its garbled columns is in docs/decisions/010-csr-key-usage.md),
 * Table 6 (key type by purpose), Table 7 (services), Table 8 (node/cluster scope), Table 5 (CN
 * conventions for multi-server: `<host>-ms.<domain>`, `<host>-EC-ms.<domain>`).
 */
export interface PurposeRule {
  keyType: 'rsa' | 'ec';
  /** Trust store that must hold the CA chain before a CA-signed certificate is uploaded. */
  chainStore: TrustStoreName;
  /** Whether a CSR may be generated for it (ITLRecovery is self-signed only). */
  csr: boolean;
  /** Requested in a CSR (Table 3, docs/decisions/010-csr-key-usage.md). */
  keyUsage: readonly KeyUsageName[];
  extendedKeyUsage: readonly string[];
  /** Written in a self-signed certificate (from real CUCM certificates in the gigantic-6 CTL). */
  selfSignedKeyUsage: readonly KeyUsageName[];
  selfSignedExtendedKeyUsage: readonly string[];
  /** CAPF is a CA: basicConstraints CA:TRUE, pathlen:0 (phone-behaviour.md CAPF-5). */
  ca: boolean;
  /** Publisher only (CAPF). */
  publisherOnly: boolean;
  /** Service that presents it. */
  service?: ServiceName;
}

const SERVER_CLIENT = [EKU.serverAuth, EKU.clientAuth];

export const PURPOSE_RULES: Readonly<Record<Purpose, PurposeRule>> = {
  CallManager: { keyType: 'rsa', chainStore: 'CallManager-trust', csr: true, keyUsage: ['digitalSignature', 'keyEncipherment', 'dataEncipherment'], extendedKeyUsage: SERVER_CLIENT, selfSignedKeyUsage: ['digitalSignature', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign'], selfSignedExtendedKeyUsage: [EKU.serverAuth, EKU.clientAuth, EKU.ipsecEndSystem], ca: false, publisherOnly: false, service: 'CallManager' },
  'CallManager-ECDSA': { keyType: 'ec', chainStore: 'CallManager-trust', csr: true, keyUsage: ['digitalSignature', 'keyAgreement', 'dataEncipherment'], extendedKeyUsage: SERVER_CLIENT, selfSignedKeyUsage: ['digitalSignature', 'keyAgreement', 'dataEncipherment', 'keyCertSign'], selfSignedExtendedKeyUsage: SERVER_CLIENT, ca: false, publisherOnly: false, service: 'CallManager' },
  tomcat: { keyType: 'rsa', chainStore: 'tomcat-trust', csr: true, keyUsage: ['digitalSignature', 'keyEncipherment', 'dataEncipherment'], extendedKeyUsage: SERVER_CLIENT, selfSignedKeyUsage: ['digitalSignature', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign'], selfSignedExtendedKeyUsage: SERVER_CLIENT, ca: false, publisherOnly: false },
  'tomcat-ECDSA': { keyType: 'ec', chainStore: 'tomcat-trust', csr: true, keyUsage: ['digitalSignature', 'keyAgreement', 'dataEncipherment'], extendedKeyUsage: SERVER_CLIENT, selfSignedKeyUsage: ['digitalSignature', 'keyAgreement', 'dataEncipherment', 'keyCertSign'], selfSignedExtendedKeyUsage: SERVER_CLIENT, ca: false, publisherOnly: false },
  ipsec: { keyType: 'rsa', chainStore: 'ipsec-trust', csr: true, keyUsage: ['digitalSignature', 'keyEncipherment', 'dataEncipherment'], extendedKeyUsage: [...SERVER_CLIENT, EKU.ipsecEndSystem], selfSignedKeyUsage: ['digitalSignature', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign'], selfSignedExtendedKeyUsage: [EKU.serverAuth, EKU.clientAuth, EKU.ipsecEndSystem], ca: false, publisherOnly: false },
  CAPF: { keyType: 'rsa', chainStore: 'CAPF-trust', csr: true, keyUsage: ['digitalSignature', 'keyCertSign'], extendedKeyUsage: [EKU.serverAuth], selfSignedKeyUsage: ['digitalSignature', 'keyEncipherment', 'keyCertSign'], selfSignedExtendedKeyUsage: [EKU.serverAuth, EKU.ipsecEndSystem], ca: true, publisherOnly: true, service: 'CAPF' },
  TVS: { keyType: 'rsa', chainStore: 'TVS-trust', csr: true, keyUsage: ['digitalSignature', 'keyEncipherment', 'dataEncipherment'], extendedKeyUsage: SERVER_CLIENT, selfSignedKeyUsage: ['digitalSignature', 'keyEncipherment', 'dataEncipherment', 'keyAgreement'], selfSignedExtendedKeyUsage: SERVER_CLIENT, ca: false, publisherOnly: false, service: 'TVS' },
  ITLRecovery: { keyType: 'rsa', chainStore: 'CallManager-trust', csr: false, keyUsage: ['digitalSignature', 'keyEncipherment', 'dataEncipherment'], extendedKeyUsage: SERVER_CLIENT, selfSignedKeyUsage: ['digitalSignature', 'keyEncipherment', 'dataEncipherment', 'keyAgreement'], selfSignedExtendedKeyUsage: SERVER_CLIENT, ca: false, publisherOnly: true },
};

/** The common name CUCM gives a purpose on a node (gigantic-6 CTL: `gigantic-6.cisco.com`, `ITLRECOVERY_gigantic-6.cisco.com`, `CAPF-2076a1a2`). */
export function commonName(purpose: Purpose, host: string, domain: string, distribution: 'node' | 'multi-server', capfSuffix: string): string {
  const ec = purpose.endsWith('-ECDSA');
  if (distribution === 'multi-server') return `${host}${ec ? '-EC' : ''}-ms.${domain}`;
  switch (purpose) {
    case 'CAPF': return `CAPF-${capfSuffix}`;
    case 'ITLRecovery': return `ITLRECOVERY_${host}.${domain}`;
    default: return `${host}${ec ? '-EC' : ''}.${domain}`;
  }
}

/**
 * The roles TVS returns for a cluster's own identity certificates (phone-behaviour.md TVS-6;
 * CallManager unit {SAST, CCM+TFTP}, tomcat/ipsec APP-SERVER, CAPF, TVS). ITLRecovery is not in
 * the 9.1 table; we answer SAST for it (it is a trust-list signer from 12.0, and CTL-3 has TVS
 * vouch for signers "in the CallManager unit with role SAST") — docs/decisions/011-tvs-roles.md.
 */
export const IDENTITY_TVS_ROLES: Readonly<Record<Purpose, readonly number[]>> = {
  CallManager: [Role.SAST, Role.CCM_TFTP],
  'CallManager-ECDSA': [Role.SAST, Role.CCM_TFTP],
  tomcat: [Role.APP_SERVER],
  'tomcat-ECDSA': [Role.APP_SERVER],
  ipsec: [Role.APP_SERVER],
  CAPF: [Role.CAPF],
  TVS: [Role.TVS],
  ITLRecovery: [Role.SAST],
};
