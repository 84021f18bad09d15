/**
 * Binding expressions in binding paths (`backups/{name}-{rand-guid}.json`), as the WebJobs SDK
 * reads and evaluates them (BindingTemplateParser, BindingTemplateToken, BindingParameterResolver,
 * BindingDataPathHelper):
 *
 * - `{{` and `}}` are literal braces; a lone brace is an error; `{}` is an error;
 * - `{a.b.c}` looks `a` up in the trigger's binding data (case-insensitive), then each property
 *   (case-insensitive too); `{name:format}` formats the value;
 * - binding data wins; if a name is not there, `rand-guid` and `DateTime` (any case, matched as a
 *   prefix of the expression, as the SDK does) give a new GUID and the current UTC time; `sys.randGuid`,
 *   `sys.utcNow` and `sys.methodName` are always there;
 * - a DateTime is written `yyyy-MM-ddTHH-mm-ssK` (2024-05-01T10-00-00Z) unless a format is given,
 *   a GUID as 8-4-4-4-12 lowercase hex (formats N, D, B, P); JSON objects and arrays have no text.
 *
 * `%Setting%` references are resolved when the function is registered, as the host's name
 * resolver does at indexing (resolveSettingRefs in hostConfig.ts).
 */
import { randomUUID } from 'node:crypto';
import { BlobferryError } from '../../contracts/errors';

export type TemplatePart = { literal: string } | { expression: Expression };

export interface Expression {
  /** The text between the braces, for messages. */
  text: string;
  /** The dotted path: `a.b.c` -> [a, b, c]. */
  path: string[];
  format?: string;
  /** The builtin this expression may stand for when the binding data has no such name. */
  builtin?: 'rand-guid' | 'datetime';
}

/** Binding data: names (case-insensitive) to values: strings, numbers, booleans, Dates, JSON values. */
export type BindingData = ReadonlyMap<string, unknown>;

// A C# identifier, plus '.' and '-' as the SDK allows in expressions.
const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Nd}\p{Pc}\p{Mn}\p{Mc}\p{Cf}.-]*$/u;
const BUILTINS = ['rand-guid', 'datetime'] as const;

/** Parses a path template; a malformed one is a FormatException in the SDK, a clear error here. */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  const token = /(\{\{|\}\})|\{([^{}]*)\}|([^{}]+)|([{}])/g;
  for (let m = token.exec(template); m; m = token.exec(template)) {
    if (m[1]) parts.push({ literal: m[1][0] });
    else if (m[2] !== undefined) parts.push({ expression: parseExpression(m[2], template) });
    else if (m[3]) parts.push({ literal: m[3] });
    else throw new BlobferryError('CONFIG_INVALID', `Invalid template '${template}': missing ${m[4] === '{' ? 'closing' : 'opening'} bracket at position ${m.index + 1}.`);
  }
  return parts;
}

function parseExpression(text: string, template: string): Expression {
  if (text.length === 0) throw new BlobferryError('CONFIG_INVALID', `Invalid template '${template}': an expression between braces is empty.`);
  const builtin = BUILTINS.find((name) => text.toLowerCase().startsWith(name));
  let name = text;
  let format: string | undefined;
  const colon = text.indexOf(':');
  if (builtin) {
    // The SDK reads a builtin's format itself, only right after its exact name.
    if (text.length > builtin.length && text[builtin.length] === ':') format = text.slice(builtin.length + 1);
  } else if (colon > 0) {
    name = text.slice(0, colon);
    format = text.slice(colon + 1);
  }
  if (!builtin && !IDENTIFIER.test(name)) throw new BlobferryError('CONFIG_INVALID', `Invalid template '${template}': '{${text}}' is not a valid expression (a name, or dotted names like body.id).`);
  const path = name.split('.');
  if (!builtin && path[0].includes('-')) throw new BlobferryError('CONFIG_INVALID', `Invalid template '${template}': the parameter name '${path[0]}' is invalid.`);
  if (path.some((p) => p.trim().length === 0)) throw new BlobferryError('CONFIG_INVALID', `Invalid template '${template}': '{${text}}' has an empty name between dots.`);
  return { text, path, format: format?.trim() ? format : undefined, builtin };
}

/** The expressions of a template. */
export function expressionsOf(parts: TemplatePart[]): Expression[] {
  return parts.flatMap((p) => ('expression' in p ? [p.expression] : []));
}

/** Whether an expression needs binding data (a builtin or sys.* does not). */
export function needsTriggerData(expression: Expression): boolean {
  return !expression.builtin && expression.path[0].toLowerCase() !== 'sys';
}

/**
 * The template's text for one invocation. An expression the data cannot give fails the
 * invocation with the expression named ("No value for named parameter", as the SDK says).
 */
export function evaluateTemplate(parts: TemplatePart[], data: BindingData, methodName: string): string {
  return parts.map((part) => ('literal' in part ? part.literal : evaluate(part.expression, data, methodName))).join('');
}

function evaluate(expression: Expression, data: BindingData, methodName: string): string {
  const [first, ...rest] = expression.path;
  let value: unknown;
  const found = lookup(data, first);
  if (found.exists) {
    value = found.value;
    for (const name of rest) {
      const next = lookup(value, name);
      if (!next.exists) throw new BlobferryError('BAD_REQUEST', `Binding expression {${expression.text}}: error while accessing '${name}': property doesn't exist.`);
      value = next.value;
    }
  } else if (expression.builtin) {
    value = expression.builtin === 'rand-guid' ? randomUUID() : new Date();
    if (expression.builtin === 'rand-guid') return formatGuid(value as string, expression.format, expression.text);
  } else if (first.toLowerCase() === 'sys') {
    value = systemValue(rest, methodName, expression.text);
  } else {
    throw new BlobferryError('BAD_REQUEST', `Binding expression {${expression.text}}: no value for named parameter '${first}' in the trigger's data.`);
  }
  return toText(value, expression);
}

function systemValue(path: string[], methodName: string, text: string): unknown {
  const property = path.length === 1 ? path[0].toLowerCase() : undefined;
  if (property === 'randguid') return { guid: randomUUID() };
  if (property === 'utcnow') return new Date();
  if (property === 'methodname') return methodName;
  throw new BlobferryError('BAD_REQUEST', `Binding expression {${text}}: sys has randGuid, utcNow and methodName only.`);
}

/** A case-insensitive property lookup on binding data (a Map) or a JSON object. */
function lookup(scope: unknown, name: string): { exists: boolean; value?: unknown } {
  const key = name.toLowerCase();
  if (scope instanceof Map) {
    for (const [k, v] of scope) if (String(k).toLowerCase() === key) return { exists: true, value: v };
    return { exists: false };
  }
  if (scope && typeof scope === 'object' && !Array.isArray(scope) && !(scope instanceof Date)) {
    for (const [k, v] of Object.entries(scope)) if (k.toLowerCase() === key) return { exists: true, value: v };
  }
  return { exists: false };
}

/** BindingDataPathHelper.ConvertParameterValueToString; no text (objects, arrays) is an error. */
function toText(value: unknown, expression: Expression): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  // A JSON boolean prints as .NET prints it.
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null) return '';
  if (value instanceof Date) return formatDate(value, expression.format ?? 'yyyy-MM-ddTHH-mm-ssK', expression.text);
  if (value && typeof value === 'object' && 'guid' in value) return formatGuid(String((value as { guid: string }).guid), expression.format, expression.text);
  throw new BlobferryError('BAD_REQUEST', `Binding expression {${expression.text}}: the value is a JSON ${Array.isArray(value) ? 'array' : 'object'}, which has no text to put in a path.`);
}

function formatGuid(guid: string, format: string | undefined, text: string): string {
  const hex = guid.replace(/-/g, '');
  switch ((format ?? 'D').toUpperCase()) {
    case 'D':
      return guid;
    case 'N':
      return hex;
    case 'B':
      return `{${guid}}`;
    case 'P':
      return `(${guid})`;
    default:
      throw new BlobferryError('BAD_REQUEST', `Binding expression {${text}}: GUID format '${format}' is not one of N, D, B, P.`);
  }
}

/** The letters .NET reads as date and time specifiers (the others are copied as they are). */
const NET_DATE_SPECIFIERS = 'dfFghHKmMstyz';

/** .NET custom date and time format strings, the specifiers paths use (in UTC). */
function formatDate(date: Date, format: string, text: string): string {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const specifiers: Record<string, () => string> = {
    yyyy: () => pad(date.getUTCFullYear(), 4),
    yy: () => pad(date.getUTCFullYear() % 100, 2),
    MM: () => pad(date.getUTCMonth() + 1, 2),
    M: () => String(date.getUTCMonth() + 1),
    dd: () => pad(date.getUTCDate(), 2),
    d: () => String(date.getUTCDate()),
    HH: () => pad(date.getUTCHours(), 2),
    H: () => String(date.getUTCHours()),
    mm: () => pad(date.getUTCMinutes(), 2),
    m: () => String(date.getUTCMinutes()),
    ss: () => pad(date.getUTCSeconds(), 2),
    s: () => String(date.getUTCSeconds()),
    fff: () => pad(date.getUTCMilliseconds(), 3),
    ff: () => pad(Math.floor(date.getUTCMilliseconds() / 10), 2),
    f: () => String(Math.floor(date.getUTCMilliseconds() / 100)),
    K: () => 'Z',
  };
  let out = '';
  for (let i = 0; i < format.length; ) {
    const quote = format[i];
    if (quote === "'" || quote === '"') {
      const end = format.indexOf(quote, i + 1);
      if (end < 0) throw new BlobferryError('BAD_REQUEST', `Binding expression {${text}}: unterminated quote in the date format.`);
      out += format.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (quote === '\\') {
      out += format[i + 1] ?? '';
      i += 2;
      continue;
    }
    const run = /^(.)\1*/.exec(format.slice(i))![0];
    if (specifiers[run]) out += specifiers[run]();
    else if (NET_DATE_SPECIFIERS.includes(quote)) throw new BlobferryError('BAD_REQUEST', `Binding expression {${text}}: the date format '${run}' is not supported by the local host (use yyyy, yy, MM, M, dd, d, HH, H, mm, m, ss, s, fff, ff, f, K).`);
    else out += run; // .NET copies any other character, letters like T included
    i += run.length;
  }
  return out;
}
