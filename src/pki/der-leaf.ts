import { createHash, sign as signAsync, type KeyObject } from 'node:crypto';
import { EmulatorError } from '../shared/errors.js';
import type { HashName } from './keys.js';

/**
 * A direct DER encoder for one shape of certificate: an end-entity certificate with a fixed
 * extension set, signed by an RSA or EC issuer with node:crypto (RFC 5280 §4.1). It exists for
 * fleets: @peculiar/x509 takes about 11 ms of main-thread ASN.1 work per certificate, which makes
 * 10,000 MICs a two-minute wait; this takes the signature (on libuv's thread pool) and a few
 * microseconds of byte copying. Everything else (CA certificates, CSRs, identity certificates,
 * LSCs) keeps using @peculiar/x509, which handles every shape. Tests check that both encoders
 * produce the same fields and that node, the chain validator and OpenSSL accept the result.
 */
export interface DerLeafOptions {
  /** The issuer certificate's DER: its subject becomes our issuer, its key our AKI. */
  issuerDer: Uint8Array;
  issuerKey: KeyObject;
  hash: HashName;
  /** Subject attributes in order, encoded as UTF8String (PrintableString for C). */
  subject: ReadonlyArray<readonly ['CN' | 'O' | 'OU' | 'L' | 'ST' | 'C', string]>;
  /** SubjectPublicKeyInfo DER of the subject key. */
  spki: Uint8Array;
  serial: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** keyUsage bits (critical), e.g. digitalSignature | keyEncipherment = 0x80 | 0x20. */
  keyUsageBits: number;
  /** extendedKeyUsage OIDs (not critical). */
  extendedKeyUsage: readonly string[];
}

const OID_ATTR: Record<string, string> = { CN: '2.5.4.3', C: '2.5.4.6', L: '2.5.4.7', ST: '2.5.4.8', O: '2.5.4.10', OU: '2.5.4.11' };
const SIG_OID: Record<string, Record<HashName, string>> = {
  rsa: { 'SHA-1': '1.2.840.113549.1.1.5', 'SHA-256': '1.2.840.113549.1.1.11', 'SHA-384': '1.2.840.113549.1.1.12', 'SHA-512': '1.2.840.113549.1.1.13' },
  ec: { 'SHA-1': '1.2.840.10045.4.1', 'SHA-256': '1.2.840.10045.4.3.2', 'SHA-384': '1.2.840.10045.4.3.3', 'SHA-512': '1.2.840.10045.4.3.4' },
};

/** Builds and signs the certificate; resolves with its DER. */
export async function buildDerLeaf(o: DerLeafOptions): Promise<Uint8Array> {
  const type = o.issuerKey.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ec') throw new EmulatorError('PKI_BAD_KEY', `buildDerLeaf signs with RSA or EC keys, not ${type}`);
  const sigOid = SIG_OID[type]![o.hash];
  const sigAlg = type === 'rsa' ? seq(oid(sigOid), NULL) : seq(oid(sigOid));
  const issuer = certificateParts(o.issuerDer);
  const subjectKeyId = sha1(subjectPublicKeyBits(o.spki));
  const authorityKeyId = sha1(subjectPublicKeyBits(issuer.spki));
  const extensions = seq(
    ext('2.5.29.15', true, bitString(o.keyUsageBits)),
    ext('2.5.29.37', false, seq(...o.extendedKeyUsage.map(oid))),
    ext('2.5.29.14', false, tlv(0x04, subjectKeyId)),
    ext('2.5.29.35', false, seq(tlv(0x80, authorityKeyId))),
  );
  const tbs = seq(
    tlv(0xa0, integer(new Uint8Array([2]))),
    integer(o.serial),
    sigAlg,
    issuer.subject,
    seq(time(o.notBefore), time(o.notAfter)),
    name(o.subject),
    o.spki,
    tlv(0xa3, extensions),
  );
  const digest = o.hash.replace('-', '').toLowerCase();
  const signature = await new Promise<Buffer>((resolve, reject) => signAsync(digest, tbs, o.issuerKey, (err, sig) => (err ? reject(err) : resolve(sig))));
  return seq(tbs, sigAlg, tlv(0x03, concat(new Uint8Array([0]), signature)));
}

// ── Encoding ────────────────────────────────────────────────────────────────────────────────

const NULL = new Uint8Array([0x05, 0x00]);

function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  out.set(content, 1 + len.length);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const seq = (...items: Uint8Array[]): Uint8Array => tlv(0x30, concat(...items));
const set = (...items: Uint8Array[]): Uint8Array => tlv(0x31, concat(...items));

function integer(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  return tlv(0x02, m[0]! & 0x80 ? concat(new Uint8Array([0]), m) : m);
}

function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const bytes: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, new Uint8Array(bytes));
}

function name(attrs: DerLeafOptions['subject']): Uint8Array {
  return seq(...attrs.map(([k, v]) => set(seq(oid(OID_ATTR[k]!), tlv(k === 'C' ? 0x13 : 0x0c, new Uint8Array(Buffer.from(v, 'utf8')))))));
}

/** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function time(d: Date): Uint8Array {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const year = d.getUTCFullYear();
  return year < 2050 ? tlv(0x17, new Uint8Array(Buffer.from(`${iso.slice(2)}Z`, 'ascii'))) : tlv(0x18, new Uint8Array(Buffer.from(`${iso}Z`, 'ascii')));
}

/** keyUsage as a DER BIT STRING with the unused trailing bits counted (X.690 §11.2.2). */
function bitString(bits: number): Uint8Array {
  if (bits === 0) return tlv(0x03, new Uint8Array([0]));
  const hi = (bits >> 8) & 0xff;
  const lo = bits & 0xff;
  const bytes = hi ? [lo, hi] : [lo];
  const last = bytes[bytes.length - 1]!;
  let unused = 0;
  while (unused < 8 && !(last & (1 << unused))) unused++;
  return tlv(0x03, new Uint8Array([unused, ...bytes]));
}

function ext(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return seq(oid(id), ...(critical ? [new Uint8Array([0x01, 0x01, 0xff])] : []), tlv(0x04, value));
}

function sha1(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(b).digest());
}

// ── Reading the issuer ──────────────────────────────────────────────────────────────────────

/** One DER element: where its contents are and where it ends. Lengths are checked against the buffer. */
function element(b: Uint8Array, at: number): { tag: number; start: number; end: number; whole: Uint8Array } {
  if (at + 2 > b.length) throw bad(at, 'truncated element');
  const tag = b[at]!;
  let len = b[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > b.length) throw bad(at, 'unsupported length');
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | b[start + i]!;
    start += n;
  }
  if (start + len > b.length) throw bad(at, 'element runs past the end');
  return { tag, start, end: start + len, whole: b.subarray(at, start + len) };
}

function bad(offset: number, why: string): EmulatorError {
  return new EmulatorError('PKI_BAD_CERTIFICATE', `issuer certificate: ${why} at byte ${offset}`, { details: { offset } });
}

/** The subject Name and SubjectPublicKeyInfo of a certificate, as raw DER. */
function certificateParts(der: Uint8Array): { subject: Uint8Array; spki: Uint8Array } {
  const cert = element(der, 0);
  const tbs = element(der, cert.start);
  const fields: Uint8Array[] = [];
  for (let at = tbs.start; at < tbs.end && fields.length < 7;) {
    const e = element(der, at);
    fields.push(e.whole);
    at = e.end;
  }
  const offset = fields[0]?.[0] === 0xa0 ? 1 : 0; // [0] version is optional (v1)
  const subject = fields[4 + offset];
  const spki = fields[5 + offset];
  if (!subject || !spki) throw bad(tbs.start, 'TBSCertificate lacks subject or key');
  return { subject, spki };
}

/** The BIT STRING contents (minus the unused-bits byte) of a SubjectPublicKeyInfo, which SKI/AKI hash. */
function subjectPublicKeyBits(spki: Uint8Array): Uint8Array {
  const outer = element(spki, 0);
  const alg = element(spki, outer.start);
  const bits = element(spki, alg.end);
  return spki.subarray(bits.start + 1, bits.end);
}
