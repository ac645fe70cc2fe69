import { readFile } from 'node:fs/promises';
import { ADMIN_COMMANDS, clusterServiceOf, networkServiceOf, parseLine, usageOf } from '../cluster/index.js';
import { suggestion } from '../shared/suggest.js';
import { Ajv, type ValidateFunction } from 'ajv';
import { explainErrors } from './explain.js';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { EmulatorError } from '../shared/errors.js';
import { isStartInstant, parseDuration } from './steps/common.js';
import { SCENARIO_SCHEMA, STEP_ARGS, STEP_NAMES } from './schema.js';
import { EXPECTATION_KINDS, HISTORIC_KINDS } from './steps/expect.js';
import type { Expectation, Scenario, Step } from './types.js';

/**
 * Reads and checks a scenario file (issue 7, "Bad input"): YAML syntax, then the schema, then
 * the references between clusters, fleets, nodes and steps. Every problem is reported with file,
 * line and column and a hint; unknown step names get a "did you mean". Nothing runs until the
 * whole file is valid: {@link loadScenario} throws `SCENARIO_INVALID` with every problem found.
 */
export interface ScenarioProblem {
  file: string;
  line: number;
  column: number;
  /** JSON path of the offending value, e.g. `/steps/3/regenerate/purpose`. */
  path: string;
  message: string;
  hint?: string;
}

export const MAX_SCENARIO_BYTES = 1024 * 1024;

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
// Bounded time values (issue 15 §7): a pattern alone let `advance: 300000y` and
// `start: 9999-12-31T23:59:59Z` through to crash at run time.
ajv.addFormat('trustlab-duration', { type: 'string', validate: (s: string) => parseDuration(s) !== undefined });
ajv.addFormat('trustlab-start', { type: 'string', validate: isStartInstant });

/**
 * Deepest flow nesting (`[[[…]]]`, `{a: {b: …}}`) read. Scenarios nest four or five levels;
 * 20,000 levels used to overflow the stack ("Maximum call stack size exceeded"). Block nesting
 * is bounded by the size cap: n levels of indentation take about n² bytes.
 */
export const MAX_SCENARIO_NESTING = 64;
const validateTop = ajv.compile(SCENARIO_SCHEMA);
const stepValidators = new Map<string, ValidateFunction>();
const stepValidator = (name: string): ValidateFunction => {
  let v = stepValidators.get(name);
  if (!v) stepValidators.set(name, (v = ajv.compile(STEP_ARGS[name]!)));
  return v;
};

export async function loadScenario(file: string): Promise<Scenario> {
  const text = await readFile(file, 'utf8').catch((cause: NodeJS.ErrnoException) => {
    throw new EmulatorError(cause.code === 'ENOENT' ? 'IO_NOT_FOUND' : 'IO_ERROR', `${file}: ${cause.code === 'ENOENT' ? 'no such file' : cause.message}`, { cause });
  });
  return parseScenario(text, file);
}

/** Parses scenario text; throws `SCENARIO_INVALID` whose `details.problems` lists each problem. */
export function parseScenario(text: string, file = '<scenario>'): Scenario {
  const problems = checkScenario(text, file);
  if (problems.problems.length) {
    throw new EmulatorError('SCENARIO_INVALID', `${file} is not a valid scenario:\n${problems.problems.map(formatProblem).join('\n')}`, { details: { problems: problems.problems } });
  }
  return problems.scenario!;
}

export function formatProblem(p: ScenarioProblem): string {
  return `  ${p.file}:${p.line}:${p.column}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`;
}

export function checkScenario(text: string, file: string): { problems: ScenarioProblem[]; scenario?: Scenario } {
  if (Buffer.byteLength(text) > MAX_SCENARIO_BYTES) {
    return { problems: [{ file, line: 1, column: 1, path: '', message: `the file is larger than ${MAX_SCENARIO_BYTES} bytes`, hint: 'split it into several scenarios' }] };
  }
  const lines = new LineCounter();
  const at = (offset: number | undefined, path: string, message: string, hint?: string): ScenarioProblem => {
    const pos = lines.linePos(offset ?? 0);
    return { file, line: pos.line, column: pos.col, path, message, ...(hint ? { hint } : {}) };
  };
  const deep = tooDeepAt(text);
  if (deep !== undefined) {
    const pos = lineColumnOf(text, deep);
    return { problems: [{ file, ...pos, path: '', message: `values nest more than ${MAX_SCENARIO_NESTING} levels deep`, hint: 'a scenario nests a few levels; flatten the file' }] };
  }
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { problems: [{ file, line: 1, column: 1, path: '', message: 'the file nests too deeply to read', hint: 'flatten the file' }] };
  }
  if (doc.errors.length) return { problems: doc.errors.map((e) => at(e.pos[0], '', e.message.split('\n')[0]!, 'fix the YAML syntax')) };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return { problems: [at(0, '', (e as Error).message, 'expand the aliases by hand; at most 100 are resolved')] };
  }
  const problems: ScenarioProblem[] = [];
  const locate = (path: string, message: string, hint?: string, key = false): void => {
    problems.push(at(offsetOf(doc, path, key), path, message, hint));
  };
  const topValid = validateTop(data);
  if (!topValid) for (const x of explainErrors(validateTop.errors, 'the scenario')) locate(x.path, x.message, x.hint, x.key);
  // Steps are checked even when the top level is not, so that one run of the loader lists every problem.
  const steps = (data as { steps?: unknown } | null)?.steps;
  if (Array.isArray(steps)) steps.forEach((step, i) => step && typeof step === 'object' && !Array.isArray(step) && checkStep(step as Record<string, unknown>, `/steps/${i}`, locate));
  if (problems.length) return { problems: problems.sort((a, b) => a.line - b.line || a.column - b.column) };
  const s = data as Scenario;
  checkReferences(s, locate);
  return problems.length ? { problems } : { problems, scenario: s };
}

function checkStep(step: Record<string, unknown>, path: string, locate: (path: string, message: string, hint?: string, key?: boolean) => void): void {
  const actions = Object.keys(step).filter((k) => k !== 'name' && k !== 'expect-error');
  if (!actions.length && !Object.keys(step).length) return; // the top level says so: minProperties
  if (actions.length !== 1) {
    const unknown = actions.find((a) => !STEP_NAMES.includes(a));
    if (unknown) return locate(`${path}/${unknown}`, `unknown step "${unknown}"`, suggestion(unknown, STEP_NAMES), true);
    return locate(path, actions.length ? `a step does one thing; this one has ${actions.join(', ')}` : 'a step needs an action', `one of: ${STEP_NAMES.join(', ')}`);
  }
  const action = actions[0]!;
  if (!STEP_NAMES.includes(action)) return locate(`${path}/${action}`, `unknown step "${action}"`, suggestion(action, STEP_NAMES), true);
  canonicalService(action, step[action]);
  const v = stepValidator(action);
  if (!v(step[action] ?? null)) {
    for (const x of explainErrors(v.errors, action)) locate(`${path}/${action}${x.path}`, x.message.startsWith(`${action} `) ? x.message : `${action}: ${x.message}`, x.hint, x.key);
  }
}

/**
 * Service names are accepted in any spelling and case ("TFTP", "tftp", "Cisco TFTP") and
 * canonicalised before validation (issue 18), so `restart` and `stop` agree on what a service is.
 */
function canonicalService(action: string, args: unknown): void {
  if (!args || typeof args !== 'object' || typeof (args as { service?: unknown }).service !== 'string') return;
  const a = args as { service: string };
  const id = action === 'restart' ? clusterServiceOf(a.service) : action === 'stop' || action === 'start' ? networkServiceOf(a.service) : undefined;
  if (id) a.service = id;
}

/** Names used in steps and fleets must exist: clusters, fleets, nodes. */
function checkReferences(s: Scenario, locate: (path: string, message: string, hint?: string) => void): void {
  const clusters = new Map(s.clusters.map((c) => [c.name, c]));
  const fleets = new Set(s.fleets.map((f) => f.name));
  const dup = (list: string[], what: string, base: string): void => list.forEach((n, i) => list.indexOf(n) !== i && locate(`${base}/${i}/name`, `${what} "${n}" is declared twice`));
  dup(s.clusters.map((c) => c.name), 'cluster', '/clusters');
  dup(s.fleets.map((f) => f.name), 'fleet', '/fleets');
  const cluster = (name: string, path: string): void => {
    if (!clusters.has(name)) locate(path, `no cluster "${name}"`, suggestion(name, [...clusters.keys()]));
  };
  const node = (c: string, n: string, path: string): void => {
    const spec = clusters.get(c);
    if (spec && !spec.nodes.includes(n)) locate(path, `cluster ${c} has no node "${n}"`, suggestion(n, spec.nodes));
  };
  const fleet = (name: string, path: string): void => {
    if (!fleets.has(name)) locate(path, `no fleet "${name}"`, suggestion(name, [...fleets]));
  };
  s.fleets.forEach((f, i) => {
    cluster(f.cluster, `/fleets/${i}/cluster`);
    for (const [j, n] of (f.tftp ?? []).entries()) node(f.cluster, n, `/fleets/${i}/tftp/${j}`);
  });
  const check = { cluster, node, fleet };
  s.steps.forEach((step, i) => {
    const [action, raw] = Object.entries(step).find(([k]) => k !== 'name' && k !== 'expect-error')!;
    walkRefs(STEP_ARGS[action] as unknown as SchemaNode, raw, `/steps/${i}/${action}`, undefined, check);
    if (action === 'expect') (raw as Expectation[]).forEach((e, j) => checkExpectationShape(e, `/steps/${i}/expect/${j}`, locate));
    if (action === 'cli') checkCliLine(raw, `/steps/${i}/cli`, clusters.size, locate);
  });
}

/** A `cli:` line must be an emulated command with the right parameters, found before anything runs. */
function checkCliLine(raw: unknown, path: string, clusters: number, locate: (path: string, message: string, hint?: string) => void): void {
  const line = typeof raw === 'string' ? raw : (raw as { line?: unknown } | null)?.line;
  if (typeof line !== 'string') return;
  if (clusters !== 1 && (typeof raw === 'string' || !(raw as { cluster?: unknown }).cluster)) {
    locate(path, `cli: this scenario has ${clusters} clusters; say which one the line runs on`, `cli: { cluster: NAME, line: "${line}" }`);
  }
  const at = typeof raw === 'string' ? path : `${path}/line`;
  const p = parseLine(line, ADMIN_COMMANDS);
  if (p.kind === 'empty') locate(at, 'cli: the line is empty');
  if (p.kind === 'unknown') locate(at, `cli: "${line}" is not an emulated CUCM CLI command`, p.nearest ? `did you mean "${usageOf(p.nearest)}"? (\`trustlab admin --help\` lists them)` : undefined);
  if (p.kind === 'syntax') locate(at, `cli: ${p.message}`, `usage: ${usageOf(p.command)}`);
}

/** An expectation makes exactly one kind of check; `when` looks back only for the kinds that keep a history. */
function checkExpectationShape(e: Expectation, path: string, locate: (path: string, message: string, hint?: string) => void): void {
  const kinds = EXPECTATION_KINDS.filter((k) => e[k] !== undefined);
  if (kinds.length !== 1) {
    locate(path, kinds.length ? `expectation "${e.name}" makes ${kinds.length} checks (${kinds.join(', ')}); write one expectation per check` : `expectation "${e.name}" has nothing to check`, `one of: ${EXPECTATION_KINDS.join(', ')}`);
    return;
  }
  if (e.when && e.when !== 'now' && !HISTORIC_KINDS.includes(kinds[0]!)) {
    locate(`${path}/when`, `"when: ${e.when}" looks back over the run, which ${kinds[0]} expectations cannot (they read the cluster as it is now)`, `use it with ${HISTORIC_KINDS.join(', ')}`);
  }
}

type RefCheck = { cluster: (name: string, path: string) => void; node: (cluster: string, name: string, path: string) => void; fleet: (name: string, path: string) => void };
type SchemaNode = { 'x-ref'?: string; properties?: Record<string, SchemaNode>; items?: SchemaNode; anyOf?: SchemaNode[]; oneOf?: SchemaNode[] };

/** The union branch a value takes (the first that validates), for walking a union's references. */
const branchValidators = new WeakMap<object, ValidateFunction>();
function branchOf(branches: SchemaNode[], value: unknown): SchemaNode | undefined {
  return branches.find((b) => {
    let v = branchValidators.get(b);
    if (!v) branchValidators.set(b, (v = ajv.compile(b)));
    return v(value);
  });
}

/**
 * Checks every reference in a step's arguments (schema nodes marked `x-ref`): clusters and fleets
 * must be declared, and a node must belong to the cluster named beside it (or around it).
 */
function walkRefs(schema: SchemaNode, value: unknown, path: string, clusterName: string | undefined, check: RefCheck): void {
  const union = schema.anyOf ?? schema.oneOf;
  if (union && !schema.properties) {
    const b = branchOf(union, value);
    if (b) walkRefs(b, value, path, clusterName, check);
    return;
  }
  if (typeof value === 'string') {
    if (schema['x-ref'] === 'cluster') check.cluster(value, path);
    else if (schema['x-ref'] === 'fleet') check.fleet(value, path);
    else if (schema['x-ref'] === 'node' && clusterName) check.node(clusterName, value, path);
    return;
  }
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((v, j) => walkRefs(schema.items!, v, `${path}/${j}`, clusterName, check));
    return;
  }
  if (!value || typeof value !== 'object' || !schema.properties) return;
  const o = value as Record<string, unknown>;
  const here = Object.entries(schema.properties).find(([k, p]) => p['x-ref'] === 'cluster' && typeof o[k] === 'string')?.[0];
  const c = here ? (o[here] as string) : clusterName;
  for (const [k, v] of Object.entries(o)) {
    const p = schema.properties[k];
    if (p) walkRefs(p, v, `${path}/${k}`, c, check);
  }
}

/** The source offset of the value (or key) at a JSON path, or of its nearest existing parent. */
function offsetOf(doc: Document, path: string, key: boolean): number {
  const parts = path.split('/').filter(Boolean).map((p) => (/^[0-9]+$/.test(p) ? Number(p) : p));
  for (let n = parts.length; n >= 0; n--) {
    const node = doc.getIn(parts.slice(0, n), true) as Node | undefined;
    if (key && n === parts.length && n > 0) {
      const parent = doc.getIn(parts.slice(0, n - 1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === parts[n - 1]);
        const k = pair?.key as Node | undefined;
        if (k?.range) return k.range[0];
      }
    }
    if (node && (node as { range?: [number, number, number] }).range) return (node as { range: [number, number, number] }).range[0];
  }
  return 0;
}

export type { Step };

/** Offset where flow collections first nest deeper than {@link MAX_SCENARIO_NESTING}, outside quotes and comments. */
function tooDeepAt(text: string): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (comment) {
      if (c === '\n') comment = false;
      continue;
    }
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || (c === "'" && /[\s[{,:]/.test(text[i - 1] ?? ' '))) quote = c;
    else if (c === '#' && /\s/.test(text[i - 1] ?? '\n')) comment = true;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_SCENARIO_NESTING) return i;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return undefined;
}

function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
