import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, trustlab } from '../helpers/cli.js';

/**
 * Issue 15 §8: `sgn verify X --itl garbage` blamed X, and `itl verify --trust bad --json` put
 * the ITL's path in "file". The file at fault is the one reported.
 */
const CTL = resolve(ROOT, '../shared/samples/cucm-ctl-gigantic6-2015/CTLFile.as-found.tlv');

describe('attack: a bad option input is blamed, not the file being verified', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trustlab-attack-blame-'));
  const garbage = join(dir, 'garbage.bin');
  writeFileSync(garbage, 'garbage, not a trust list or a certificate\n');
  const sgn = join(dir, 'SEP001122334455.cnf.xml.sgn');
  writeFileSync(sgn, 'not read: the ITL fails first');

  it('sgn verify X --itl garbage names the ITL, with the decoder code and offset', async () => {
    const r = await trustlab(['sgn', 'verify', sgn, '--itl', garbage, '--json']);
    expect(r.code).toBe(2);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('TLV_UNEXPECTED_TAG');
    expect(err.file).toBe(garbage);
    expect(err.offset).toBe(0);
    const plain = await trustlab(['sgn', 'verify', sgn, '--itl', garbage]);
    expect(plain.stderr).toContain(garbage);
    expect(plain.stderr).not.toContain(`${sgn}:`);
  });

  it('itl verify FILE --trust bad --json puts the bad certificate in "file"', async () => {
    const r = await trustlab(['itl', 'verify', CTL, '--trust', garbage, '--json']);
    expect(r.code).toBe(2);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('PKI_BAD_CERTIFICATE');
    expect(err.file).toBe(garbage);
  });
});
