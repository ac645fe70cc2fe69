import type { Name } from '@peculiar/asn1-x509';

/**
 * Distinguished names as the trust-list formats print them (formats.md §1.6).
 *
 * - CUCM: `CN=<cn>;OU=<ou>;O=<o>;L=<l>;ST=<st>;C=<c>`, semicolon-separated, in that fixed
 *   order whatever the certificate's own DN order (gigantic CTL: certificates with DN order
 *   C,O,OU,CN,ST,L still print CN first). Absent attributes are left out; other attributes are
 *   not printed; a repeated attribute (two OUs) prints once per value, in DN order
 *   (docs/decisions/003-name-strings.md).
 * - certutils: the same six attribute types in certificate order, joined with `,`
 *   (csp ITL: `CN=SAST,O=SAST,OU=SAST`), with RFC 4514 escaping.
 */

export const NAME_OIDS = {
  CN: '2.5.4.3',
  OU: '2.5.4.11',
  O: '2.5.4.10',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  C: '2.5.4.6',
} as const;
type ShortName = keyof typeof NAME_OIDS;

const CUCM_ORDER: readonly ShortName[] = ['CN', 'OU', 'O', 'L', 'ST', 'C'];
const SHORT_BY_OID = new Map<string, ShortName>(Object.entries(NAME_OIDS).map(([k, v]) => [v, k as ShortName]));

/** A DN as `[type, value]` pairs in certificate order (all attribute types, OIDs for unknown ones). */
export type DnPairs = ReadonlyArray<readonly [string, string]>;

/** Flattens an ASN.1 Name into ordered pairs, using short names for the six known types. */
export function dnPairs(name: Name): DnPairs {
  const out: Array<[string, string]> = [];
  for (const rdn of name) {
    for (const atv of rdn) out.push([SHORT_BY_OID.get(atv.type) ?? atv.type, atv.value.toString()]);
  }
  return out;
}

/** CUCM name string: `CN=..;OU=..;O=..;L=..;ST=..;C=..`. */
export function cucmName(pairs: DnPairs): string {
  const parts: string[] = [];
  for (const key of CUCM_ORDER) for (const [k, v] of pairs) if (k === key) parts.push(`${k}=${v}`);
  return parts.join(';');
}

/** certutils name string: known attributes in certificate order, comma-joined, RFC 4514 escaped. */
export function certutilsName(pairs: DnPairs): string {
  return pairs
    .filter(([k]) => (CUCM_ORDER as readonly string[]).includes(k))
    .map(([k, v]) => `${k}=${escape4514(v)}`)
    .join(',');
}

function escape4514(v: string): string {
  let s = v.replace(/([\\",+;<>])/g, '\\$1');
  if (s.startsWith('#') || s.startsWith(' ')) s = `\\${s}`;
  if (s.endsWith(' ') && s.length > 1) s = `${s.slice(0, -1)}\\ `;
  return s;
}

/**
 * Compares two name strings across the CUCM, certutils and eToken spellings: attribute order,
 * separators (`;` or `,`), case of attribute types, quotes and padding spaces are ignored.
 */
export function sameName(a: string, b: string): boolean {
  return a === b || normalizeName(a) === normalizeName(b);
}

function normalizeName(s: string): string {
  const parts = s
    .split(/(?<!\\)[;,]/)
    .map((p) => {
      const eq = p.indexOf('=');
      if (eq < 0) return p.trim().toLowerCase();
      const key = p.slice(0, eq).trim().toUpperCase();
      const value = p.slice(eq + 1).trim().replace(/^"|"$/g, '').replace(/\\(.)/g, '$1').trim();
      return `${key}=${value}`;
    })
    .filter((p) => p.length > 0);
  return parts.sort().join('\u0000');
}
