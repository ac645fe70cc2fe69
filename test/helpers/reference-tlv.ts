import { createPublicKey, verify, X509Certificate } from 'node:crypto';

/**
 * An independent reading of formats.md §1–2, written for tests without any production code:
 * a deliberately plain walk over the bytes, used to check what our builders write. It checks
 * the CUCM layout strictly (tag order, container lengths, padding, record tag order) and
 * verifies the signature with `node:crypto` directly.
 */
export interface ReferenceReport {
  headerTags: number[];
  headerLength: number;
  containers: Record<number, number>;
  digestId: number;
  modulusCode: number;
  serialHex: string;
  filename: string;
  records: Array<{ tags: number[]; role: number; serialHex: string; cert?: Buffer }>;
  signatureValid: boolean | undefined;
}

const HASH: Record<number, string> = { 1: 'sha1', 2: 'sha256', 3: 'sha512' };

export function referenceParse(file: Uint8Array, signerCertPem?: string, recordsFollow = true): ReferenceReport {
  const b = Buffer.from(file);
  let p = 0;
  const headerTags: number[] = [];
  const containers: Record<number, number> = {};
  const vals = new Map<number, Buffer>();
  let sigAt = -1;
  if (b[0] !== 1 || b.readUInt16BE(1) !== 2) throw new Error('no version tag');
  const headerLength = b.readUInt16BE(8);
  while (p < headerLength) {
    const tag = b[p]!;
    headerTags.push(tag);
    if (tag === 13) {
      p += 1;
      continue;
    }
    const len = b.readUInt16BE(p + 1);
    if (tag === 3 || tag === 7 || tag === 9) {
      containers[tag] = len;
      p += 3;
      continue;
    }
    if (tag === 12) sigAt = p;
    vals.set(tag, b.subarray(p + 3, p + 3 + len));
    p += 3 + len;
  }
  if (p !== headerLength) throw new Error(`header walk ended at ${p}, header length ${headerLength}`);
  const sig = vals.get(12)!;
  const records: ReferenceReport['records'] = [];
  while (recordsFollow && p < b.length) {
    const start = p;
    const recLen = b.readUInt16BE(p + 3);
    p += 5;
    const tags = [1];
    let role = -1;
    let serialHex = '';
    let cert: Buffer | undefined;
    while (p < start + recLen) {
      const tag = b[p]!;
      const len = b.readUInt16BE(p + 1);
      const v = b.subarray(p + 3, p + 3 + len);
      tags.push(tag);
      if (tag === 4) role = v.readUInt16BE(0);
      if (tag === 6) serialHex = v.toString('hex');
      if (tag === 9) cert = Buffer.from(v);
      p += 3 + len;
    }
    if (p !== start + recLen) throw new Error(`record at ${start} overruns its length`);
    records.push({ tags, role, serialHex, ...(cert ? { cert } : {}) });
  }
  const serialHex = vals.get(5)!.toString('hex');
  const signed = Buffer.concat([b.subarray(0, sigAt), b.subarray(sigAt + 3 + sig.length)]);
  let key;
  if (signerCertPem) key = createPublicKey(signerCertPem);
  else {
    const sast = records.find((r) => r.role === 0 && r.serialHex === serialHex && r.cert);
    if (sast) key = new X509Certificate(sast.cert!).publicKey;
  }
  return {
    headerTags,
    headerLength,
    containers,
    digestId: vals.get(8)![0]!,
    modulusCode: vals.get(11)![0]!,
    serialHex,
    filename: vals.get(14)!.subarray(0, -1).toString('utf8'),
    records,
    signatureValid: key ? verify(HASH[vals.get(8)![0]!]!, signed, key, sig) : undefined,
  };
}
