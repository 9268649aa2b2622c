/**
 * Kubernetes label selectors in their string form (`kubectl -l`, `?labelSelector=`): parsed once,
 * checked for syntax, matched against an object's labels exactly as the apiserver matches them, and
 * put in one canonical form (the same selection always has the same text, whatever the spacing or the
 * order of its requirements).
 *
 * Supported: `key=value`, `key==value`, `key!=value`, `key in (v1,v2)`, `key notin (v1,v2)`, `key`
 * (exists), `!key` (does not exist), joined by commas (all must hold). `<` and `>` are refused: they
 * compare integers, not shard names.
 */

/** One requirement of a selector. */
export type LabelRequirement =
  { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | 'notexists' };

/** A parsed selector: its canonical text and a matcher. */
export interface LabelSelector {
  /** The canonical form (requirements and `in` values sorted, no spaces): a valid selector itself. */
  readonly text: string;
  readonly requirements: readonly LabelRequirement[];
  /** Whether an object with `labels` is selected (an empty selector selects everything). */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Throws unless `key` is a valid label key (`[prefix/]name`). */
function checkKey(key: string): void {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (!NAME.test(name) || (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))))
    throw new Error(`${JSON.stringify(key)} is not a valid label key`);
}

/** Throws unless `value` is a valid label value (empty, or a name of at most 63 characters). */
function checkValue(value: string): void {
  if (value !== '' && !NAME.test(value))
    throw new Error(`${JSON.stringify(value)} is not a valid label value`);
}

/** Splits at commas that are not inside parentheses. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
    if (depth < 0 || depth > 1) throw new Error('unbalanced parentheses');
  }
  if (depth !== 0) throw new Error('unbalanced parentheses');
  parts.push(text.slice(start));
  return parts;
}

function parseRequirement(raw: string): LabelRequirement {
  const r = raw.trim();
  if (r === '') throw new Error('empty requirement');
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(r);
  if (set) {
    const key = set[1] ?? '';
    checkKey(key);
    const values = (set[3] ?? '').split(',').map((v) => v.trim());
    for (const v of values) checkValue(v);
    return { key, op: set[2] === 'in' ? 'in' : 'notin', values: [...new Set(values)].sort() };
  }
  const cmp = /^([^=!<>\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(r);
  if (cmp) {
    const key = cmp[1] ?? '';
    checkKey(key);
    const value = cmp[3] ?? '';
    checkValue(value);
    return { key, op: cmp[2] === '!=' ? 'notin' : 'in', values: [value] };
  }
  if (/[<>]/.test(r)) throw new Error(`${JSON.stringify(r)}: the operators < and > are not supported`);
  const not = r.startsWith('!');
  const key = (not ? r.slice(1) : r).trim();
  checkKey(key);
  return { key, op: not ? 'notexists' : 'exists' };
}

function render(q: LabelRequirement): string {
  switch (q.op) {
    case 'exists':
      return q.key;
    case 'notexists':
      return `!${q.key}`;
    case 'in':
      return q.values.length === 1 ? `${q.key}=${q.values[0]}` : `${q.key} in (${q.values.join(',')})`;
    case 'notin':
      return q.values.length === 1 ? `${q.key}!=${q.values[0]}` : `${q.key} notin (${q.values.join(',')})`;
  }
}

function holds(q: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, q.key);
  switch (q.op) {
    case 'exists':
      return has;
    case 'notexists':
      return !has;
    case 'in':
      return has && q.values.includes(labels[q.key] ?? '');
    case 'notin':
      return !has || !q.values.includes(labels[q.key] ?? '');
  }
}

/**
 * Parses a selector. Throws an `Error` naming the faulty requirement on bad syntax, an invalid key
 * or value. An empty or blank text is the empty selector (selects everything, canonical text `''`).
 */
export function parseLabelSelector(text: string): LabelSelector {
  const trimmed = text.trim();
  const requirements: LabelRequirement[] = [];
  try {
    if (trimmed !== '') for (const raw of splitTop(trimmed)) requirements.push(parseRequirement(raw));
  } catch (e) {
    throw new Error(`label selector ${JSON.stringify(text)}: ${(e as Error).message}`);
  }
  const rendered = [...new Set(requirements.map(render))].sort();
  return {
    text: rendered.join(','),
    requirements,
    matches: (labels) => requirements.every((q) => holds(q, labels ?? {})),
  };
}
