import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { toPem, type CertificateInfo } from '../../pki/index.js';
import { javaDate } from '../../shared/java-date.js';

/**
 * `show cert own|trust NAME` as CUCM prints it: the platform's Java `X509Certificate.toString()`
 * dump in brackets, then the PEM (a real paste from the same OS, decision 031 §1: "Version: V3",
 * "Validity From:" with a right-aligned "To:", "Key value:", "Extensions: N present", a hex
 * "Signature:" dump, then `]` and the PEM block). Names print Java-style, last RDN first
 * (`L=…, ST=…, CN=…, OU=…, O=…, C=…`), and dates as `Date.toString()` in UTC.
 */
export function renderCertDump(c: CertificateInfo): string {
  // asn1-x509 rather than @peculiar/x509: this module loads in workers and tools with no reflect-metadata.
  const exts = (AsnConvert.parse(c.der, Certificate).tbsCertificate.extensions ?? []).map((e) => ({ type: e.extnID, critical: e.critical, value: e.extnValue.buffer }));
  const lines = [
    '[',
    '  Version: V3',
    `  Serial Number: ${c.serialHex.toUpperCase()}`,
    `  SignatureAlgorithm: ${signatureAlgorithm(c)}`,
    `  Issuer Name: ${javaName(c.issuer)}`,
    `  Validity From: ${javaDate(c.notBefore)}`,
    `           To:   ${javaDate(c.notAfter)}`,
    `  Subject Name: ${javaName(c.subject)}`,
    `  Key: ${c.keyType === 'ec' ? 'EC (1.2.840.10045.2.1)' : 'RSA (1.2.840.113549.1.1.1)'}`,
    `    Key value: ${Buffer.from(c.publicKeyBits).toString('hex')}`,
    `  Extensions: ${exts.length} present`,
  ];
  for (const e of exts) {
    lines.push('  [', `     Extension: ${EXTENSION_NAMES[e.type] ?? e.type} (OID.${e.type})`, `     Critical: ${e.critical}`, ...extensionBody(c, e.type, new Uint8Array(e.value)).map((l) => `     ${l}`), '  ]');
  }
  lines.push('', '  Signature:', ...hexDump(c.signatureValue).map((l) => `  ${l}`));
  return `${lines.join('\n')}\n]${toPem(c.der)}`;
}

const EXTENSION_NAMES: Readonly<Record<string, string>> = {
  '2.5.29.15': 'KeyUsage',
  '2.5.29.37': 'ExtKeyUsageSyntax',
  '2.5.29.14': 'SubjectKeyIdentifier',
  '2.5.29.35': 'AuthorityKeyIdentifier',
  '2.5.29.17': 'SubjectAlternativeName',
  '2.5.29.19': 'BasicConstraints',
  '2.5.29.31': 'CRLDistributionPoints',
  '1.3.6.1.5.5.7.1.1': 'AuthorityInfoAccess',
};

function extensionBody(c: CertificateInfo, oid: string, value: Uint8Array): string[] {
  const x = c.extensions;
  switch (oid) {
    case '2.5.29.15': return [`Usages: ${(x.keyUsage ?? []).join(', ')}, `];
    case '2.5.29.37': return [`Usage oids: ${(x.extendedKeyUsage ?? []).join(', ')}, `];
    case '2.5.29.17': return [`Names: ${[...x.dnsNames.map((d) => `DNS:${d}`), ...x.uris.map((u) => `URI:${u}`)].join(', ')}`];
    case '2.5.29.19': return [`CA: ${x.basicConstraints?.ca ?? false}`, ...(x.basicConstraints?.pathLength != null ? [`PathLen: ${x.basicConstraints.pathLength}`] : [])];
    case '2.5.29.31': return x.crlUrls.map((u) => `URI: ${u}`);
    case '1.3.6.1.5.5.7.1.1': return x.ocspUrls.map((u) => `ocsp URI: ${u}`);
    default: return [`value: ${Buffer.from(value).toString('hex')}`];
  }
}

/** Java's names for the signature algorithms CUCM certificates use (JCA standard names). */
const SIG_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.5': 'SHA1withRSA',
  '1.2.840.113549.1.1.11': 'SHA256withRSA',
  '1.2.840.113549.1.1.12': 'SHA384withRSA',
  '1.2.840.113549.1.1.13': 'SHA512withRSA',
  '1.2.840.10045.4.3.2': 'SHA256withECDSA',
  '1.2.840.10045.4.3.3': 'SHA384withECDSA',
  '1.2.840.10045.4.3.4': 'SHA512withECDSA',
};

const signatureAlgorithm = (c: CertificateInfo): string => `${SIG_NAMES[c.signatureOid] ?? c.signatureOid} (${c.signatureOid})`;

const javaName = (pairs: CertificateInfo['subject']): string => [...pairs].reverse().map(([k, v]) => `${k}=${v}`).join(', ');

/** Java's HexDumpEncoder layout: `0000: 38 8f 5a … [8.Z.w...]`, 16 bytes a line. */
function hexDump(b: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < b.length; i += 16) {
    const row = b.subarray(i, i + 16);
    const hex = [...row].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
    out.push(`${i.toString(16).padStart(4, '0').toUpperCase()}: ${hex.padEnd(47)} [${ascii}]`);
  }
  return out;
}
