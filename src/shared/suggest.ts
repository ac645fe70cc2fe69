/**
 * Did-you-mean for a word among known names (scenario keys and values, admin CLI commands): the
 * nearest by edit distance when it is close enough to be a slip, else the list.
 */

/** "did you mean X?" for the closest name within an edit distance of 3, else the list. */
export function suggestion(word: string, names: readonly string[]): string | undefined {
  const best = closest(word, names);
  if (best !== undefined) return `did you mean "${best}"?`;
  return names.length ? `expected one of: ${names.join(', ')}` : undefined;
}

/** The name `word` is a slip for (within an edit distance of 3, at most half its length), if any. */
export function closest(word: string, names: readonly string[]): string | undefined {
  const best = nearest(word, names);
  return best && best.distance <= Math.max(1, Math.min(3, Math.floor(best.name.length / 2))) ? best.name : undefined;
}

/** Levenshtein edit distance. */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** The closest of `names` to `word`, and its edit distance (case-insensitive). */
function nearest(word: string, names: readonly string[]): { name: string; distance: number } | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const n of names) {
    const d = distance(word.toLowerCase(), n.toLowerCase());
    if (!best || d < best.distance) best = { name: n, distance: d };
  }
  return best;
}
