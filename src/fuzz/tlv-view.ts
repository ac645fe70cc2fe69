/**
 * A lenient, mutable view of an ITL/CTL/.sgn file as elements (formats.md §1.1–§1.4), for the
 * structure-aware mutators: header elements (containers 3, 7, 9 with their children; tag 13 as a
 * single byte), then records (each a list of elements starting with tag 1) or, for .sgn, the
 * payload. Written for the fuzzer only — it shares nothing with the production codec, and it can
 * write what the codec never would: wrong lengths, containers that disagree with their contents.
 */
export interface Element {
  tag: number;
  value: Uint8Array;
  /** Containers (3, 7, 9) hold children instead of a value. */
  children?: Element[];
  /** Written instead of the true length, when a mutator sets it. */
  lengthOverride?: number;
}

export interface FileView {
  header: Element[];
  records: Element[][];
  /** Bytes after the header that are not records (an .sgn payload, or an unparseable tail). */
  tail: Uint8Array;
}

const CONTAINERS = new Set([3, 7, 9]);

/** Splits a file; undefined when even the lenient walk fails (mutate its bytes instead). */
export function splitFile(b: Uint8Array, kind: 'list' | 'sgn'): FileView | undefined {
  let at = 0;
  const header: Element[] = [];
  let headerLength = -1;
  const readHeader = (end: number, into: Element[]): boolean => {
    while (at < end) {
      const tag = b[at]!;
      if (tag === 13) {
        into.push({ tag, value: new Uint8Array(0) });
        at += 1;
        // Padding can be the header's last byte (the gigantic6 CTL): stop there as after any element.
        if (headerLength > 0 && into === header && at >= headerLength) break;
        continue;
      }
      if (at + 3 > b.length) return false;
      const len = (b[at + 1]! << 8) | b[at + 2]!;
      at += 3;
      if (CONTAINERS.has(tag)) {
        const el: Element = { tag, value: new Uint8Array(0), children: [] };
        if (!readHeader(Math.min(at + len, b.length), el.children!)) return false;
        into.push(el);
        continue;
      }
      if (at + len > b.length) return false;
      into.push({ tag, value: b.subarray(at, at + len) });
      if (tag === 2 && len === 2) headerLength = (b[at]! << 8) | b[at + 1]!;
      at += len;
      if (headerLength > 0 && into === header && at >= headerLength) break;
    }
    return true;
  };
  if (!readHeader(b.length, header) || headerLength < 0 || headerLength > b.length) return undefined;
  at = headerLength;
  const records: Element[][] = [];
  if (kind === 'sgn') return { header, records, tail: b.subarray(at) };
  while (at < b.length) {
    if (b[at] !== 1 || at + 5 > b.length) break;
    const recLen = (b[at + 3]! << 8) | b[at + 4]!;
    if (recLen < 5 || at + recLen > b.length) break;
    const end = at + recLen;
    const rec: Element[] = [];
    let p = at;
    let ok = true;
    while (p < end) {
      if (p + 3 > end) {
        ok = false;
        break;
      }
      const tag = b[p]!;
      const len = (b[p + 1]! << 8) | b[p + 2]!;
      if (p + 3 + len > end) {
        ok = false;
        break;
      }
      rec.push({ tag, value: b.subarray(p + 3, p + 3 + len) });
      p += 3 + len;
    }
    if (!ok) break;
    records.push(rec);
    at = end;
  }
  return { header, records, tail: b.subarray(at) };
}

/**
 * Element lengths, measured before writing so that a file is written once into an exactly-sized
 * buffer (issue 17 §5: the nested growable buffers this replaces were a fifth of the fuzz loop).
 */
function sizeOf(els: readonly Element[], from = 0): number {
  let n = 0;
  for (let i = from; i < els.length; i++) {
    const e = els[i]!;
    n += e.tag === 13 && !e.children && e.value.length === 0 ? 1 : 3 + (e.children ? sizeOf(e.children) : e.value.length);
  }
  return n;
}

/** Writes elements (from index `from`) at `at`; returns the offset after them. */
function writeElements(els: readonly Element[], out: Uint8Array, at: number, from = 0): number {
  for (let i = from; i < els.length; i++) {
    const e = els[i]!;
    if (e.tag === 13 && !e.children && e.value.length === 0) {
      out[at++] = 13;
      continue;
    }
    const bodyLength = e.children ? sizeOf(e.children) : e.value.length;
    const len = e.lengthOverride ?? bodyLength;
    out[at] = e.tag & 0xff;
    out[at + 1] = (len >> 8) & 0xff;
    out[at + 2] = len & 0xff;
    at += 3;
    if (e.children) at = writeElements(e.children, out, at);
    else {
      out.set(e.value, at);
      at += e.value.length;
    }
  }
  return at;
}

/**
 * Writes the view back. Record lengths (tag 1) and the header length (tag 2) are recomputed
 * unless `keepLengths` (so a mutation of those fields survives), and padding is not re-added:
 * what the mutator did is what gets written.
 */
export function joinFile(v: FileView, keepLengths = false): Uint8Array {
  if (!keepLengths) {
    const hl = v.header.find((e) => e.tag === 2);
    if (hl && !hl.lengthOverride) {
      // Measured with the element's value as it stands (two bytes, unless a mutant's was not).
      const length = sizeOf(v.header);
      hl.value = new Uint8Array([(length >> 8) & 0xff, length & 0xff]);
    }
  }
  const recomputed = (r: readonly Element[]): boolean => r[0]?.tag === 1 && !keepLengths && !r[0].lengthOverride;
  // Each record measured once: its body after tag 1 when that length is recomputed, else all of it.
  const sizes = v.records.map((r) => (recomputed(r) ? 5 + sizeOf(r, 1) : sizeOf(r)));
  const headerSize = sizeOf(v.header);
  const out = new Uint8Array(headerSize + sizes.reduce((a, n) => a + n, 0) + v.tail.length);
  let at = writeElements(v.header, out, 0);
  v.records.forEach((r, i) => {
    if (!recomputed(r)) {
      at = writeElements(r, out, at);
      return;
    }
    const length = sizes[i]!;
    out[at] = 1;
    out[at + 1] = 0;
    out[at + 2] = 2;
    out[at + 3] = (length >> 8) & 0xff;
    out[at + 4] = length & 0xff;
    at = writeElements(r, out, at + 5, 1);
  });
  out.set(v.tail, at);
  return out;
}

/** A copy of an element that a mutator may change (values are shared: mutators replace them, never write into them). */
export function cloneElement(e: Element): Element {
  return { tag: e.tag, value: e.value, ...(e.children ? { children: e.children.map(cloneElement) } : {}), ...(e.lengthOverride !== undefined ? { lengthOverride: e.lengthOverride } : {}) };
}

/** Every header element, containers' children included, in order. */
export function flatHeader(els: Element[]): Element[] {
  return els.flatMap((e) => (e.children ? [e, ...flatHeader(e.children)] : [e]));
}
