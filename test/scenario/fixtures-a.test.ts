import { describe } from 'vitest';
import { FIXTURES, runFixtures } from './fixtures-helper.js';

/** The built-in scenario library (fixtures/scenarios/), first half: each passes with its expectations. */
describe('built-in scenarios (1/2)', () => runFixtures(FIXTURES.slice(0, Math.ceil(FIXTURES.length / 2))));
