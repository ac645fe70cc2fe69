import { decodeTrustList, encodeTrustList, encodeTrustListWithOffsets, signedBytes, signTrustList, type TrustList } from '../trustlist/index.js';
import { stripLeadingZeros, type CertificateInfo } from '../pki/index.js';
import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import type { Rng } from './rng.js';
import { cloneElement, flatHeader, joinFile, splitFile, type Element, type FileView } from './tlv-view.js';

/**
 * Mutators (issue 8): structure-aware ones on the element view (tlv-view.ts), semantic ones on
 * the decoded model (re-encoded, and re-signed where the point is a valid signature by the wrong
 * key), and byte-level flips and splices. Each takes the input and returns a new buffer; none
 * mutates its input. A mutator that does not apply returns undefined and the engine picks another.
 */
export interface MutationContext {
  rng: Rng;
  /** Other inputs, for splices. */
  corpus: readonly Uint8Array[];
  /** Keys that are nobody's trusted signer, with certificates, for re-signing. */
  rogue: ReadonlyArray<{ certificate: CertificateInfo; privateKey: KeyObject }>;
  /** Certificates forged to copy a trusted signer's subject, issuer and serial, with their keys. */
  forged: ReadonlyArray<{ certificate: CertificateInfo; privateKey: KeyObject }>;
  kind: 'list' | 'sgn';
}

export type Mutator = (input: Uint8Array, m: MutationContext) => Uint8Array | undefined;

const viewOf = (b: Uint8Array, m: MutationContext): FileView | undefined => splitFile(b, m.kind);
/**
 * Decoded models of inputs, by identity: the corpus entries are picked again and again, and
 * decoding one is a third of a semantic mutation (issue 17 §5). Each caller gets its own copy of
 * the header, the record list and each record, which is all a mutator changes (it replaces
 * fields and arrays, and never writes into a byte array it did not copy).
 */
const models = new WeakMap<Uint8Array, TrustList | null>();
const modelOf = (b: Uint8Array): TrustList | undefined => {
  let l = models.get(b);
  if (l === undefined) {
    try {
      l = decodeTrustList(b);
    } catch {
      l = null;
    }
    models.set(b, l);
  }
  return l ? { ...l, header: { ...l.header }, records: l.records.map((r) => ({ ...r })) } : undefined;
};

/** All elements a structural mutation may touch: header elements (with children) and record elements. */
function allElements(v: FileView): Element[] {
  return [...flatHeader(v.header), ...v.records.flat()];
}

function pickList(v: FileView, m: MutationContext): Element[] | undefined {
  const lists: Element[][] = [v.header, ...v.header.filter((e) => e.children).map((e) => e.children!), ...v.records];
  const nonEmpty = lists.filter((l) => l.length > 0);
  return nonEmpty.length ? m.rng.pick(nonEmpty) : undefined;
}

const structural: Record<string, Mutator> = {
  'swap-elements': (b, m) => {
    const v = viewOf(b, m);
    const l = v && pickList(v, m);
    if (!v || !l || l.length < 2) return undefined;
    const i = m.rng.int(l.length);
    const j = m.rng.int(l.length);
    [l[i], l[j]] = [l[j]!, l[i]!];
    return joinFile(v, m.rng.chance(0.5));
  },
  'duplicate-element': (b, m) => {
    const v = viewOf(b, m);
    const l = v && pickList(v, m);
    if (!v || !l?.length) return undefined;
    const i = m.rng.int(l.length);
    l.splice(i, 0, cloneElement(l[i]!));
    return joinFile(v);
  },
  'delete-element': (b, m) => {
    const v = viewOf(b, m);
    const l = v && pickList(v, m);
    if (!v || !l?.length) return undefined;
    l.splice(m.rng.int(l.length), 1);
    return joinFile(v);
  },
  'reorder-records': (b, m) => {
    const v = viewOf(b, m);
    if (!v || v.records.length < 2) return undefined;
    v.records.reverse();
    return joinFile(v);
  },
  'length-off-by-one': (b, m) => {
    const v = viewOf(b, m);
    if (!v) return undefined;
    const els = allElements(v).filter((e) => e.tag !== 13);
    if (!els.length) return undefined;
    const e = m.rng.pick(els);
    const len = e.children ? joinFile({ header: e.children, records: [], tail: new Uint8Array(0) }, true).length : e.value.length;
    e.lengthOverride = Math.max(0, len + (m.rng.chance(0.5) ? 1 : -1));
    return joinFile(v, true);
  },
  'length-zero-or-huge': (b, m) => {
    const v = viewOf(b, m);
    if (!v) return undefined;
    const els = allElements(v).filter((e) => e.tag !== 13);
    if (!els.length) return undefined;
    m.rng.pick(els).lengthOverride = m.rng.chance(0.5) ? 0 : 0xffff - m.rng.int(16);
    return joinFile(v, true);
  },
  'container-length-mismatch': (b, m) => {
    const v = viewOf(b, m);
    const cs = v && flatHeader(v.header).filter((e) => e.children);
    if (!v || !cs?.length) return undefined;
    const c = m.rng.pick(cs);
    c.lengthOverride = m.rng.int(64);
    return joinFile(v, true);
  },
  'header-length': (b, m) => {
    const v = viewOf(b, m);
    const hl = v?.header.find((e) => e.tag === 2);
    if (!v || !hl) return undefined;
    const cur = (hl.value[0]! << 8) | hl.value[1]!;
    const next = m.rng.pick([cur + 1, cur - 1, cur + 4, cur - 4, 0, 0xffff, cur + m.rng.int(300) - 150]);
    hl.value = new Uint8Array([(next >> 8) & 0xff, next & 0xff]);
    return joinFile(v, true);
  },
  'break-padding': (b, m) => {
    const v = viewOf(b, m);
    if (!v) return undefined;
    const pads = v.header.filter((e) => e.tag === 13);
    if (pads.length && m.rng.chance(0.5)) v.header.splice(v.header.indexOf(m.rng.pick(pads)), 1);
    else v.header.splice(m.rng.int(v.header.length + 1), 0, { tag: 13, value: new Uint8Array(0) });
    return joinFile(v, m.rng.chance(0.5));
  },
  'unknown-tag': (b, m) => {
    const v = viewOf(b, m);
    const l = v && pickList(v, m);
    if (!v || !l) return undefined;
    l.splice(m.rng.int(l.length + 1), 0, { tag: m.rng.pick([0, 16, 28, 29, 99, 200, 255]), value: m.rng.bytes(m.rng.int(8)) });
    return joinFile(v);
  },
};

/** Decode, change, encode; `resign` re-signs with a rogue key so the signature is valid but untrusted. */
function semantic(change: (l: TrustList, m: MutationContext) => boolean | void): Mutator {
  return (b, m) => {
    const l = modelOf(b);
    if (!l) return undefined;
    if (change(l, m) === false) return undefined;
    try {
      return encodeTrustList(l);
    } catch {
      return undefined;
    }
  };
}

const dropLayout = (l: TrustList): void => {
  delete l.layout;
};

const semanticMutators: Record<string, Mutator> = {
  'signer-serial': semantic((l, m) => {
    const s = l.header.signerSerial.slice();
    if (!s.length) return false;
    s[m.rng.int(s.length)]! ^= 1 << m.rng.int(8);
    l.header.signerSerial = s;
    return true;
  }),
  'signer-name': semantic((l, m) => {
    l.header.signerName = m.rng.chance(0.5) ? `${l.header.signerName}X` : 'CN=attacker;OU=x;O=x;L=x;ST=x;C=US';
  }),
  'signer-issuer': semantic((l) => {
    l.header.signerIssuer = `${l.header.signerIssuer.slice(0, -1)}Z`;
  }),
  'record-role': semantic((l, m) => {
    if (!l.records.length) return false;
    const r = l.records[m.rng.int(l.records.length)]!;
    r.role = m.rng.pick([0, 1, 2, 3, 4, 7, 21, 5, 99]);
    return true;
  }),
  'digest-id': semantic((l, m) => {
    l.header.digest = m.rng.pick([0, 2, 4, 7, 255, l.header.digest === 1 ? 3 : 1]);
  }),
  'modulus-code': semantic((l, m) => {
    l.header.modulusCode = m.rng.pick([0, 1, 2, 3, 4, 255].filter((x) => x !== l.header.modulusCode));
  }),
  'signature-bits': semantic((l, m) => {
    const s = l.header.signature.slice();
    if (!s.length) return false;
    for (let i = 1 + m.rng.int(3); i > 0; i--) s[m.rng.int(s.length)]! ^= 1 << m.rng.int(8);
    l.header.signature = s;
    return true;
  }),
  'truncate-signature': semantic((l, m) => {
    l.header.signature = l.header.signature.slice(0, m.rng.int(l.header.signature.length));
  }),
  'dialect-switch': semantic((l) => {
    const to = l.dialect === 'certutils' || l.layout?.header.order.includes(28) ? 'cucm' : 'certutils';
    dropLayout(l);
    l.dialect = to;
  }),
  'grow-records': semantic((l, m) => {
    if (!l.records.length) return false;
    dropLayout(l);
    const target = m.rng.chance(0.5) ? 40 : 64;
    // Shallow copies: nothing changes a record after this, and the encoder only reads its bytes.
    while (l.records.length < target) l.records.push({ ...l.records[m.rng.int(l.records.length)]! });
    return true;
  }),
  /** A valid signature by a key nobody trusts, header naming the rogue signer. */
  'sign-with-other-key': (b, m) => resign(b, m, m.rogue, (l, signer) => {
    const c = signer.certificate;
    l.header = { ...l.header, ...namedBy(c), modulusCode: c.keyBits === 1024 ? 1 : c.keyBits === 4096 ? 3 : 2, digest: l.header.digest === 3 ? 3 : 1 };
    if (m.rng.chance(0.5)) l.records = [sastRecord(c), ...l.records];
    return signTrustList(l, signer.privateKey);
  }),
  /**
   * Signed by a rogue key whose SAST record the file carries, under a digest id no phone supports
   * while the signature is a valid SHA-1 one over those bytes: only a verifier that ignores the
   * digest id takes it (on first use).
   */
  'mislabelled-digest': (b, m) => resign(b, m, m.rogue, (l, signer) => {
    l.header = { ...l.header, ...namedBy(signer.certificate), modulusCode: 2 };
    l.records = [sastRecord(signer.certificate), ...l.records];
    return signMislabelled(l, signer.privateKey, m.rng.pick([0, 4, 7, 255]));
  }),
  /**
   * The forgery a phone must refuse: the header names the trusted signer's serial and issuer, the
   * file's SAST record carries a look-alike certificate with the attacker's key, and the file is
   * validly signed by that key.
   */
  'duplicate-sast-other-key': (b, m) => resign(b, m, m.forged, (l, f) => {
    const rec = sastRecord(f.certificate);
    l.records = m.rng.chance(0.5) ? [rec, ...l.records] : [...l.records, rec];
    return signTrustList(l, f.privateKey);
  }),
};

type SigningKey = { certificate: CertificateInfo; privateKey: KeyObject };

/** Decodes, picks a signer, lets `change` rewrite and sign (canonical layout); undefined if anything fails. */
function resign(b: Uint8Array, m: MutationContext, signers: readonly SigningKey[], change: (l: TrustList, s: SigningKey) => Uint8Array): Uint8Array | undefined {
  const l = modelOf(b);
  if (!l || !signers.length) return undefined;
  const signer = m.rng.pick(signers);
  dropLayout(l);
  try {
    return change(l, signer);
  } catch {
    return undefined;
  }
}

const namedBy = (c: CertificateInfo) => ({ signerName: c.subjectCucm, signerIssuer: c.issuerCucm, signerSerial: stripLeadingZeros(c.serial) });
const sastRecord = (c: CertificateInfo) => ({ role: 0, certificate: c.der, serial: stripLeadingZeros(c.serial) });

/** A SHA-1 signature over a file whose header names digest id `digest`. */
function signMislabelled(l: TrustList, key: KeyObject, digest: number): Uint8Array {
  const len = (key.asymmetricKeyDetails?.modulusLength ?? 2048) / 8;
  const enc = encodeTrustListWithOffsets({ ...l, header: { ...l.header, digest, signature: new Uint8Array(len) } });
  const sig = cryptoSign('sha1', signedBytes(enc.bytes, enc.signatureOffset, len), key);
  const out = enc.bytes.slice();
  out.set(sig, enc.signatureOffset + 3);
  return out;
}

const bytes: Record<string, Mutator> = {
  'bit-flip': (b, m) => {
    if (!b.length) return undefined;
    const out = b.slice();
    for (let i = 1 + m.rng.int(4); i > 0; i--) out[m.rng.int(out.length)]! ^= 1 << m.rng.int(8);
    return out;
  },
  'byte-set': (b, m) => {
    if (!b.length) return undefined;
    const out = b.slice();
    out[m.rng.int(out.length)] = m.rng.pick([0, 1, 0x7f, 0x80, 0xff, 13]);
    return out;
  },
  truncate: (b, m) => (b.length > 1 ? b.slice(0, m.rng.int(b.length)) : undefined),
  'splice': (b, m) => {
    if (!m.corpus.length) return undefined;
    const other = m.rng.pick(m.corpus);
    const cut = m.rng.int(b.length + 1);
    const from = m.rng.int(other.length + 1);
    const out = new Uint8Array(cut + other.length - from);
    out.set(b.subarray(0, cut), 0);
    out.set(other.subarray(from), cut);
    return out;
  },
  'insert-bytes': (b, m) => {
    const at = m.rng.int(b.length + 1);
    const ins = m.rng.bytes(1 + m.rng.int(16));
    const out = new Uint8Array(b.length + ins.length);
    out.set(b.subarray(0, at), 0);
    out.set(ins, at);
    out.set(b.subarray(at), at + ins.length);
    return out;
  },
};

export const MUTATORS: Readonly<Record<string, Mutator>> = { ...structural, ...semanticMutators, ...bytes };
export const MUTATOR_GROUPS = { structural: Object.keys(structural), semantic: Object.keys(semanticMutators), bytes: Object.keys(bytes) } as const;

/** Mutators that apply to a signed file (.sgn has a payload, not records). */
export const SGN_MUTATORS: readonly string[] = [...Object.keys(structural).filter((k) => k !== 'reorder-records'), 'bit-flip', 'byte-set', 'truncate', 'splice', 'insert-bytes'];

/** Applies 1–3 mutators in a row; returns the result and their names. */
export function mutate(input: Uint8Array, m: MutationContext, names: readonly string[]): { bytes: Uint8Array; applied: string[] } {
  let cur = input;
  const applied: string[] = [];
  const rounds = 1 + (m.rng.chance(0.3) ? m.rng.int(3) : 0);
  for (let i = 0, tries = 0; i < rounds && tries < 12; tries++) {
    const name = m.rng.pick(names);
    const out = MUTATORS[name]!(cur, m);
    if (!out) continue;
    cur = out;
    applied.push(name);
    i++;
  }
  return { bytes: cur, applied };
}
