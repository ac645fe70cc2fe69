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
      into.push({ tag, value: b.slice(at, at + len) });
      if (tag === 2 && len === 2) headerLength = (b[at]! << 8) | b[at + 1]!;
      at += len;
      if (headerLength > 0 && into === header && at >= headerLength) break;
    }
    return true;
  };
  if (!readHeader(b.length, header) || headerLength < 0 || headerLength > b.length) return undefined;
  at = headerLength;
  const records: Element[][] = [];
  if (kind === 'sgn') return { header, records, tail: b.slice(at) };
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
      rec.push({ tag, value: b.slice(p + 3, p + 3 + len) });
      p += 3 + len;
    }
    if (!ok) break;
    records.push(rec);
    at = end;
  }
  return { header, records, tail: b.slice(at) };
}

/** A growable byte buffer (no argument-spreading of large arrays). */
class Sink {
  buf = new Uint8Array(1024);
  length = 0;

  #room(n: number): void {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
  }

  push(bytes: Uint8Array): void {
    this.#room(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** One byte, or a tag and a 16-bit length, without building an array for them. */
  byte(v: number): void {
    this.#room(1);
    this.buf[this.length++] = v & 0xff;
  }

  tagLength(tag: number, len: number): void {
    this.#room(3);
    this.buf[this.length] = tag & 0xff;
    this.buf[this.length + 1] = (len >> 8) & 0xff;
    this.buf[this.length + 2] = len & 0xff;
    this.length += 3;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function writeElements(els: Element[], out: Sink): void {
  for (const e of els) {
    if (e.tag === 13 && !e.children && e.value.length === 0) {
      out.byte(13);
      continue;
    }
    let body: Uint8Array;
    if (e.children) {
      const inner = new Sink();
      writeElements(e.children, inner);
      body = inner.bytes();
    } else body = e.value;
    const len = e.lengthOverride ?? body.length;
    out.tagLength(e.tag, len);
    out.push(body);
  }
}

/**
 * Writes the view back. Record lengths (tag 1) and the header length (tag 2) are recomputed
 * unless `keepLengths` (so a mutation of those fields survives), and padding is not re-added:
 * what the mutator did is what gets written.
 */
export function joinFile(v: FileView, keepLengths = false): Uint8Array {
  const records = new Sink();
  for (const r of v.records) {
    const body = new Sink();
    writeElements(r.slice(1), body);
    const first = r[0];
    if (first && first.tag === 1 && !keepLengths && !first.lengthOverride) {
      const total = 5 + body.length;
      records.tagLength(1, 2);
      records.byte(total >> 8);
      records.byte(total);
    } else if (first) writeElements([first], records);
    records.push(body.bytes());
  }
  let header = new Sink();
  writeElements(v.header, header);
  if (!keepLengths) {
    const hl = v.header.find((e) => e.tag === 2);
    if (hl && !hl.lengthOverride) {
      hl.value = new Uint8Array([(header.length >> 8) & 0xff, header.length & 0xff]);
      header = new Sink();
      writeElements(v.header, header);
    }
  }
  const out = new Sink();
  out.push(header.bytes());
  out.push(records.bytes());
  out.push(v.tail);
  return out.bytes();
}

/** Every header element, containers' children included, in order. */
export function flatHeader(els: Element[]): Element[] {
  return els.flatMap((e) => (e.children ? [e, ...flatHeader(e.children)] : [e]));
}
