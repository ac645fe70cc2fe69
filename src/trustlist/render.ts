import { toColonHex } from '../bytes/index.js';
import { javaDate } from '../shared/java-date.js';
import { ipv4String } from './build.js';
import { containerLengthsOf } from './header.js';
import type { RecordLayout, TrustList, TrustListRecord } from './model.js';
import { encodeRecordBytes } from './record.js';
import type { TrustListSummary } from './summary.js';
import { CONTAINER_TAGS, digestName, HEADER_TAG_NAMES, HeaderTag as H, RECORD_TAG_NAMES, RecordTag as R, ROLE_DISPLAY_NAMES, Role } from './tags.js';

/**
 * Text in the shape of CUCM's `show itl` / `show ctl` (TAC 118892 and 118893 dumps): checksums,
 * length, then "Parse ITL File" with a BYTEPOS/TAG/LENGTH/VALUE table for the header and each
 * record. As on CUCM the BYTEPOS column holds the tag number. The SAST record that signed the
 * file is marked "This etoken was used to sign the ITL file."
 */

type Row = [tag: number, name: string, length: number, value: string];

const CUCM_HEADER_ORDER = [H.SignerId, H.SignerName, H.SerialNumber, H.CaName, H.SignatureInfo, H.DigestAlgorithm, H.SignatureAlgoInfo, H.SignatureAlgorithm, H.SignatureModulus, H.Signature, H.Filename, H.Timestamp];
const CUCM_RECORD_ORDER = [R.RecordLength, R.DnsName, R.SubjectName, R.Function, R.IssuerName, R.SerialNumber, R.PublicKey, R.Signature, R.Certificate, R.IpAddress, R.CertificateHash, R.HashAlgorithm];

function strLen(s: string): number {
  return Buffer.byteLength(s) + 1;
}

function hexBlock(b: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < b.length; i += 16) {
    lines.push([...b.subarray(i, i + 16)].map((x) => x.toString(16).padStart(2, '0')).join(' '));
  }
  return lines.join('\n' + ' '.repeat(40));
}

function headerRows(list: TrustList): Row[] {
  const h = list.header;
  const declared = list.layout?.header.containers ?? {};
  const actual = containerLengthsOf(h);
  const order = (list.layout?.header.order ?? CUCM_HEADER_ORDER).filter((t) => t !== H.Version && t !== H.HeaderLength && t !== H.Padding);
  const rows: Row[] = [];
  const unknown = [...(list.layout?.header.unknown ?? [])];
  for (const tag of order) {
    const name = HEADER_TAG_NAMES[tag] ?? `TAG${tag}`;
    if (CONTAINER_TAGS.has(tag)) {
      rows.push([tag, name, 2, String(declared[tag as 3 | 7 | 9] ?? actual[tag as 3 | 7 | 9])]);
      continue;
    }
    switch (tag) {
      case H.SignerVersion: if (h.signerVersion) rows.push([tag, name, 2, `${h.signerVersion.major}.${h.signerVersion.minor}`]); break;
      case H.SignerName: rows.push([tag, name, strLen(h.signerName), h.signerName]); break;
      case H.SerialNumber: rows.push([tag, name, h.signerSerial.length, toColonHex(h.signerSerial)]); break;
      case H.CaName: rows.push([tag, name, strLen(h.signerIssuer), h.signerIssuer]); break;
      case H.DigestAlgorithm: rows.push([tag, name, 1, `${h.digest} (${(digestName(h.digest) ?? 'unknown').toUpperCase()})`]); break;
      case H.SignatureAlgorithm: rows.push([tag, name, 1, `${h.signatureAlgorithm}${h.signatureAlgorithm === 0 ? ' (RSA)' : ''}`]); break;
      case H.SignatureModulus: rows.push([tag, name, 1, String(h.modulusCode)]); break;
      case H.Signature: rows.push([tag, name, h.signature.length, hexBlock(h.signature)]); break;
      case H.Filename: rows.push([tag, name, strLen(h.filename), h.filename]); break;
      case H.Timestamp: rows.push([tag, name, 4, `${h.timestamp} (${new Date(h.timestamp * 1000).toISOString()})`]); break;
      default: {
        const i = unknown.findIndex((u) => u.tag === tag);
        if (i >= 0) rows.push([tag, name, unknown.splice(i, 1)[0]!.value.length, '(unknown tag)']);
      }
    }
  }
  return rows;
}

function recordRows(r: TrustListRecord, length: number, layout: RecordLayout | undefined, sha1: string | null): Row[] {
  const rows: Row[] = [];
  const unknown = [...(layout?.unknown ?? [])];
  for (const tag of layout?.order ?? CUCM_RECORD_ORDER) {
    const name = RECORD_TAG_NAMES[tag] ?? `TAG${tag}`;
    switch (tag) {
      case R.RecordLength: rows.push([tag, name, 2, String(length)]); break;
      case R.DnsName: if (r.dnsName !== undefined) rows.push([tag, name, strLen(r.dnsName), r.dnsName]); break;
      case R.SubjectName: if (r.subject !== undefined) rows.push([tag, name, strLen(r.subject), r.subject]); break;
      case R.Function: rows.push([tag, name, 2, ROLE_DISPLAY_NAMES[r.role] ?? `unknown role ${r.role}`]); break;
      case R.IssuerName: if (r.issuer !== undefined) rows.push([tag, name, strLen(r.issuer), r.issuer]); break;
      case R.SerialNumber: if (r.serial) rows.push([tag, name, r.serial.length, toColonHex(r.serial)]); break;
      case R.PublicKey: if (r.publicKey) rows.push([tag, name, r.publicKey.length, '']); break;
      case R.Signature: if (r.signature) rows.push([tag, name, r.signature.length, '']); break;
      case R.Certificate:
        if (r.certificate) rows.push([tag, name, r.certificate.length, `${(sha1 ?? '').toUpperCase().replace(/(..)(?!$)/g, '$1 ')} (SHA1 Hash HEX)`]);
        break;
      case R.IpAddress: if (r.ipAddress) rows.push([tag, name, r.ipAddress.length, ipv4String(r.ipAddress)]); break;
      case R.CertificateHash: if (r.certificateHash) rows.push([tag, name, r.certificateHash.length, toColonHex(r.certificateHash)]); break;
      case R.HashAlgorithm: if (r.hashAlgorithm) rows.push([tag, name, r.hashAlgorithm.length, toColonHex(r.hashAlgorithm)]); break;
      default: {
        const i = unknown.findIndex((u) => u.tag === tag);
        if (i >= 0) rows.push([tag, name, unknown.splice(i, 1)[0]!.value.length, '(unknown tag)']);
      }
    }
  }
  return rows;
}

function table(rows: Row[]): string[] {
  const out = ['BYTEPOS TAG                     LENGTH  VALUE', '------- ---                     ------  -----'];
  for (const [tag, name, len, value] of rows) out.push(`${String(tag).padEnd(8)}${name.padEnd(24)}${String(len).padEnd(8)}${value}`);
  return out;
}

/** Renders a decoded trust list like `show itl` / `show ctl`. */
export function renderShowItl(list: TrustList, summary: TrustListSummary): string {
  const kind = summary.kind;
  const out: string[] = [
    `The checksum value of the ${kind} file:`,
    `${summary.md5}(MD5)`,
    `${summary.sha1}(SHA1)`,
    '',
    `Length of ${kind} file: ${summary.size}`,
    `The ${kind} File was last modified on ${javaDate(new Date(summary.timestamp))}`,
    '',
    `Parse ${kind} File`,
    '----------------',
    '',
    `Version:        ${summary.version}`,
    `HeaderLength:   ${summary.headerLength} (BYTES)`,
    '',
    ...table(headerRows(list)),
    '',
  ];
  const signer = summary.verification?.signerRecord ?? null;
  list.records.forEach((r, i) => {
    const s = summary.records[i]!;
    const layout = list.layout?.records[i];
    const length = encodeRecordBytes(r, layout, list.dialect).length;
    out.push(`${kind} Record #:${i + 1}`, '----', ...table(recordRows(r, length, layout, s.certificateSha1)));
    if (r.role === Role.SAST) {
      out.push(`This etoken was ${signer === i + 1 ? '' : 'not '}used to sign the ${kind} file.`);
    }
    out.push('');
  });
  const v = summary.verification;
  if (v) out.push(v.valid ? `The ${kind} file was verified successfully.` : `The ${kind} file could not be verified: ${v.reason}: ${v.message}`);
  for (const w of summary.warnings) out.push(`Warning: ${w}`);
  return out.join('\n') + '\n';
}
