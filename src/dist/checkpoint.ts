import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import type { Flash, PhoneState } from '../../phones/index.js';
import type { PhoneCheckpoint, ShardCheckpoint } from './protocol.js';

/**
 * A shard's checkpoint as stored (decision 029). Phones of one cluster hold the same ITL, CTL and
 * config text, so each distinct text is kept once, by SHA-256, and phones refer to it; the rest
 * of a phone's machine state (phase, registration, timers, TVS cache, LSC, log) is serialised
 * with v8's structured clone, which keeps its byte arrays as they are. A step that changed
 * nothing for a phone writes nothing for it.
 */
export interface PackedPhone {
  mac: string;
  flash: Omit<Flash, 'itl' | 'ctl' | 'config'> & { itl?: string; ctl?: string; config?: string };
  /** The machine state without its flash, v8-serialised, base64. */
  rest: string;
}

export interface PackedCheckpoint extends Omit<ShardCheckpoint, 'phones'> {
  phones: PackedPhone[];
  /** Distinct file texts by SHA-256 (hex). */
  blobs: Record<string, string>;
}

const FILE_FIELDS = ['itl', 'ctl', 'config'] as const;

export function packCheckpoint(c: ShardCheckpoint, known?: Set<string>): PackedCheckpoint {
  const blobs: Record<string, string> = {};
  const digest = new Map<string, string>();
  const ref = (text: string): string => {
    let h = digest.get(text);
    if (!h) {
      h = createHash('sha256').update(text).digest('hex');
      digest.set(text, h);
      if (!known?.has(h)) blobs[h] = text;
    }
    return h;
  };
  const phones = c.phones.map((p) => {
    const { flash: f, ...rest } = p.state;
    const flash: PackedPhone['flash'] = { ...f };
    for (const k of FILE_FIELDS) if (f[k] !== undefined) flash[k] = ref(f[k]);
    return { mac: p.mac, flash, rest: serialize(rest).toString('base64') };
  });
  return { step: c.step, now: c.now, phones, blobs };
}

/** A packed checkpoint back as machine states by MAC. */
export function unpackCheckpoint(c: PackedCheckpoint): { step: number; now: number; phones: Map<string, PhoneCheckpoint> } {
  const phones = new Map<string, PhoneCheckpoint>();
  for (const p of c.phones) {
    const flash = { ...p.flash } as Flash;
    for (const k of FILE_FIELDS) {
      const h = p.flash[k];
      if (h === undefined) continue;
      const text = c.blobs[h];
      if (text === undefined) throw new Error(`checkpoint of ${p.mac} refers to file ${h.slice(0, 12)}… that it does not hold`);
      flash[k] = text;
    }
    const rest = deserialize(Buffer.from(p.rest, 'base64')) as Omit<PhoneState, 'flash'>;
    phones.set(p.mac, { mac: p.mac, state: { ...rest, flash } });
  }
  return { step: c.step, now: c.now, phones };
}
