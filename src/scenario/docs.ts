import { stringify } from 'yaml';
import { ACTION_STEPS, EXPECT_STEP } from './steps/index.js';

/**
 * docs/scenario-steps.md, the step reference, drawn from the step registry (issue 13: the type,
 * the schema and the docs derive from one declaration). `npm run docs` writes it; a test fails
 * when the file and the registry differ.
 */
type Json = Record<string, unknown>;

function typeOf(s: Json): string {
  if (Array.isArray(s['enum'])) return (s['enum'] as unknown[]).map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s['anyOf']) return (s['anyOf'] as Json[]).map(typeOf).join(' or ');
  if (s['type'] === 'array') return `list of ${typeOf(s['items'] as Json)}`;
  if (s['type'] === 'object') return s['properties'] && Object.keys(s['properties'] as Json).length ? `{ ${Object.keys(s['properties'] as Json).join(', ')} }` : 'nothing';
  if (s['type'] === 'null') return 'nothing';
  return String(s['type'] ?? 'any');
}

function argTable(schema: Json): string[] {
  const objects = schema['anyOf'] ? (schema['anyOf'] as Json[]).filter((x) => x['type'] === 'object') : schema['type'] === 'object' ? [schema] : [];
  const rows: string[] = [];
  for (const o of objects) {
    const required = new Set((o['required'] as string[] | undefined) ?? []);
    for (const [k, v] of Object.entries((o['properties'] as Record<string, Json> | undefined) ?? {})) {
      rows.push(`| \`${k}\` | ${typeOf(v)} | ${required.has(k) ? 'yes' : ''} | ${String(v['description'] ?? '')} |`);
    }
  }
  return rows.length ? ['| argument | value | required | meaning |', '| --- | --- | --- | --- |', ...rows] : [`The argument is ${typeOf(schema)}${schema['description'] ? `: ${String(schema['description'])}` : ''}.`];
}

export function stepReference(): string {
  const steps = [...ACTION_STEPS.map((d) => ({ name: d.name, summary: d.summary, args: d.args as unknown as Json, example: d.example as unknown })), { ...EXPECT_STEP, args: EXPECT_STEP.args as unknown as Json }];
  const parts = [
    '# Scenario steps',
    '',
    '<!-- Generated from src/scenario/steps/ by `npm run docs`; a test fails when this file and the registry differ. Do not edit by hand. -->',
    '',
    'Every step of a scenario file does one thing. Besides its action a step may carry `name` (its label in',
    'reports) and `expect-error` (the error code the cluster must refuse it with). The same declarations give',
    'the JSON Schema editors use (`fixtures/scenarios/scenario.schema.json`).',
    '',
    steps.map((s) => `[\`${s.name}\`](#${s.name})`).join(' · '),
    '',
  ];
  for (const s of steps) {
    parts.push(`## ${s.name}`, '', s.summary, '', ...argTable(s.args), '', '```yaml', stringify([{ [s.name]: s.example }]).trimEnd(), '```', '');
  }
  return parts.join('\n');
}
