import { describe } from 'vitest';
import { FIXTURES, runFixtures } from './fixtures-helper.js';

/** The built-in scenario library (fixtures/scenarios/), second half: each passes with its expectations. */
describe('built-in scenarios (2/2)', () => runFixtures(FIXTURES.slice(Math.ceil(FIXTURES.length / 2))));
