import { machineDiagrams } from '../phones/machine/index.js';
import { publishedSchema } from './scenario/schema.js';
import { stepReference } from './scenario/docs.js';

/**
 * Files derived from declarations rather than written by hand: the phone's state diagrams (from
 * its transition tables), the scenario step reference and the scenario JSON Schema (from the step
 * registry). `npm run docs` writes them; test/generated-docs.test.ts fails when one is stale.
 */
export function generatedDocs(): Array<{ path: string; content: string }> {
  return [
    { path: 'docs/phone-machine.md', content: machineDiagrams() },
    { path: 'docs/scenario-steps.md', content: stepReference() },
    { path: 'fixtures/scenarios/scenario.schema.json', content: `${JSON.stringify(publishedSchema(), null, 2)}\n` },
  ];
}
