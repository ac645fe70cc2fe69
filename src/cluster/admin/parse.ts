import { distance } from '../../shared/suggest.js';
import type { AdminCommand } from './types.js';

/** The longest line the CLI reads (a pasted certificate comes through `paste`, not here). */
export const MAX_LINE_LENGTH = 4096;

/** Words of a line: whitespace-separated, with "double quotes" keeping spaces. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2]!);
  return out;
}

export type ParsedLine =
  | { kind: 'empty' }
  | { kind: 'command'; command: AdminCommand; args: string[] }
  /** The words name a command but its parameters are wrong. */
  | { kind: 'syntax'; command: AdminCommand; message: string }
  /** No emulated command starts with these words; `nearest` is the closest one. */
  | { kind: 'unknown'; nearest: AdminCommand | undefined };

/** The usage line of a command: `show cert list own|trust`. */
export function usageOf(c: AdminCommand): string {
  return [...c.words, ...c.params.map((p) => {
    const v = p.values ? p.values.join('|') : p.name;
    return p.optional ? `[${v}]` : v;
  })].join(' ');
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * Matches a line against the declared commands: the command whose words are the longest prefix
 * of the line (keywords in any case, as CUCM's CLI accepts them), then its parameters, keyword
 * values canonicalised to CUCM's spelling.
 */
export function parseLine(line: string, commands: readonly AdminCommand[]): ParsedLine {
  const tokens = tokenize(line.slice(0, MAX_LINE_LENGTH));
  if (tokens.length === 0) return { kind: 'empty' };
  let best: AdminCommand | undefined;
  for (const c of commands) {
    if (c.words.length <= tokens.length && c.words.every((w, i) => same(w, tokens[i]!)) && (!best || c.words.length > best.words.length)) best = c;
  }
  if (!best) return { kind: 'unknown', nearest: nearestCommand(tokens, commands) };
  const rest = tokens.slice(best.words.length);
  const args: string[] = [];
  for (const p of best.params) {
    if (p.rest) {
      if (rest.length) args.push(rest.splice(0).join(' '));
      else if (!p.optional) return { kind: 'syntax', command: best, message: `missing ${p.name}` };
      continue;
    }
    const t = rest.shift();
    if (t === undefined) {
      if (p.optional) continue;
      return { kind: 'syntax', command: best, message: `missing ${p.values ? p.values.join('|') : p.name}` };
    }
    if (p.values) {
      const v = p.values.find((x) => same(x, t));
      if (!v) return { kind: 'syntax', command: best, message: `"${t}" is not one of ${p.values.join(', ')}` };
      args.push(v);
    } else args.push(t);
  }
  if (rest.length) return { kind: 'syntax', command: best, message: `unexpected "${rest.join(' ')}"` };
  return { kind: 'command', command: best, args };
}

/**
 * The command whose words are nearest to the line's first words: edit distance as a share of the
 * command's length, so that "set cert regenerate" finds `set cert regen`, not the short `help`.
 */
function nearestCommand(tokens: readonly string[], commands: readonly AdminCommand[]): AdminCommand | undefined {
  let best: { c: AdminCommand; d: number } | undefined;
  for (const c of commands) {
    const words = c.words.join(' ');
    const d = distance(tokens.slice(0, c.words.length).join(' ').toLowerCase(), words.toLowerCase()) / words.length;
    if (!best || d < best.d) best = { c, d };
  }
  return best?.c;
}
