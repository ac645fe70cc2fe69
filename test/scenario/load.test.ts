import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkScenario, parseScenario, publishedSchema, suggestion } from '../../src/scenario/index.js';
import { ROOT } from '../helpers/cli.js';

/**
 * Scenario files (issue 7, "Bad input"): YAML and schema errors carry file, line and column and a
 * hint; unknown step names and references get a "did you mean"; the published schema is the one
 * the loader uses.
 */
const DIR = join(ROOT, 'fixtures', 'scenarios');
const base = `name: t
clusters:
  - { name: A, release: "12.5", nodes: [pub, sub] }
fleets:
  - { name: phones, cluster: A, count: 2, models: { "8861": 1 } }
steps:
`;

function problems(text: string) {
  return checkScenario(text, 'x.yaml').problems;
}

describe('scenario loader', () => {
  it('accepts every built-in scenario', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(25);
    for (const f of files) expect(problems(readFileSync(join(DIR, f), 'utf8')), f).toEqual([]);
  });

  it('names an unknown step with its line and column and suggests the nearest name', () => {
    const p = problems(`${base}  - boot: phones\n  - regenrate: { cluster: A, purpose: TVS, node: pub }\n`);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ file: 'x.yaml', line: 8, column: 5, message: 'unknown step "regenrate"', hint: 'did you mean "regenerate"?' });
  });

  it('points at the bad value of a step argument, with the allowed values', () => {
    const p = problems(`${base}  - regenerate: { cluster: A, purpose: CallManger, node: pub }\n`);
    expect(p[0]).toMatchObject({ line: 7, path: '/steps/0/regenerate/purpose' });
    expect(p[0]!.hint).toContain('CallManager');
    expect(p[0]!.column).toBeGreaterThan(20);
  });

  it('checks references: clusters, fleets and nodes, with suggestions', () => {
    const p = problems(`${base}  - reset: phone\n  - regenerate: { cluster: B, purpose: TVS, node: pub }\n  - regenerate: { cluster: A, purpose: TVS, node: sub2 }\n`);
    expect(p.map((x) => [x.line, x.message, x.hint])).toEqual([
      [7, 'no fleet "phone"', 'did you mean "phones"?'],
      [8, 'no cluster "B"', 'did you mean "A"?'],
      [9, 'cluster A has no node "sub2"', 'did you mean "sub"?'],
    ]);
  });

  it('reports YAML syntax errors with a position and refuses unknown top-level keys', () => {
    const syntax = problems('name: [unclosed\n');
    expect(syntax[0]).toMatchObject({ line: expect.any(Number), hint: 'fix the YAML syntax' });
    const extra = problems(`${base}  - boot: phones\nfleet: []\n`);
    expect(extra[0]).toMatchObject({ line: 8, column: 1, message: 'the scenario has no key "fleet"', hint: 'did you mean "fleets"?' });
  });

  it('throws SCENARIO_INVALID with every problem, so nothing runs', () => {
    let err: unknown;
    try {
      parseScenario(`${base}  - bot: phones\n  - advance: soon\n`, 'x.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'SCENARIO_INVALID' });
    expect((err as { details: { problems: unknown[] } }).details.problems).toHaveLength(2);
    expect((err as Error).message).toContain('x.yaml:7:5');
  });

  it('caps the file size and alias expansion', () => {
    expect(problems('#'.repeat(1024 * 1024 + 1))[0]!.message).toContain('larger than');
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    expect(() => checkScenario(bomb, 'bomb.yaml')).not.toThrow();
    expect(checkScenario(bomb, 'bomb.yaml').problems.length).toBeGreaterThan(0);
  });

  it('publishes the schema the loader uses', () => {
    expect(JSON.parse(readFileSync(join(DIR, 'scenario.schema.json'), 'utf8'))).toEqual(publishedSchema());
  });

  it('suggests only close names', () => {
    expect(suggestion('resett', ['reset', 'boot'])).toBe('did you mean "reset"?');
    expect(suggestion('xyzzy', ['reset', 'boot'])).toBe('expected one of: reset, boot');
  });
});
