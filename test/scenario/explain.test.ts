import { describe, expect, it } from 'vitest';
import { checkScenario } from '../../src/scenario/index.js';
import { durationFix } from '../../src/scenario/steps/common.js';

/**
 * Validation in words (issue 18): what is wrong and how to fix it, with a did-you-mean for
 * values as well as keys, and the fix quoted. Each case below printed the validator's own words
 * before (`must be string`, a raw regex, `must NOT have fewer than 1 properties`).
 */
const base = (cluster: string, fleet = '{ name: phones, cluster: A, count: 2, models: { "8861": 1 } }', steps = '  - boot: phones\n'): string =>
  `name: t\nclusters:\n  - ${cluster}\nfleets:\n  - ${fleet}\nsteps:\n${steps}`;
const A = '{ name: A, release: "14", nodes: [pub] }';
const one = (text: string) => {
  const p = checkScenario(text, 'x.yaml').problems;
  expect(p, JSON.stringify(p)).toHaveLength(1);
  return p[0]!;
};

describe('scenario errors in words', () => {
  it('an unquoted release read as a number says to quote it, and how', () => {
    const p = one(base('{ name: A, release: 11.5, nodes: [pub] }'));
    expect(p.message).toBe('release must be text, but YAML reads 11.5 as a number');
    expect(p.hint).toBe('quote it: release: "11.5"');
    expect([p.line, p.column]).toEqual([3, '  - { name: A, release: '.length + 1]);
  });

  it('a release that is a slip gets the nearest release, not the regex', () => {
    const p = one(base('{ name: A, release: "11.6", nodes: [pub] }'));
    expect(p.message).toBe('release cannot be "11.6"; it takes 11.5, 12.5, 14, 15');
    expect(p.message).not.toContain('^(');
    expect(p.hint).toBe('did you mean release: "11.5"?');
  });

  it('did-you-mean for enum values: security, profile, purpose, service', () => {
    expect(one(base('{ name: A, release: "14", nodes: [pub], security: mixd }')).hint).toBe('did you mean security: mixed?');
    expect(one(base(A, '{ name: phones, cluster: A, count: 2, models: { "8861": 1 }, profile: encripted }')).hint).toBe('did you mean profile: encrypted?');
    const purpose = one(base(A, undefined, '  - regenerate: { cluster: A, purpose: CallManger, node: pub }\n'));
    expect(purpose).toMatchObject({ message: 'regenerate: purpose cannot be "CallManger"', hint: 'did you mean purpose: CallManager?', path: '/steps/0/regenerate/purpose' });
    expect(one(base(A, undefined, '  - restart: { cluster: A, service: TFPT }\n')).hint).toBe('did you mean service: TFTP?');
  });

  it('an unknown phone model is named, with the nearest model', () => {
    const p = one(base(A, '{ name: phones, cluster: A, count: 2, models: { "8862": 1 } }'));
    expect(p).toMatchObject({ message: 'models: "8862" is not a phone model trustlab emulates', hint: 'did you mean "8861"?', path: '/fleets/0/models/8862' });
  });

  it('a quoted number, a scalar for a list and an empty mapping say what to write', () => {
    expect(one(base(A, '{ name: phones, cluster: A, count: "3", models: { "8861": 1 } }'))).toMatchObject({ message: 'count must be a whole number, but "3" is quoted, so it is text', hint: 'drop the quotes: count: 3' });
    expect(one(base('{ name: A, release: "14", nodes: pub }'))).toMatchObject({ message: 'nodes must be a list', hint: 'e.g. nodes: [pub]' });
    expect(one(base(A, '{ name: phones, cluster: A, count: 2, models: {} }')).message).toBe('models is empty; it needs at least 1 entry');
  });

  it('a missing key names whose it is and offers an example', () => {
    const p = one(base('{ name: A, nodes: [pub] }'));
    expect(p.message).toMatch(/^cluster "A" needs "release": the CUCM release/);
    expect(p.hint).toBe('add release: "12.5"');
  });

  it('a name with a space gets a mended name', () => {
    expect(one(base('{ name: "B c", release: "14", nodes: [pub] }', '{ name: phones, cluster: "B-c", count: 2, models: { "8861": 1 } }')).hint).toBe('did you mean name: B-c?');
  });

  it('durations written in words get the scenario form', () => {
    expect(one(base(A, undefined, '  - advance: 3 days\n'))).toMatchObject({ message: 'advance "3 days" is not a duration of at most 100y', hint: 'did you mean advance: 3d?' });
    expect(durationFix('2 weeks')).toBe('14d');
    expect(durationFix('90 Minutes')).toBe('90m');
    expect(durationFix('soon')).toBeUndefined();
    expect(durationFix('300000 years')).toBeUndefined();
  });

  it('a union reports the form the value was written in, not every form', () => {
    expect(one(base(A, undefined, '  - reset: { fleet: phones, cnt: 2 }\n'))).toMatchObject({ message: 'reset has no key "cnt"', hint: 'did you mean "count"?', path: '/steps/0/reset/cnt' });
    expect(one(base(A, undefined, '  - boot: 7\n')).message).toBe('boot 7 is not a fleet, { fleet, count | fraction }, or a list of them');
    expect(one(base(A, undefined, '  - revoke: { cert: { cluster: A } }\n')).message).toBe('revoke: cert must say which one: cluster + purpose + node, or ca, or serial, or fingerprint');
  });

  it('lists top-level and step problems together, in file order', () => {
    const p = checkScenario(base('{ name: A, release: 11.5, nodes: [pub] }', undefined, '  - advance: soon\n  - {}\n'), 'x.yaml').problems;
    expect(p.map((x) => x.line)).toEqual([3, 7, 8]);
    expect(p[2]!.message).toBe('this step is empty: a step needs an action');
  });
});
