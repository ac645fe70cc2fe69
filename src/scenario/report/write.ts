import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EmulatorError } from '../../shared/errors.js';
import { writeFileAtomic } from '../../shared/fs.js';
import type { RunReport } from '../runner.js';
import { htmlReport } from './html.js';
import { junitXml } from './junit.js';

/** Writes report.json, junit.xml and report.html into a run directory (each atomically). */
export async function writeReports(dir: string, r: RunReport): Promise<{ json: string; junit: string; html: string }> {
  const out = { json: join(dir, 'report.json'), junit: join(dir, 'junit.xml'), html: join(dir, 'report.html') };
  await writeFileAtomic(out.json, JSON.stringify(r, null, 1) + '\n');
  await writeFileAtomic(out.junit, junitXml(r));
  await writeFileAtomic(out.html, htmlReport(r));
  return out;
}

/** Reads a past run's report.json. */
export async function readReport(dir: string): Promise<RunReport> {
  const path = join(dir, 'report.json');
  const text = await readFile(path, 'utf8').catch(() => {
    throw new EmulatorError('RUN_NOT_FOUND', `${path} does not exist; pass a run directory (lab/runs/<timestamp>) written by trustlab run`);
  });
  try {
    const r = JSON.parse(text) as RunReport;
    if (r.formatVersion !== 1 || !Array.isArray(r.steps)) throw new Error('not a trustlab run report');
    return r;
  } catch (cause) {
    throw new EmulatorError('LAB_CORRUPT', `${path} is not a trustlab run report`, { cause });
  }
}
