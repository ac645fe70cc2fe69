/** Lowercase hex without separators, the form `--json` output uses for serials and hashes. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Colon-separated uppercase hex, the form CUCM's `show itl`/`show ctl` prints serials in. */
export function toColonHex(b: Uint8Array): string {
  const parts: string[] = [];
  for (const x of b) parts.push(x.toString(16).toUpperCase().padStart(2, '0'));
  return parts.join(':');
}

/** Parses hex, tolerating `:` and whitespace separators. Returns `undefined` if not hex. */
export function fromHex(s: string): Uint8Array | undefined {
  const clean = s.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return undefined;
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

/** Byte-wise equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `a` followed by `b`, in a new array (stream framers keep their unread tail this way). */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
