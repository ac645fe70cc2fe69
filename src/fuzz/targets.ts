import { performance } from 'node:perf_hooks';
import { decodeSignedFile, decodeTrustList, encodeSignedFile, encodeTrustList, PHONE_ITL_SIZE_LIMIT, type TrustList } from '../trustlist/index.js';
import { decodeTvsMessage, encodeTvsMessage } from '../../tvs-sim/index.js';
import { decodePacket, encodePacket } from '../../tftp-sim/index.js';
import { isEmulatorError } from '../shared/errors.js';
import { PRODUCTION_DECISIONS, reduce, type Flash, type TrustDecisions } from '../../phones/index.js';
import { drivePhone } from './phone-drive.js';
import { referenceVerdict, type ReferenceContext } from './reference.js';

/**
 * What one execution checks (issue 8 "Oracles"):
 *
 * - codec: decoding gives a value or a typed error (an `EmulatorError` with a code), never any
 *   other exception; it finishes within a time bound; whatever decodes re-encodes to bytes that
 *   decode and re-encode to the same bytes again.
 * - phone: the phone's decision on a mutant (through the pure reducer's trust functions, with a
 *   TVS that vouches for exactly the certificates the cluster's TVS would) is compared with the
 *   independent reference (reference.ts): accepting what the reference rejects is a false accept;
 *   a phone that holds a trust list taking one on first use is a finding of its own.
 */
export type FuzzKind = 'itl' | 'ctl' | 'sgn' | 'tvs' | 'tftp';
export type FindingKind = 'crash' | 'unstable-roundtrip' | 'slow' | 'false-accept' | 'first-use-with-trust-list' | 'invalid-transition' | 'state-lost' | 'server-down' | 'bad-response' | 'resource-leak';

export interface ExecResult {
  finding?: { kind: FindingKind; message: string };
  /** The typed error code, when the input was refused. */
  errorCode?: string;
  /** Coverage features this input reached (tags seen, decision paths). */
  features: string[];
  /** Phone target: whether the phone accepted, and whether the reference agreed. */
  accepted?: boolean;
  disagreement?: boolean;
}

export const SLOW_MS = 250;

function typedOrCrash(e: unknown): ExecResult {
  if (isEmulatorError(e)) return { errorCode: e.code, features: [`error:${e.code}`] };
  return { finding: { kind: 'crash', message: `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}` }, features: ['crash'] };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const names = (prefix: string): string[] => Array.from({ length: 256 }, (_, i) => `${prefix}${i}`);
const HEADER_TAG = names('h');
const RECORD_TAG = names('r');
const ROLE = names('role');

/**
 * The tags and roles a decoded list reached, each once: header tags, record tags, record roles.
 * Marks in a bitmap and reads names from tables (tags are bytes, so are the common roles), since
 * building and hashing a string per element was a fifth of the codec oracle (issue 17 §5).
 */
function listFeatures(l: TrustList): string[] {
  const out: string[] = [];
  const seen = new Uint8Array(768);
  const mark = (slot: number, name: string): void => {
    if (seen[slot]) return;
    seen[slot] = 1;
    out.push(name);
  };
  for (const t of l.layout?.header.order ?? []) mark(t, HEADER_TAG[t]!);
  for (const r of l.layout?.records ?? []) for (const t of r.order) mark(256 + t, RECORD_TAG[t]!);
  let big: Set<number> | undefined;
  for (const r of l.records) {
    if (r.role < 256) mark(512 + r.role, ROLE[r.role]!);
    else if (!(big ??= new Set()).has(r.role)) {
      big.add(r.role);
      out.push(`role${r.role}`);
    }
  }
  return out;
}

/** The codec oracle for one input. */
export function execCodec(kind: FuzzKind, bytes: Uint8Array): ExecResult {
  const t0 = performance.now();
  let r: ExecResult;
  try {
    r = codecOnce(kind, bytes);
  } catch (e) {
    r = typedOrCrash(e);
  }
  const ms = performance.now() - t0;
  if (!r.finding && ms > SLOW_MS) r.finding = { kind: 'slow', message: `one input took ${ms.toFixed(0)} ms (bound ${SLOW_MS} ms)` };
  return r;
}

/**
 * Re-encoding is stable when encode(decode(encode(x))) = encode(x). When the first encoding is
 * the input itself, that holds without running it: decode and encode are pure, so decoding the
 * same bytes again gives the same value and the same encoding (this skips half the oracle for
 * every mutant the codec keeps byte for byte; issue 17 §5).
 */
function stable(input: Uint8Array, encode: () => Uint8Array, redecode: (b: Uint8Array) => Uint8Array): ExecResult['finding'] {
  const e1 = encode();
  if (equal(e1, input)) return undefined;
  const e2 = redecode(e1);
  return equal(e1, e2) ? undefined : { kind: 'unstable-roundtrip', message: `re-encoding is not stable (${e1.length} then ${e2.length} bytes)` };
}

function codecOnce(kind: FuzzKind, bytes: Uint8Array): ExecResult {
  switch (kind) {
    case 'itl':
    case 'ctl': {
      const l = decodeTrustList(bytes);
      const features = listFeatures(l);
      const finding = stable(bytes, () => encodeTrustList(l), (b) => encodeTrustList(decodeTrustList(b)));
      return { features, ...(finding ? { finding } : {}) };
    }
    case 'sgn': {
      const f = decodeSignedFile(bytes);
      const finding = stable(bytes, () => encodeSignedFile(f), (b) => encodeSignedFile(decodeSignedFile(b)));
      return { features: (f.layout?.header.order ?? []).map((t) => `h${t}`), ...(finding ? { finding } : {}) };
    }
    case 'tvs': {
      const m = decodeTvsMessage(bytes);
      const finding = stable(bytes, () => encodeTvsMessage(m), (b) => encodeTvsMessage(decodeTvsMessage(b)));
      return { features: [`cmd${m.command}`, ...m.elements.map((e) => `e${e.tag}`)], ...(finding ? { finding } : {}) };
    }
    case 'tftp': {
      const p = decodePacket(bytes);
      const finding = stable(bytes, () => encodePacket(p), (b) => encodePacket(decodePacket(b)));
      return { features: [`op:${p.type}`], ...(finding ? { finding } : {}) };
    }
  }
}

/**
 * The phone under test: its trust decisions and, optionally, its reducer. Production by default;
 * a test plants a bug by passing its own (the fuzzer must then find it, through the machine).
 */
export interface PhoneSubject extends TrustDecisions {
  reduce?: typeof reduce;
}

export const PRODUCTION_SUBJECT: PhoneSubject = PRODUCTION_DECISIONS;

/** A phone state to judge mutants against, and what TVS and the reference know. */
export interface PhoneScene {
  name: string;
  flash: Flash;
  /** For the reference: certificates that may sign this kind of file for this phone. */
  reference: ReferenceContext;
  /** What TVS vouches for with role SAST (trust lists) or TFTP (configs), by DER. */
  tvsVouches: (der: Uint8Array) => boolean;
}

/**
 * The phone oracle for one input in one scene: the mutant reaches the phone's machine as the
 * download it is waiting for (the CTL, the ITL or its signed config), TVS answers as the
 * cluster's would, and what the machine did is compared with the independent reference (see
 * reference.ts): accepting what the reference rejects is a false accept; a phone that holds a
 * trust list taking one on first use is a finding of its own; so is any event the machine has
 * no edge for (INVALID_TRANSITION).
 */
export function execPhone(kind: 'itl' | 'ctl' | 'sgn', bytes: Uint8Array, scene: PhoneScene, subject: PhoneSubject = PRODUCTION_SUBJECT): ExecResult {
  let d: ReturnType<typeof drivePhone>;
  try {
    d = drivePhone(kind, bytes, scene, subject);
  } catch (e) {
    return typedOrCrash(e);
  }
  if (d.invalid) return { finding: { kind: 'invalid-transition', message: `the phone (${scene.name}) met an event its machine has no edge for: ${d.invalid}` }, features: [d.path, 'invalid-transition'] };
  if (d.tofu && !scene.reference.firstUse) {
    return { finding: { kind: 'first-use-with-trust-list', message: `the phone (${scene.name}) holds a trust list but took this file on first use` }, accepted: true, features: [d.path] };
  }
  if (d.unchanged) return { features: [d.path], accepted: false };
  let ref: ReturnType<typeof referenceVerdict>;
  try {
    ref = referenceVerdict(bytes, { ...scene.reference, ...(kind === 'itl' ? { maxBytes: PHONE_ITL_SIZE_LIMIT } : {}) });
  } catch (e) {
    // The judge must never throw; if it does, that is reported rather than ending the run.
    return { finding: { kind: 'crash', message: `reference verifier: ${(e as Error).message}` }, features: ['oracle-crash'] };
  }
  const features = [d.path, `ref:${ref.acceptable ? ref.why : 'reject'}`];
  if (d.accepted && !ref.acceptable) {
    return { finding: { kind: 'false-accept', message: `the phone (${scene.name}) accepted a file the reference rejects: ${ref.why} [${d.path}]` }, accepted: true, features };
  }
  return { accepted: d.accepted, disagreement: !d.accepted && ref.acceptable, features };
}
