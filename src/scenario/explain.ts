import type { ErrorObject } from 'ajv';
import { closest } from '../shared/suggest.js';
import { durationFix } from './steps/common.js';

/**
 * Schema errors in words (issue 18: users saw raw regexes, "must NOT have fewer than 2
 * properties", and an unquoted `11.5` read as a number). Each of Ajv's errors becomes what is
 * wrong, in the file's own terms, and how to fix it: the value quoted when YAML read it as a
 * number, the nearest allowed value when a word is a slip, an example from the schema otherwise.
 * Union errors are reduced to the branch the value was evidently written for, so a selector with
 * a misspelt key says so instead of listing every form it could have taken.
 *
 * Schema nodes may carry `x-values` (the names a pattern stands for, such as the releases) so
 * that a pattern mismatch gets a did-you-mean like an enum does.
 */
export interface Explained {
  /** JSON path below the validated value. */
  path: string;
  message: string;
  hint?: string;
  /** True when the problem is a key (points at the key rather than its value). */
  key: boolean;
}

type SchemaNode = {
  description?: string; examples?: unknown[]; enum?: unknown[]; 'x-values'?: string[]; pattern?: string;
  properties?: Record<string, SchemaNode>; required?: string[]; propertyNames?: SchemaNode;
  anyOf?: SchemaNode[]; oneOf?: SchemaNode[]; items?: SchemaNode; type?: string | string[];
};

/** Explains a validator's errors; `root` names the validated value in messages ("the scenario", "regenerate"). */
export function explainErrors(errors: readonly ErrorObject[] | null | undefined, root: string): Explained[] {
  const seen = new Set<string>();
  return simplify(withoutEchoes(errors ?? [])).map((e) => explain(e, root)).filter((x) => {
    const id = `${x.path}\u0000${x.message}`;
    return !seen.has(id) && seen.add(id);
  });
}

/**
 * Drops errors that repeat another: a format behind a failed pattern, and the inner errors of
 * `propertyNames` (Ajv reports both the property name and why it failed).
 */
function withoutEchoes(list: readonly ErrorObject[]): ErrorObject[] {
  return list.filter((e) =>
    !(e.keyword === 'format' && list.some((o) => o !== e && o.keyword === 'pattern' && o.instancePath === e.instancePath)) &&
    !e.schemaPath.includes('/propertyNames/'));
}

const isUnion = (e: ErrorObject): boolean => e.keyword === 'anyOf' || e.keyword === 'oneOf';
const within = (e: ErrorObject, u: ErrorObject): boolean =>
  e.schemaPath.startsWith(`${u.schemaPath}/`) && (e.instancePath === u.instancePath || e.instancePath.startsWith(`${u.instancePath}/`));

/** Replaces each union's errors, outermost first, by those of the branch the value was meant for. */
function simplify(list: ErrorObject[]): ErrorObject[] {
  const union = list.filter(isUnion).sort((a, b) => a.schemaPath.length - b.schemaPath.length)[0];
  if (!union) return list;
  const inside = list.filter((e) => within(e, union));
  const rest = list.filter((e) => e !== union && !within(e, union));
  return [...simplify(rest), ...simplify(branchErrors(union, inside))].sort((a, b) => a.instancePath.localeCompare(b.instancePath));
}

const depth = (e: ErrorObject): number => e.instancePath.split('/').length;

function branchErrors(union: ErrorObject, inside: ErrorObject[]): ErrorObject[] {
  const branches = (union.schema as SchemaNode[]) ?? [];
  const whole = (extra: Record<string, unknown>): ErrorObject[] => [{ ...union, keyword: 'x-union', params: extra }];
  if (branches.length && branches.every((b) => Object.keys(b).every((k) => k === 'required'))) return whole({ forms: branches.map((b) => b.required ?? []) });
  const of = (i: number): ErrorObject[] => inside.filter((e) => e.schemaPath.startsWith(`${union.schemaPath}/${i}/`));
  const fits = branches.map((_, i) => i).filter((i) => !of(i).some((e) => e.schemaPath === `${union.schemaPath}/${i}/type`));
  if (!fits.length) return whole({});
  const best = fits.sort((a, b) => Math.max(...of(b).map(depth), 0) - Math.max(...of(a).map(depth), 0) || of(a).length - of(b).length)[0]!;
  const errs = of(best);
  // A scalar that fits no branch (count: lots) reads better as the union's own description.
  if (errs.every((e) => e.instancePath === union.instancePath && (isUnion(e) || ['enum', 'const', 'type', 'pattern'].includes(e.keyword)))) return whole({ values: enumsOf(branches) });
  return errs;
}

function enumsOf(branches: SchemaNode[]): string[] {
  return branches.flatMap((b) => [...(b.enum ?? []).map(String), ...enumsOf([...(b.anyOf ?? []), ...(b.oneOf ?? [])])]);
}

const show = (v: unknown): string => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v));

/**
 * What a path names in a message: its last key ("release"), or for an item of a list, the item
 * by its name where it has one ('cluster "A"'), so that "needs release" says whose.
 */
function labelOf(path: string, root: string, data: unknown): string {
  const parts = path.split('/').filter(Boolean);
  const last = parts[parts.length - 1];
  if (last === undefined) return root;
  if (!/^[0-9]+$/.test(last)) return last;
  const list = parts.slice(0, -1).filter((p) => !/^[0-9]+$/.test(p)).pop() ?? root;
  const one = list.endsWith('s') ? list.slice(0, -1) : `${list} item`;
  const name = (data as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? `${one} "${name}"` : `${one} ${Number(last) + 1}`;
}
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const exampleOf = (s: SchemaNode | undefined): unknown => s?.examples?.[0];

/** A value as YAML flow text: plain where YAML would read it back the same, quoted where not. */
function flow(v: unknown): string {
  if (typeof v === 'string') return /^[0-9.+-]+$|^(true|false|null|yes|no|on|off|~)$/i.test(v) || /[:#{}[\],&*!|>'"%@`]|^\s|\s$|^$/.test(v) ? JSON.stringify(v) : v;
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  if (v && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${flow(k)}: ${flow(x)}`).join(', ')} }`;
  return String(v);
}

/** One line of YAML that sets `key` to `value`, the way a person would write it. */
const yamlLine = (key: string, value: unknown): string => `${key}: ${flow(value)}`;

function explain(e: ErrorObject, root: string): Explained {
  const key = labelOf(e.instancePath, root, e.data);
  const item = /\/[0-9]+$/.test(e.instancePath);
  const line = (v: unknown): string => (item ? yamlLine('-', v).replace(/^-: /, '- ') : yamlLine(key, v));
  const schema = e.parentSchema as SchemaNode | undefined;
  const value = e.data;
  const out = (message: string, hint?: string, path = e.instancePath, isKey = false): Explained => ({ path, message, ...(hint ? { hint } : {}), key: isKey });
  const example = exampleOf(schema);
  const eg = example !== undefined ? `e.g. ${line(example)}` : undefined;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      const missing = p['missingProperty'] as string;
      const child = schema?.properties?.[missing];
      const ex = exampleOf(child);
      const what = child?.description ? `: ${child.description}` : '';
      return out(`${key} needs "${missing}"${what}`, ex !== undefined ? `add ${yamlLine(missing, ex)}` : undefined);
    }
    case 'additionalProperties': {
      const bad = p['additionalProperty'] as string;
      const props = Object.keys(schema?.properties ?? {});
      const near = closest(bad, props);
      return out(`${key} has no key "${bad}"`, near ? `did you mean "${near}"?` : `its keys are: ${props.join(', ')}`, `${e.instancePath}/${bad}`, true);
    }
    case 'propertyNames': {
      const bad = p['propertyName'] as string;
      const names = ((e.schema as SchemaNode | undefined)?.enum ?? []).map(String);
      const near = closest(bad, names);
      return out(`${key}: "${bad}" is not ${(e.schema as SchemaNode | undefined)?.description ?? 'a name it takes'}`, near ? `did you mean "${near}"?` : `one of: ${names.join(', ')}`, `${e.instancePath}/${bad}`, true);
    }
    case 'type': return typeProblem(key, value, String(p['type']), eg, line, out);
    case 'enum': case 'const': {
      const allowed = (p['allowedValues'] as unknown[] | undefined) ?? [p['allowedValue']];
      const near = typeof value === 'string' ? closest(value, allowed.map(String)) : undefined;
      if (near !== undefined) return out(`${key} cannot be ${show(value)}`, `did you mean ${line(near)}?`);
      return out(`${key} cannot be ${show(value)}; it is one of ${allowed.map(show).join(', ')}`);
    }
    case 'pattern': {
      if ((schema as { format?: string } | undefined)?.format === 'trustlab-duration') return durationProblem(key, value, out);
      const values = schema?.['x-values'];
      const near = typeof value === 'string' && values ? closest(value, values) : undefined;
      const fix = near ?? (typeof value === 'string' ? repaired(value, String(p['pattern'])) : undefined);
      const rule = values ? `; it takes ${values.join(', ')}` : schema?.description ? `; it must be ${schema.description}` : '';
      return out(`${key} cannot be ${show(value)}${rule}`, fix !== undefined ? `did you mean ${line(fix)}?` : eg);
    }
    case 'format': {
      if (p['format'] === 'trustlab-start') return out(`${key} ${show(value)} must be an ISO 8601 time between 1970 and 2100`, 'e.g. start: "2026-01-01T00:00:00Z"');
      return durationProblem(key, value, out);
    }
    case 'minProperties': {
      if (e.instancePath.match(/^\/steps\/[0-9]+$/)) return out('this step is empty: a step needs an action', 'e.g. - boot: phones; docs/scenario-steps.md lists the steps');
      return out(`${key} is empty; it needs at least ${plural(Number(p['limit']), 'entry', 'entries')}`, eg);
    }
    case 'maxProperties': return out(`${key} has more than ${plural(Number(p['limit']), 'entry', 'entries')}`);
    case 'minItems': return out(`${key} needs at least ${plural(Number(p['limit']), 'item')}`, eg);
    case 'maxItems': return out(`${key} has ${(value as unknown[]).length} items; at most ${p['limit']} are allowed`);
    case 'uniqueItems': return out(`${key} lists ${show((value as unknown[])[Number(p['i'])])} twice`, 'remove the repeat');
    case 'minimum': case 'exclusiveMinimum': return out(`${key} ${show(value)} is too small; the least it can be is ${p['limit']}`);
    case 'maximum': case 'exclusiveMaximum': return out(`${key} ${show(value)} is too large; the most it can be is ${p['limit']}`);
    case 'minLength': return out(`${key} is empty`, eg);
    case 'maxLength': return out(`${key} is longer than ${plural(Number(p['limit']), 'character')}`);
    case 'x-union': {
      const forms = p['forms'] as string[][] | undefined;
      if (forms) return out(`${key} must say which one: ${forms.map((f) => f.join(' + ')).join(', or ')}`);
      const values = (p['values'] as string[] | undefined) ?? [];
      const near = typeof value === 'string' ? closest(value, values) : undefined;
      const what = schema?.description ?? 'one of the forms this key takes';
      return out(`${key} ${show(value)} is not ${what}`, near !== undefined ? `did you mean ${line(near)}?` : eg);
    }
    default: return out(`${key} ${e.message ?? 'is invalid'}`);
  }
}

function durationProblem(key: string, value: unknown, out: (m: string, h?: string) => Explained): Explained {
  const fix = typeof value === 'string' ? durationFix(value) : undefined;
  return out(`${key} ${show(value)} is not a duration of at most 100y`, fix ? `did you mean ${key}: ${fix}?` : 'write a number and ms, s, m, h, d or y, e.g. 30s, 24h, 5y');
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'text', integer: 'a whole number', number: 'a number', boolean: 'true or false', array: 'a list', object: 'a mapping of keys to values', null: 'empty',
};

function typeProblem(key: string, value: unknown, expected: string, eg: string | undefined, line: (v: unknown) => string, out: (m: string, h?: string) => Explained): Explained {
  const want = expected.split(',').map((t) => TYPE_WORDS[t] ?? t).join(' or ');
  if (value === null) return out(`${key} has no value; it must be ${want}`, eg);
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
    return out(`${key} must be text, but YAML reads ${String(value)} as a ${typeof value}`, `quote it: ${line(String(value))}`);
  }
  if ((expected === 'integer' || expected === 'number') && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return out(`${key} must be ${want}, but ${show(value)} is quoted, so it is text`, `drop the quotes: ${line(Number(value))}`);
  }
  if (expected === 'integer' && typeof value === 'number') return out(`${key} ${value} must be ${want}`, `e.g. ${line(Math.round(value))}`);
  if (expected === 'array' && (typeof value === 'string' || typeof value === 'number')) return out(`${key} must be a list`, `e.g. ${line([value])}`);
  return out(`${key} must be ${want}, not ${Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : show(value)}`, eg);
}

/**
 * A value that breaks a name pattern only by spaces or stray characters ("B c"), mended by
 * replacing each with "-", if the result fits the pattern; undefined otherwise.
 */
function repaired(value: string, pattern: string): string | undefined {
  const re = new RegExp(pattern);
  const fix = value.trim().replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return fix && fix !== value && re.test(fix) ? fix : undefined;
}
