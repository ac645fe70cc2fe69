import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DecodeError, EmulatorError, isEmulatorError } from './errors.js';

describe('error root', () => {
  it('carries a stable code, the offset for decode errors, and serialises for --json', () => {
    const e = new DecodeError('TRUNCATED', 42, 'needs more');
    expect(e).toBeInstanceOf(EmulatorError);
    expect(e.code).toBe('TRUNCATED');
    expect(e.offset).toBe(42);
    expect(e.toJSON()).toMatchObject({ code: 'TRUNCATED', offset: 42 });
    expect(isEmulatorError(e, 'TRUNCATED')).toBe(true);
    expect(isEmulatorError(e, 'IO_ERROR')).toBe(false);
  });

  it('documents every code in docs/errors.md', () => {
    const source = readFileSync(new URL('./errors.ts', import.meta.url), 'utf8');
    const codes = [...source.matchAll(/\|\s*'([A-Z0-9_]+)'/g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(20);
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const missing = codes.filter((c) => !doc.includes(`\`${c}\``));
    expect(missing).toEqual([]);
  });
});
