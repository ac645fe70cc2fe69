import { looksLikePem, parseCertificate, pemCertificates, type CertificateInfo } from '../../pki/index.js';
import { EmulatorError } from '../../shared/errors.js';

/**
 * What CUCM's upload page accepts (TS-1): PEM or DER certificates only — a PEM file may hold a
 * chain — keys of at most 4096 bits, no wildcard names, nothing expired. Everything else is
 * refused with the rule's code; PKCS#12 and PKCS#7 get a hint on how to convert.
 */
export function readUploadedCertificates(bytes: Uint8Array): CertificateInfo[] {
  if (looksLikePem(bytes)) {
    const text = Buffer.from(bytes).toString('latin1');
    if (/-----BEGIN PKCS7-----/.test(text)) throw unsupported('a PKCS#7 bundle', 'openssl pkcs7 -print_certs -in FILE');
    if (/-----BEGIN (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----/.test(text) && !/-----BEGIN CERTIFICATE-----/.test(text)) {
      throw unsupported('a private key', 'upload the certificate, not its key');
    }
    const ders = pemCertificates(text);
    if (ders.length === 0) throw unsupported('PEM without a CERTIFICATE block', 'export the certificate as PEM or DER');
    return ders.map((d) => parse(d));
  }
  const kind = sniffDer(bytes);
  if (kind === 'pkcs12') throw unsupported('a PKCS#12 (.p12/.pfx) file', 'openssl pkcs12 -in FILE -nokeys -out cert.pem');
  if (kind === 'pkcs7') throw unsupported('a PKCS#7 (.p7b) file', 'openssl pkcs7 -inform DER -print_certs -in FILE');
  if (kind !== 'certificate') throw unsupported('neither PEM nor DER', 'export the certificate as PEM (.pem) or DER (.der)');
  return [parse(bytes)];
}

function unsupported(what: string, fix: string): EmulatorError {
  return new EmulatorError('CERT_UNSUPPORTED_FORMAT', `CUCM accepts PEM or DER certificates only; this is ${what}. Convert it: ${fix}`);
}

function parse(der: Uint8Array): CertificateInfo {
  try {
    return parseCertificate(der);
  } catch (cause) {
    throw new EmulatorError('CERT_UNSUPPORTED_FORMAT', 'the file is not an X.509 certificate in PEM or DER', { cause });
  }
}

/** Looks at the outer DER structure: a certificate is SEQUENCE{SEQUENCE…}; PKCS#12 is SEQUENCE{INTEGER 3…}; PKCS#7 is SEQUENCE{OID 1.2.840.113549.1.7.2…}. */
function sniffDer(b: Uint8Array): 'certificate' | 'pkcs12' | 'pkcs7' | 'other' {
  if (b.length < 8 || b[0] !== 0x30) return 'other';
  let p = 1;
  const len0 = b[p++]!;
  if (len0 & 0x80) p += len0 & 0x7f;
  if (p + 3 >= b.length) return 'other';
  const tag = b[p];
  if (tag === 0x02 && b[p + 1] === 1 && b[p + 2] === 3) return 'pkcs12';
  if (tag === 0x06 && Buffer.from(b.subarray(p + 2, p + 2 + b[p + 1]!)).equals(Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]))) return 'pkcs7';
  if (tag === 0x30) return 'certificate';
  return 'other';
}

/** Every DNS name and the CN: CUCM refuses wildcard certificates (TS-1). */
export function wildcardName(c: CertificateInfo): string | undefined {
  const names = [...c.subject.filter(([k]) => k === 'CN').map(([, v]) => v), ...c.extensions.dnsNames];
  return names.find((n) => n.includes('*'));
}

export function checkUploadRules(c: CertificateInfo, now: Date): void {
  if (c.keyType === 'rsa' && c.keyBits > 4096) {
    throw new EmulatorError('CERT_KEY_TOO_LARGE', `${c.subjectCucm} has a ${c.keyBits}-bit key; CUCM accepts keys of at most 4096 bits`);
  }
  const wild = wildcardName(c);
  if (wild) throw new EmulatorError('CERT_WILDCARD', `${c.subjectCucm} is a wildcard certificate (${wild}); CUCM does not support wildcard certificates`);
  if (c.notAfter < now) throw new EmulatorError('CERT_EXPIRED', `${c.subjectCucm} expired on ${c.notAfter.toISOString()}; upload a current certificate`);
}
