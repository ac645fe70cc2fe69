import { decodeTrustList, encodeTrustList, type TrustList } from '../trustlist/index.js';

/**
 * Ways to spoil a trust list a TFTP node serves (SC-22, FMT-3, FMT-6): what a man in the middle,
 * a bad copy or a broken build would hand a phone. Each keeps the file decodable unless the
 * point is that it is not, so the phone's trust rules — not only its parser — are exercised.
 */
export const TAMPERINGS = ['signature', 'digest', 'signer-serial', 'oversize', 'unknown-tag', 'truncate'] as const;
export type Tampering = (typeof TAMPERINGS)[number];

export function tamperTrustList(bytes: Uint8Array, how: Tampering): Uint8Array {
  const list = decodeTrustList(bytes);
  const copy = (l: TrustList): TrustList => ({ ...l, header: { ...l.header }, records: [...l.records] });
  switch (how) {
    case 'signature': {
      // A known signer's name and serial, altered signature bytes.
      const l = copy(list);
      const sig = l.header.signature.slice();
      sig[sig.length >> 1]! ^= 0x5a;
      l.header.signature = sig;
      return encodeTrustList(l);
    }
    case 'digest': {
      const l = copy(list);
      l.header.digest = 7;
      return encodeTrustList(l);
    }
    case 'signer-serial': {
      // The header names a serial no SAST record carries.
      const l = copy(list);
      const serial = l.header.signerSerial.slice();
      serial[serial.length - 1]! ^= 0xff;
      l.header.signerSerial = serial;
      return encodeTrustList(l);
    }
    case 'oversize': {
      // More than 64 KB: the records repeated (FMT-6: the phone cannot load it).
      const l = copy(list);
      const { layout: _layout, ...canonical } = l;
      while (encodeTrustList(canonical).length <= 70_000) canonical.records.push(...list.records);
      return encodeTrustList(canonical);
    }
    case 'unknown-tag': {
      // A record with a tag no firmware knows (FMT-3), the rest intact.
      const l = copy(list);
      if (!l.layout) return bytes;
      const r0 = l.layout.records[0]!;
      l.layout = { ...l.layout, records: [{ order: [...r0.order, 99], unknown: [...r0.unknown, { tag: 99, value: new Uint8Array([1, 2, 3]) }] }, ...l.layout.records.slice(1)] };
      return encodeTrustList(l);
    }
    case 'truncate':
      return bytes.subarray(0, Math.floor(bytes.length * 0.6));
  }
}
