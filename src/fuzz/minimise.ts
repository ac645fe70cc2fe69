/**
 * Delta debugging (Zeller's ddmin) over bytes: the smallest input, by removing chunks, for which
 * `still(input)` holds. Bounded by `maxTests` predicate calls, so a slow predicate cannot stall a
 * run; the result is always an input that still reproduces.
 */
export function minimise(input: Uint8Array, still: (b: Uint8Array) => boolean, maxTests = 2000): Uint8Array {
  let cur = input;
  let n = 2;
  let tests = 0;
  while (cur.length >= 2 && tests < maxTests) {
    const chunk = Math.ceil(cur.length / n);
    let reduced = false;
    for (let i = 0; i < n && tests < maxTests; i++) {
      const start = i * chunk;
      if (start >= cur.length) break;
      const candidate = new Uint8Array(cur.length - Math.min(chunk, cur.length - start));
      candidate.set(cur.subarray(0, start), 0);
      candidate.set(cur.subarray(start + chunk), start);
      tests++;
      if (still(candidate)) {
        cur = candidate;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= cur.length) break;
      n = Math.min(n * 2, cur.length);
    }
  }
  return cur;
}
