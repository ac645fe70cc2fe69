import { describe, expect, it } from 'vitest';
import { readSample, SAMPLE } from '../../test/helpers/samples.js';
import { MUTATOR_GROUPS, MUTATORS, type MutationContext } from './mutators.js';
import { Rng } from './rng.js';

/**
 * Mutators share decoded models of their inputs (by identity) to save a decode per semantic
 * mutation (issue 17 §5). A mutator must then still be a function of its input and its random
 * draws alone: the same input and seed give the same mutant whatever ran before, and no input
 * is ever changed.
 */
describe('mutators', () => {
  const inputs = [readSample(SAMPLE.certutilsItl), readSample(SAMPLE.cucmCtl)];
  const ctx = (seed: string): MutationContext => ({ rng: new Rng(seed), corpus: inputs, rogue: [], forged: [], kind: 'list' });
  const names = [...MUTATOR_GROUPS.structural, ...MUTATOR_GROUPS.semantic, ...MUTATOR_GROUPS.bytes];

  it('give the same mutant for the same input and seed, whatever ran before, and leave the input alone', () => {
    for (const input of inputs) {
      const before = Buffer.from(input);
      const first = names.map((n) => MUTATORS[n]!(input, ctx(`s/${n}`)));
      expect(first.filter(Boolean).length, 'most mutators apply to a real file').toBeGreaterThan(names.length / 2);
      for (let round = 0; round < 3; round++) for (const n of names) MUTATORS[n]!(input, ctx(`other/${round}/${n}`));
      const again = names.map((n) => MUTATORS[n]!(input, ctx(`s/${n}`)));
      names.forEach((n, i) => {
        const a = first[i];
        const b = again[i];
        expect(b === undefined ? undefined : Buffer.from(b).toString('hex'), n).toBe(a === undefined ? undefined : Buffer.from(a).toString('hex'));
      });
      expect(Buffer.from(input).equals(before)).toBe(true);
    }
  });
});
