import { describe, expect, it } from 'vitest';
import { readSample, SAMPLE } from '../../test/helpers/samples.js';
import { Rng } from './rng.js';
import { cloneElement, flatHeader, joinFile, splitFile, type Element, type FileView } from './tlv-view.js';

/**
 * The fuzzer's element view writes each file once into an exactly-sized buffer (issue 17 §5).
 * These tests hold it to a plain reference writer that concatenates element by element, over the
 * real samples and thousands of random edits of the kind the mutators make.
 */
function refElements(els: readonly Element[]): number[] {
  const out: number[] = [];
  for (const e of els) {
    if (e.tag === 13 && !e.children && e.value.length === 0) {
      out.push(13);
      continue;
    }
    const body = e.children ? refElements(e.children) : [...e.value];
    const len = e.lengthOverride ?? body.length;
    out.push(e.tag & 0xff, (len >> 8) & 0xff, len & 0xff, ...body);
  }
  return out;
}

function refJoin(v: FileView, keepLengths: boolean): Uint8Array {
  if (!keepLengths) {
    const hl = v.header.find((e) => e.tag === 2);
    if (hl && !hl.lengthOverride) {
      const n = refElements(v.header).length;
      hl.value = new Uint8Array([(n >> 8) & 0xff, n & 0xff]);
    }
  }
  const out = [...refElements(v.header)];
  for (const r of v.records) {
    const body = refElements(r.slice(1));
    if (r[0]?.tag === 1 && !keepLengths && !r[0].lengthOverride) out.push(1, 0, 2, ((5 + body.length) >> 8) & 0xff, (5 + body.length) & 0xff);
    else if (r[0]) out.push(...refElements([r[0]]));
    out.push(...body);
  }
  out.push(...v.tail);
  return new Uint8Array(out);
}

const cloneView = (v: FileView): FileView => ({ header: v.header.map(cloneElement), records: v.records.map((r) => r.map(cloneElement)), tail: v.tail });

describe('fuzz element view', () => {
  const samples = [readSample(SAMPLE.certutilsItl), readSample(SAMPLE.cucmCtl)];

  it('splits and joins the real samples back to the same bytes, with and without recomputed lengths', () => {
    for (const b of samples) {
      const v = splitFile(b, 'list');
      expect(v, 'the lenient walk reads the sample').toBeDefined();
      expect(v!.records.length).toBeGreaterThan(0);
      expect(Buffer.from(joinFile(cloneView(v!), true)).equals(Buffer.from(b))).toBe(true);
      expect(Buffer.from(joinFile(cloneView(v!))).equals(Buffer.from(b))).toBe(true);
    }
  });

  it('writes what the plain reference writer writes, for random edits of the samples', () => {
    const rng = new Rng('tlv-view');
    for (let i = 0; i < 3000; i++) {
      const v = splitFile(samples[i % samples.length]!, 'list')!;
      for (let k = 1 + rng.int(4); k > 0; k--) {
        const els = [...flatHeader(v.header), ...v.records.flat()];
        const e = rng.pick(els);
        switch (rng.int(5)) {
          case 0: e.lengthOverride = rng.int(0x10000); break;
          case 1: { const r = rng.pick(v.records); if (r.length) r.splice(rng.int(r.length), 1); break; }
          case 2: { const r = rng.pick(v.records); r.splice(rng.int(r.length + 1), 0, { tag: rng.int(256), value: rng.bytes(rng.int(9)) }); break; }
          case 3: v.header.splice(rng.int(v.header.length + 1), 0, { tag: 13, value: new Uint8Array(0) }); break;
          default: e.value = rng.bytes(rng.int(5));
        }
      }
      const keep = rng.chance(0.5);
      const expected = refJoin(cloneView(v), keep);
      expect(Buffer.from(joinFile(v, keep)).equals(Buffer.from(expected)), `edit ${i}`).toBe(true);
    }
  });

  it('clones elements so that a change to the copy leaves the original alone', () => {
    const v = splitFile(samples[0]!, 'list')!;
    const container = v.header.find((e) => e.children)!;
    const copy = cloneElement(container);
    copy.children![0]!.lengthOverride = 7;
    copy.children!.pop();
    expect(container.children![0]!.lengthOverride).toBeUndefined();
    expect(container.children!.length).toBe(copy.children!.length + 1);
  });
});
