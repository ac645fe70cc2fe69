/**
 * netascii (RFC 1350 §1 and Appendix, after the Telnet NVT of RFC 764): lines end in CR LF
 * and a bare CR is sent as CR NUL. The server converts a file with local (Unix) line ends when
 * the client asks for netascii mode; the client converts back.
 */
const CR = 0x0d;
const LF = 0x0a;

/** Local bytes → netascii: LF → CR LF, CR → CR NUL. */
export function toNetascii(local: Uint8Array): Uint8Array {
  let extra = 0;
  for (const b of local) if (b === LF || b === CR) extra++;
  if (extra === 0) return local;
  const out = new Uint8Array(local.length + extra);
  let j = 0;
  for (const b of local) {
    if (b === LF) {
      out[j++] = CR;
      out[j++] = LF;
    } else if (b === CR) {
      out[j++] = CR;
      out[j++] = 0;
    } else out[j++] = b;
  }
  return out;
}

/**
 * netascii → local bytes: CR LF → LF, CR NUL → CR. A CR followed by anything else (not valid
 * netascii) is kept as it is, so no input is lost.
 */
export function fromNetascii(wire: Uint8Array): Uint8Array {
  if (!wire.includes(CR)) return wire;
  const out = new Uint8Array(wire.length);
  let j = 0;
  for (let i = 0; i < wire.length; i++) {
    const b = wire[i]!;
    const next = wire[i + 1];
    if (b === CR && next === LF) {
      out[j++] = LF;
      i++;
    } else if (b === CR && next === 0) {
      out[j++] = CR;
      i++;
    } else out[j++] = b;
  }
  return out.slice(0, j);
}
