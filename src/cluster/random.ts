import { createHash, randomBytes } from 'node:crypto';

/**
 * Randomness for serial numbers and CN suffixes. Unseeded it is `crypto.randomBytes`; with a
 * seed it is SHA-256 in counter mode, so a scenario run from the same seed mints the same
 * serials (issue 7: "deterministic for a given seed"). The counter is saved with the lab.
 */
export class LabRandom {
  #counter: number;

  constructor(readonly seed: string | undefined, counter = 0) {
    this.#counter = counter;
  }

  get counter(): number {
    return this.#counter;
  }

  /** Moves the counter at least to `counter` (saved by another process of the same lab). */
  catchUp(counter: number): void {
    if (counter > this.#counter) this.#counter = counter;
  }

  bytes(n: number): Uint8Array {
    if (this.seed === undefined) return new Uint8Array(randomBytes(n));
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const block = createHash('sha256').update(this.seed).update(String(this.#counter++)).digest();
      out.set(block.subarray(0, Math.min(block.length, n - filled)), filled);
      filled += block.length;
    }
    return out;
  }
}
