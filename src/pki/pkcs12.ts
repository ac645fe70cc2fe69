import forge from 'node-forge';
import { EmulatorError } from '../shared/errors.js';

/**
 * PKCS#12 (RFC 7292) files of certificates only, as CUCM's Bulk Certificate Management writes
 * them to the SFTP server: one SafeContents of CertBags, each with a friendly name, under a
 * password-based integrity MAC.
 *
 * @note node-forge, not node:crypto plus @peculiar/asn1-pfx: real exports (and what
 * `openssl pkcs12 -export` wrote before OpenSSL 3 made AES the default) protect certificate bags
 * with pbeWithSHAAnd40BitRC2-CBC, and OpenSSL 3's default provider — which node:crypto uses — has
 * no RC2. forge implements the PKCS#12 key derivation, RC2, 3DES and PBES2 in JavaScript. This
 * module is the only place forge's binary strings appear; everything outside sees Uint8Array
 * and PEM.
 */
export interface Pkcs12Entry {
  /** The bag's friendlyName attribute (CUCM names a certificate by unit and node). */
  friendlyName?: string;
  der: Uint8Array;
}

/** How the certificate bags are protected when writing. */
export type Pkcs12Cipher = '3des' | 'aes256';

const MAX_PKCS12_BYTES = 4 * 1024 * 1024;

const toBinary = (b: Uint8Array): string => Buffer.from(b).toString('binary');
const fromBinary = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'binary'));

/**
 * Writes a certificates-only PKCS#12 file: each certificate in a CertBag with its friendly name,
 * the bags encrypted with `cipher` (3DES by default: what `openssl pkcs12` reads under both
 * OpenSSL 1.1 and 3 without the legacy provider), a SHA-1 HMAC over the whole (RFC 7292 §4).
 */
export function encodePkcs12(entries: readonly Pkcs12Entry[], password: string, o: { cipher?: Pkcs12Cipher; iterations?: number } = {}): Uint8Array {
  if (entries.length === 0) throw new EmulatorError('INVALID_ARGUMENT', 'a PKCS#12 file needs at least one certificate');
  // forge's toPkcs12Asn1 gives every bag the same friendlyName and cannot carry EC certificates
  // (it parses them); the bags are built from the DER, each with its own name.
  const safeBags = entries.map(({ der, friendlyName: name }) => {
    const attrs = name
      ? [forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
        forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OID, false, forge.asn1.oidToDer(forge.pki.oids['friendlyName']!).getBytes()),
        forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SET, true, [forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.BMPSTRING, false, name)]),
      ])]
      : [];
    return forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
      forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OID, false, forge.asn1.oidToDer(forge.pki.oids['certBag']!).getBytes()),
      forge.asn1.create(forge.asn1.Class.CONTEXT_SPECIFIC, 0, true, [
        forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
          forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OID, false, forge.asn1.oidToDer(forge.pki.oids['x509Certificate']!).getBytes()),
          forge.asn1.create(forge.asn1.Class.CONTEXT_SPECIFIC, 0, true, [
            forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OCTETSTRING, false, toBinary(der)),
          ]),
        ]),
      ]),
      ...(attrs.length ? [forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SET, true, attrs)] : []),
    ]);
  });
  const safeContents = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, safeBags);
  const iterations = o.iterations ?? 2048;
  const salt = forge.random.getBytesSync(8);
  const cipher = o.cipher ?? '3des';
  const { key, iv, oid, params } = cipher === '3des'
    ? (() => {
      const k = forge.pkcs12.generateKey(password, forge.util.createBuffer(salt), 1, iterations, 24);
      const v = forge.pkcs12.generateKey(password, forge.util.createBuffer(salt), 2, iterations, 8);
      const p = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
        forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OCTETSTRING, false, salt),
        forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.INTEGER, false, forge.asn1.integerToDer(iterations).getBytes()),
      ]);
      return { key: k.getBytes(), iv: v.getBytes(), oid: forge.pki.oids['pbeWithSHAAnd3-KeyTripleDES-CBC']!, params: p };
    })()
    : pbes2Aes256(password, salt, iterations);
  const enc = forge.cipher.createCipher(cipher === '3des' ? '3DES-CBC' : 'AES-CBC', key);
  enc.start({ iv });
  enc.update(forge.asn1.toDer(safeContents));
  enc.finish();
  const encryptedContentInfo = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
    forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OID, false, forge.asn1.oidToDer(forge.pki.oids['data']!).getBytes()),
    forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
      forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OID, false, forge.asn1.oidToDer(oid).getBytes()),
      params,
    ]),
    forge.asn1.create(forge.asn1.Class.CONTEXT_SPECIFIC, 0, false, enc.output.getBytes()),
  ]);
  const encryptedData = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
    forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OID, false, forge.asn1.oidToDer(forge.pki.oids['encryptedData']!).getBytes()),
    forge.asn1.create(forge.asn1.Class.CONTEXT_SPECIFIC, 0, true, [
      forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
        forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.INTEGER, false, forge.asn1.integerToDer(0).getBytes()),
        encryptedContentInfo,
      ]),
    ]),
  ]);
  const authSafe = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [encryptedData]);
  const authSafeDer = forge.asn1.toDer(authSafe).getBytes();
  const macSalt = forge.random.getBytesSync(8);
  const macKey = forge.pkcs12.generateKey(password, forge.util.createBuffer(macSalt), 3, iterations, 20);
  const hmac = forge.hmac.create();
  hmac.start('sha1', macKey);
  hmac.update(authSafeDer);
  const pfx = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
    forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.INTEGER, false, forge.asn1.integerToDer(3).getBytes()),
    forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
      forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OID, false, forge.asn1.oidToDer(forge.pki.oids['data']!).getBytes()),
      forge.asn1.create(forge.asn1.Class.CONTEXT_SPECIFIC, 0, true, [forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OCTETSTRING, false, authSafeDer)]),
    ]),
    forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
      forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
        forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
          forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OID, false, forge.asn1.oidToDer(forge.pki.oids['sha1']!).getBytes()),
          forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.NULL, false, ''),
        ]),
        forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OCTETSTRING, false, hmac.digest().getBytes()),
      ]),
      forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OCTETSTRING, false, macSalt),
      forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.INTEGER, false, forge.asn1.integerToDer(iterations).getBytes()),
    ]),
  ]);
  return fromBinary(forge.asn1.toDer(pfx).getBytes());
}

function pbes2Aes256(password: string, salt: string, iterations: number): { key: string; iv: string; oid: string; params: forge.asn1.Asn1 } {
  const key = forge.pkcs5.pbkdf2(password, salt, iterations, 32, forge.md.sha256.create());
  const iv = forge.random.getBytesSync(16);
  const A = forge.asn1;
  const params = A.create(A.Class.UNIVERSAL, A.Type.SEQUENCE, true, [
    A.create(A.Class.UNIVERSAL, A.Type.SEQUENCE, true, [
      A.create(A.Class.UNIVERSAL, A.Type.OID, false, A.oidToDer(forge.pki.oids['pkcs5PBKDF2']!).getBytes()),
      A.create(A.Class.UNIVERSAL, A.Type.SEQUENCE, true, [
        A.create(A.Class.UNIVERSAL, A.Type.OCTETSTRING, false, salt),
        A.create(A.Class.UNIVERSAL, A.Type.INTEGER, false, A.integerToDer(iterations).getBytes()),
        A.create(A.Class.UNIVERSAL, A.Type.SEQUENCE, true, [
          A.create(A.Class.UNIVERSAL, A.Type.OID, false, A.oidToDer(forge.pki.oids['hmacWithSHA256']!).getBytes()),
          A.create(A.Class.UNIVERSAL, A.Type.NULL, false, ''),
        ]),
      ]),
    ]),
    A.create(A.Class.UNIVERSAL, A.Type.SEQUENCE, true, [
      A.create(A.Class.UNIVERSAL, A.Type.OID, false, A.oidToDer(forge.pki.oids['aes256-CBC']!).getBytes()),
      A.create(A.Class.UNIVERSAL, A.Type.OCTETSTRING, false, iv),
    ]),
  ]);
  return { key, iv, oid: forge.pki.oids['pkcs5PBES2']!, params };
}

/**
 * Reads the certificates of a PKCS#12 file, checking its MAC with `password`. A wrong password
 * is `PKCS12_BAD_PASSWORD` (the MAC does not verify: the file may be tampered with, or the
 * password is not the one it was written with); anything that is not a PKCS#12 file is
 * `PKCS12_MALFORMED`. Private keys in the file are ignored.
 */
export function decodePkcs12(bytes: Uint8Array, password: string): Pkcs12Entry[] {
  if (bytes.length > MAX_PKCS12_BYTES) throw new EmulatorError('PKCS12_MALFORMED', `a PKCS#12 file of ${bytes.length} bytes is larger than any certificate bundle (${MAX_PKCS12_BYTES})`);
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(toBinary(bytes), { strict: true, parseAllBytes: true, decodeBitStrings: false } as unknown as boolean);
  } catch (cause) {
    throw new EmulatorError('PKCS12_MALFORMED', `not a PKCS#12 file (DER: ${(cause as Error).message})`, { cause });
  }
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, true, password);
  } catch (cause) {
    const m = (cause as Error).message ?? String(cause);
    if (/MAC could not be verified|Invalid password/i.test(m)) throw new EmulatorError('PKCS12_BAD_PASSWORD', 'the PKCS#12 MAC does not verify: a wrong password, or the file was changed after it was written', { cause });
    throw new EmulatorError('PKCS12_MALFORMED', `not a readable PKCS#12 file: ${m}`, { cause });
  }
  const out: Pkcs12Entry[] = [];
  const bags = p12.getBags({ bagType: forge.pki.oids['certBag']! })[forge.pki.oids['certBag']!] ?? [];
  for (const b of bags) {
    // forge leaves `cert` null for keys it cannot parse (EC) and keeps the certificate's ASN.1.
    const der = b.cert ? forge.asn1.toDer(forge.pki.certificateToAsn1(b.cert)).getBytes() : b.asn1 ? forge.asn1.toDer(b.asn1).getBytes() : undefined;
    if (!der) continue;
    out.push({ der: fromBinary(der), ...(b.attributes?.['friendlyName']?.[0] ? { friendlyName: String(b.attributes['friendlyName'][0]) } : {}) });
  }
  return out;
}
