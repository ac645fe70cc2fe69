import { createHash, verify, X509Certificate, type KeyObject } from 'node:crypto';

/**
 * The fuzzer's independent judge (issue 8): whether a correct phone may accept an ITL, CTL or
 * .sgn, decided directly on node:crypto from formats.md §1.7 and the trust rules of
 * phone-behaviour.md §4–§5 — it shares no code with src/trustlist or phones/, so a bug there
 * cannot hide itself. It is deliberately permissive about everything that does not bear on trust
 * (names, padding, the modulus code, unknown tags): a phone rejecting such a file is a
 * disagreement worth a look, but only accepting a file this judge rejects is a finding.
 *
 * The rule: the signature (RSA PKCS#1 v1.5 with the header's digest, over the file minus the
 * signature element) verifies under a certificate the phone may use for this file —
 * - one it already trusts whose serial the header names (its installed CTL/ITL SAST records,
 *   or TFTP records for a signed config);
 * - on first use only (no trust list held), the file's own SAST record the header names;
 * - one TVS would vouch for (with the right role), carried in the file as that SAST record.
 */
export interface ReferenceContext {
  /** DER certificates the phone trusts to sign this kind of file. */
  trusted: readonly Uint8Array[];
  /** DER certificates TVS vouches for with the needed role. */
  tvs: readonly Uint8Array[];
  /** The phone holds no trust list (trust on first use is allowed). */
  firstUse: boolean;
  /** Largest file accepted (FMT-6: 64 KB for ITLs), if any. */
  maxBytes?: number;
  /** `.sgn`: the file has a payload instead of records. */
  signedFile?: boolean;
}

export interface ReferenceVerdict {
  acceptable: boolean;
  /** How (`trusted`, `first-use`, `tvs`) or why not. */
  why: string;
}

const DIGESTS: Record<number, string> = { 1: 'sha1', 2: 'sha256', 3: 'sha512' };

interface Parsed {
  serial: string;
  digest: number;
  algorithm: number;
  signature: Uint8Array;
  signed: Uint8Array;
  sast: Array<{ serial: string; der: Uint8Array }>;
}

function u16(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

function hex(b: Uint8Array): string {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return Buffer.from(b.subarray(i)).toString('hex').toLowerCase();
}

/** Walks the file as formats.md §1.1–§1.4 describe; undefined when it is not well formed. */
function parse(b: Uint8Array, signedFile: boolean): Parsed | undefined {
  let headerLength = -1;
  const found = new Map<number, Array<{ at: number; len: number }>>();
  let at = 0;
  const walk = (end: number, depth: number): boolean => {
    while (at < end) {
      const tag = b[at]!;
      if (tag === 13) {
        at++;
        continue;
      }
      if (at + 3 > end) return false;
      const len = u16(b, at + 1);
      const start = at + 3;
      if (tag === 3 || tag === 7 || tag === 9) {
        if (depth > 2 || start + len > end) return false;
        at = start;
        if (!walk(start + len, depth + 1)) return false;
        continue;
      }
      if (start + len > end) return false;
      const list = found.get(tag) ?? [];
      list.push({ at, len });
      found.set(tag, list);
      if (tag === 2 && len === 2 && headerLength < 0) headerLength = u16(b, start);
      at = start + len;
      if (depth === 0 && headerLength > 0 && at >= headerLength) return at === headerLength;
    }
    return at === end;
  };
  if (b.length < 10 || b[0] !== 1 || b[5] !== 2) return undefined;
  headerLength = u16(b, 8);
  if (headerLength > b.length || headerLength < 10) return undefined;
  if (!walk(headerLength, 0)) return undefined;
  const one = (tag: number): { at: number; len: number } | undefined => {
    const l = found.get(tag);
    return l && l.length === 1 ? l[0] : undefined;
  };
  const sig = one(12);
  const serial = one(5);
  const digest = one(8);
  const algorithm = one(10);
  if (!sig || !serial || !digest || digest.len !== 1 || (algorithm && algorithm.len !== 1)) return undefined;
  const signature = b.subarray(sig.at + 3, sig.at + 3 + sig.len);
  const signed = new Uint8Array(b.length - 3 - sig.len);
  signed.set(b.subarray(0, sig.at), 0);
  signed.set(b.subarray(sig.at + 3 + sig.len), sig.at);
  const sast: Parsed['sast'] = [];
  if (!signedFile) {
    let p = headerLength;
    while (p < b.length) {
      if (p + 5 > b.length || b[p] !== 1 || u16(b, p + 1) !== 2) return undefined;
      const recLen = u16(b, p + 3);
      const end = p + recLen;
      if (recLen < 5 || end > b.length) return undefined;
      let q = p + 5;
      let role = -1;
      let rserial: Uint8Array | undefined;
      let der: Uint8Array | undefined;
      while (q < end) {
        if (q + 3 > end) return undefined;
        const tag = b[q]!;
        const len = u16(b, q + 1);
        if (q + 3 + len > end) return undefined;
        const v = b.subarray(q + 3, q + 3 + len);
        if (tag === 4 && len === 2) role = u16(v, 0);
        else if (tag === 6) rserial = v;
        else if (tag === 9) der = v;
        q += 3 + len;
      }
      if (role === 0 && der) sast.push({ serial: hex(rserial ?? new Uint8Array(0)), der });
      p = end;
    }
  }
  return {
    serial: hex(b.subarray(serial.at + 3, serial.at + 3 + serial.len)),
    digest: b[digest.at + 3]!,
    algorithm: algorithm ? b[algorithm.at + 3]! : 0,
    signature,
    signed,
    sast,
  };
}

interface Cert {
  serial: string;
  key: KeyObject;
}

const certs = new Map<string, Cert | null>();

/** Serial and RSA key of a DER certificate, or null when it is not one (a mutated record may hold anything). */
function cert(der: Uint8Array): Cert | null {
  const id = createHash('sha256').update(der).digest('hex');
  let c = certs.get(id);
  if (c === undefined) {
    try {
      const x = new X509Certificate(der);
      const key = x.publicKey;
      c = key.asymmetricKeyType === 'rsa' ? { serial: x.serialNumber.toLowerCase().replace(/^0+(?=.)/, ''), key } : null;
    } catch {
      c = null;
    }
    if (certs.size > 4096) certs.clear();
    certs.set(id, c);
  }
  return c;
}

function checks(p: Parsed, der: Uint8Array): boolean {
  const c = cert(der);
  if (!c) return false;
  try {
    return verify(DIGESTS[p.digest]!, p.signed, c.key, p.signature);
  } catch {
    return false;
  }
}

export function referenceRecords(bytes: Uint8Array): Array<{ role: number; der: Uint8Array }> | undefined {
  const out: Array<{ role: number; der: Uint8Array }> = [];
  if (bytes.length < 10 || bytes[0] !== 1 || bytes[5] !== 2) return undefined;
  let p = u16(bytes, 8);
  while (p < bytes.length) {
    if (p + 5 > bytes.length || bytes[p] !== 1) return undefined;
    const end = p + u16(bytes, p + 3);
    if (end <= p || end > bytes.length) return undefined;
    let q = p + 5;
    let role = -1;
    let der: Uint8Array | undefined;
    while (q + 3 <= end) {
      const tag = bytes[q]!;
      const len = u16(bytes, q + 1);
      if (q + 3 + len > end) return undefined;
      if (tag === 4 && len === 2) role = u16(bytes, q + 3);
      if (tag === 9) der = bytes.subarray(q + 3, q + 3 + len);
      q += 3 + len;
    }
    if (der) out.push({ role, der });
    p = end;
  }
  return out;
}

export function referenceVerdict(bytes: Uint8Array, ctx: ReferenceContext): ReferenceVerdict {
  if (ctx.maxBytes !== undefined && bytes.length > ctx.maxBytes) return { acceptable: false, why: `larger than ${ctx.maxBytes} bytes` };
  const p = parse(bytes, Boolean(ctx.signedFile));
  if (!p) return { acceptable: false, why: 'not well formed' };
  if (!DIGESTS[p.digest]) return { acceptable: false, why: `digest id ${p.digest} is not SHA-1, SHA-256 or SHA-512` };
  if (p.algorithm !== 0) return { acceptable: false, why: `signature algorithm ${p.algorithm} is not RSA` };
  for (const der of ctx.trusted) {
    const c = cert(der);
    if (c && c.serial === p.serial && checks(p, der)) return { acceptable: true, why: 'trusted' };
  }
  const named = p.sast.filter((s) => s.serial === p.serial);
  if (ctx.firstUse) {
    for (const s of named) if (checks(p, s.der)) return { acceptable: true, why: 'first-use' };
    return { acceptable: false, why: 'first use, but the file does not verify under the SAST record its header names' };
  }
  const tvs = new Set(ctx.tvs.map((d) => Buffer.from(d).toString('base64')));
  for (const s of named) if (tvs.has(Buffer.from(s.der).toString('base64')) && checks(p, s.der)) return { acceptable: true, why: 'tvs' };
  return { acceptable: false, why: 'no trusted or vouched-for certificate verifies the signature' };
}
