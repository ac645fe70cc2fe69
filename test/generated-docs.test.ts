import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedDocs } from '../src/generated-docs.js';

/** The generated docs match their declarations (the phone's tables, the step registry). */
describe('generated docs', () => {
  it.each(generatedDocs().map((d) => [d.path, d.content] as const))('%s is up to date (npm run docs rewrites it)', (path, content) => {
    expect(readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')).toBe(content);
  });
});
