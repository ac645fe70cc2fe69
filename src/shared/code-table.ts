/**
 * Protocol code tables, both ways (conventions.md §2: "tags.ts maps numbers to names both
 * ways"). A table is declared once, as `{ Name: code }`; its wire or display names are derived
 * from the keys with a spelling rule, plus the few exceptions a protocol really has (Cisco's
 * `DIGESTALGORTITHM`), and looked up with a fallback for codes nobody has named.
 */
export type CodeNames = Readonly<Record<number, string>>;

/** `AuthReq` → `AUTH_REQ`, `Sha2SignedData` → `SHA2_SIGNED_DATA`. */
export const screamingSnake = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** `HeaderLength` → `HEADERLENGTH` (Cisco's `show ctl` spelling). */
export const upperJoined = (key: string): string => key.toUpperCase();

/** The names of a table's codes: `spell(key)`, unless `exceptions` spells it otherwise. */
export function codeNames<T extends Record<string, number>>(codes: T, spell: (key: string) => string = (k) => k, exceptions: Partial<Record<keyof T & string, string>> = {}): CodeNames {
  const out: Record<number, string> = {};
  for (const [k, v] of Object.entries(codes)) out[v] = (exceptions as Record<string, string>)[k] ?? spell(k);
  return Object.freeze(out);
}

/** The name of `code`, or `fallback(code)` for one the table does not have. */
export function nameOf(names: CodeNames, code: number, fallback: (code: number) => string): string {
  return names[code] ?? fallback(code);
}

/** The code a name stands for (case-insensitive), if any. */
export function codeOf(names: CodeNames, name: string): number | undefined {
  const upper = name.trim().toUpperCase();
  for (const [code, n] of Object.entries(names)) if (n.toUpperCase() === upper) return Number(code);
  return undefined;
}
