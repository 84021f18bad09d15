/**
 * Finding app settings in text, for the cross-check of what the app reads against what infra/
 * sets (test/unit/infraSettings.test.ts). Pure functions over file contents: TypeScript sources
 * (environment reads), Bicep (the keys of its `var ...Settings` objects) and host.json.
 */

/** The shape of a setting name the app uses: what a computed read's candidates must look like. */
const SETTING_NAME = /\b(?:BLOBFERRY|AzureWebJobs\w*|AZURE|AWS|APPLICATIONINSIGHTS|DURABLE)_\w*[A-Za-z0-9]\b/g;
const IDENTIFIER = '[A-Za-z_][A-Za-z0-9_]*';

export interface EnvReads {
  /** Settings read by name. */
  names: string[];
  /** Families read by a name built from a prefix (`env[\`BLOBFERRY_ACCOUNT_KEY_${account}\`]`), as `PREFIX*`. */
  families: string[];
  /** Reads by a computed name (`env[name]`) whose candidate names were not spelled out in the file. */
  unresolved: string[];
}

/**
 * The environment reads in one TypeScript source: `process.env.X`, `env.X` (an `env` parameter,
 * as modules that take `env: NodeJS.ProcessEnv = process.env` read it), `env['X']`, destructuring
 * from `env`, template names (a family), and `env[name]`: then every setting-shaped name spelled
 * in the file (outside comments) is a candidate, since a computed name must come from somewhere.
 */
export function envReads(source: string, file = 'source'): EnvReads {
  const code = withoutComments(source);
  const bare = withoutComments(source, true);
  const names = new Set<string>();
  const families = new Set<string>();
  const unresolved: string[] = [];
  for (const m of bare.matchAll(new RegExp(`\\benv\\s*(?:\\?\\.|\\.)\\s*(${IDENTIFIER})`, 'g'))) names.add(m[1]);
  for (const m of code.matchAll(/\benv\s*(?:\?\.)?\[\s*(['"])([^'"]+)\1\s*\]/g)) names.add(m[2]);
  for (const m of code.matchAll(/\{([^{}]*)\}\s*=\s*(?:process\.)?env\b/g)) {
    for (const part of m[1].split(',')) {
      const name = part.split(':')[0].split('=')[0].trim();
      if (name && !name.startsWith('...')) names.add(name);
    }
  }
  for (const m of code.matchAll(/\benv\s*(?:\?\.)?\[\s*`([^`$]*)\$\{/g)) families.add(`${m[1]}*`);
  for (const m of code.matchAll(new RegExp(`\\benv\\s*(?:\\?\\.)?\\[\\s*(${IDENTIFIER})\\s*\\]`, 'g'))) {
    const candidates = [...code.matchAll(SETTING_NAME)].map((c) => c[0]);
    if (candidates.length === 0) unresolved.push(`${file}:${lineOf(code, m.index ?? 0)}: env[${m[1]}]`);
    for (const name of candidates) names.add(name);
  }
  return { names: [...names].sort(), families: [...families].sort(), unresolved };
}

/** The connection settings the app's bindings name (`connection: 'AzureWebJobsStorage'`). */
export function bindingConnections(source: string): string[] {
  return [...withoutComments(source).matchAll(/\bconnection\s*:\s*(['"])([^'"]+)\1/g)].map((m) => m[2]);
}

export interface HostJsonSettings {
  /** `%NAME%` references in any value. */
  references: string[];
  /** Values of `connectionName` / `connectionStringName` (the settings a storage provider reads). */
  connections: string[];
}

export function hostJsonSettings(hostJson: unknown): HostJsonSettings {
  const references = new Set<string>();
  const connections = new Set<string>();
  const walk = (value: unknown, key: string): void => {
    if (typeof value === 'string') {
      for (const m of value.matchAll(/%([^%]+)%/g)) references.add(m[1]);
      if (/^connection(String)?Name$/i.test(key)) connections.add(value);
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, k);
    }
  };
  walk(hostJson, '');
  return { references: [...references].sort(), connections: [...connections].sort() };
}

/** Does host.json have the section a path names (case-insensitively, as the host reads it)? */
export function hostJsonHas(hostJson: unknown, path: string[]): boolean {
  let at: unknown = hostJson;
  for (const segment of path) {
    if (!at || typeof at !== 'object') return false;
    const key = Object.keys(at).find((k) => k.toLowerCase() === segment.toLowerCase());
    if (key === undefined) return false;
    at = (at as Record<string, unknown>)[key];
  }
  return true;
}

export interface BicepSetting {
  name: string;
  /** The value's text; for a plain string literal, the string. */
  value: string;
}

/** A Bicep syntax tree node, as tree-sitter gives it. */
export interface BicepNode {
  type: string;
  text: string;
  isMissing: boolean;
  startPosition: { row: number; column: number };
  children: BicepNode[];
  namedChildren: BicepNode[];
  childForFieldName(field: string): BicepNode | null;
}

// tree-sitter and its Bicep grammar (dev dependencies, CommonJS native modules): the only Bicep parser that installs from npm alone.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Parser = require('tree-sitter') as new () => { setLanguage(language: unknown): void; parse(text: string, old?: unknown, options?: { bufferSize: number }): { rootNode: BicepNode } };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const BICEP = require('tree-sitter-bicep') as unknown;

export function parseBicep(text: string): BicepNode {
  const parser = new Parser();
  parser.setLanguage(BICEP);
  return parser.parse(text, undefined, { bufferSize: 1 << 22 }).rootNode;
}

/**
 * The app settings a Bicep file sets: the top-level keys of every object literal in its
 * `var <name>Settings = ...` declarations (a ternary's branches and a call's arguments included,
 * as in `union(a, { ... })`); the keys of objects nested in a value are not settings.
 */
export function bicepSettings(bicep: string): BicepSetting[] {
  return parseBicep(bicep)
    .namedChildren.filter((node) => node.type === 'variable_declaration' && /Settings$/.test(node.namedChildren[0]?.text ?? ''))
    .flatMap((declaration) => settingObjects(declaration.namedChildren[1]))
    .flatMap((object) => object.namedChildren.filter((child) => child.type === 'object_property'))
    .map((property) => ({ name: stringValue(property.namedChildren[0]), value: stringValue(property.namedChildren[1]) }));
}

/** The object literals a declaration's value is made of. */
function settingObjects(node: BicepNode | undefined): BicepNode[] {
  if (!node) return [];
  if (node.type === 'object') return [node];
  if (node.type === 'ternary_expression') return [node.childForFieldName('consequence'), node.childForFieldName('alternative')].flatMap((n) => settingObjects(n ?? undefined));
  if (node.type === 'call_expression') return (node.childForFieldName('arguments')?.namedChildren ?? []).flatMap(settingObjects);
  if (node.type === 'parenthesized_expression') return node.namedChildren.flatMap(settingObjects);
  return [];
}

/** A plain string literal's content (no interpolation); any other node's source text. */
function stringValue(node: BicepNode): string {
  const plain = node.type === 'string' && node.namedChildren.every((child) => child.type === 'string_content');
  return plain ? node.namedChildren.map((child) => child.text).join('') : node.text;
}

/**
 * The text with `//` and `/* *\/` comments blanked (newlines kept, so line numbers hold). Strings
 * ('...', "...", `...`) are kept, so a URL's `//` is not a comment; with `blankStrings`, their
 * contents are blanked too (a template's `${...}` expressions stay: they are code).
 */
export function withoutComments(text: string, blankStrings = false): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += blank(text.slice(i, stop));
      i = stop;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let body = '';
      while (j < text.length && text[j] !== c && !(c !== '`' && text[j] === '\n')) {
        if (text[j] === '\\') {
          body += blankStrings ? '  ' : text.slice(j, j + 2);
          j += 2;
        } else if (c === '`' && text.startsWith('${', j)) {
          const end = text.indexOf('}', j);
          const stop = end < 0 ? text.length : end + 1;
          body += text.slice(j, stop);
          j = stop;
        } else {
          body += blankStrings ? blank(text[j]) : text[j];
          j++;
        }
      }
      out += c + body + (j < text.length ? c : '');
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}
