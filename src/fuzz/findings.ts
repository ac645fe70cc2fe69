import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EmulatorError } from '../shared/errors.js';
import { writeFileAtomic } from '../shared/fs.js';
import type { ReferenceContext } from './reference.js';
import type { FindingKind, FuzzKind } from './targets.js';

/**
 * A finding as saved (issue 8 "Findings"): everything needed to replay it without the run that
 * found it — the input, the minimised input, the seed and iteration, the mutators, and for the
 * phone target the scene (what the phone held and what TVS and the reference knew).
 */
export interface Finding {
  formatVersion: 1;
  id: string;
  fuzzKind: FuzzKind;
  target: 'codec' | 'phone' | 'served';
  kind: FindingKind;
  message: string;
  seed: string;
  iteration: number;
  mutators: string[];
  input: string;
  minimised?: string;
  scene?: SavedScene;
}

export interface SavedScene {
  name: string;
  flash: { itl?: string; ctl?: string };
  trusted: string[];
  tvs: string[];
  firstUse: boolean;
  signedFile?: boolean;
}

export function findingId(kind: string, message: string, input: Uint8Array): string {
  return createHash('sha256').update(kind).update(message.replace(/[0-9]+/g, '#')).update(input).digest('hex').slice(0, 12);
}

/**
 * The findings of one run, deduplicated: every occurrence counts toward `byKind`, but only the
 * first of each kind, message shape (numbers blanked) and scope (a phone scene) is kept and
 * handed to `onFinding`.
 */
export class FindingLog {
  readonly findings: Finding[] = [];
  readonly byKind: Record<string, number> = {};
  readonly #seen = new Set<string>();

  constructor(private readonly onFinding?: (f: Finding) => void | Promise<void>) {}

  /** Counts an occurrence; true when it is the first of its kind, shape and scope. */
  isNew(kind: FindingKind, message: string, scope = ''): boolean {
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    const key = `${kind}:${message.replace(/[0-9]+/g, '#')}:${scope}`;
    if (this.#seen.has(key)) return false;
    this.#seen.add(key);
    return true;
  }

  async keep(f: Finding): Promise<void> {
    this.findings.push(f);
    await this.onFinding?.(f);
  }

  /** A finding with no scene, kept when it is new. */
  async report(f: Omit<Finding, 'formatVersion' | 'id'>): Promise<void> {
    const input = new Uint8Array(Buffer.from(f.input, 'base64'));
    if (this.isNew(f.kind, f.message)) await this.keep({ formatVersion: 1, id: findingId(f.kind, f.message, input), ...f });
  }
}

export function saveScene(name: string, flash: { itl?: string; ctl?: string }, ref: ReferenceContext, vouched: Uint8Array[]): SavedScene {
  const b64 = (d: Uint8Array): string => Buffer.from(d).toString('base64');
  return { name, flash: { ...(flash.itl ? { itl: flash.itl } : {}), ...(flash.ctl ? { ctl: flash.ctl } : {}) }, trusted: ref.trusted.map(b64), tvs: vouched.map(b64), firstUse: ref.firstUse, ...(ref.signedFile ? { signedFile: true } : {}) };
}

export async function writeFinding(dir: string, f: Finding): Promise<string> {
  const path = join(dir, `finding-${f.kind}-${f.id}.json`);
  await writeFileAtomic(path, JSON.stringify(f, null, 1) + '\n');
  return path;
}

export async function readFinding(path: string): Promise<Finding> {
  const text = await readFile(path, 'utf8').catch((cause: NodeJS.ErrnoException) => {
    throw new EmulatorError(cause.code === 'ENOENT' ? 'IO_NOT_FOUND' : 'IO_ERROR', `${path}: ${cause.code === 'ENOENT' ? 'no such file' : cause.message}`, { cause });
  });
  let f: Finding;
  try {
    f = JSON.parse(text) as Finding;
  } catch (cause) {
    throw new EmulatorError('FINDING_INVALID', `${path} is not JSON`, { cause });
  }
  if (f.formatVersion !== 1 || typeof f.input !== 'string' || !['itl', 'ctl', 'sgn', 'tvs', 'tftp'].includes(f.fuzzKind)) {
    throw new EmulatorError('FINDING_INVALID', `${path} is not a trustlab fuzz finding`);
  }
  return f;
}
