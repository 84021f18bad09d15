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

/**
 * The app settings a Bicep file sets: the top-level keys of every object literal in its
 * `var <name>Settings = ...` declarations (a ternary's branches included).
 */
export function bicepSettings(bicep: string): BicepSetting[] {
  const code = withoutComments(bicep);
  const out: BicepSetting[] = [];
  for (const m of code.matchAll(new RegExp(`^var\\s+${IDENTIFIER}Settings\\s*=`, 'gm'))) {
    const start = (m.index ?? 0) + m[0].length;
    out.push(...objectEntries(code, start));
  }
  return out;
}

/**
 * The top-level entries of the object literals in the declaration starting at `start`, which ends
 * with the first line break outside brackets. Entries of nested objects (a value's) are not keys.
 */
function objectEntries(code: string, start: number): BicepSetting[] {
  const entries: BicepSetting[] = [];
  const open: string[] = [];
  let entry: { name: string; from: number } | undefined;
  const inTopObject = () => open[open.length - 1] === '{' && open.filter((b) => b === '{').length === 1;
  const close = (end: number) => {
    if (entry) entries.push({ name: entry.name, value: literal(code.slice(entry.from, end).trim()) });
    entry = undefined;
  };
  const keyAt = (from: number) => {
    const key = new RegExp(`^\\s*(?:'([^']+)'|(${IDENTIFIER}))\\s*:`).exec(code.slice(from));
    entry = key ? { name: key[1] ?? key[2], from: from + key[0].length } : undefined;
    return key ? from + key[0].length : from;
  };
  for (let i = start; i < code.length; i++) {
    const c = code[i];
    if (c === "'") {
      i = skipString(code, i) - 1;
    } else if (c === '{' || c === '[' || c === '(') {
      open.push(c);
      if (inTopObject()) i = keyAt(i + 1) - 1;
    } else if (c === '}' || c === ']' || c === ')') {
      if (inTopObject()) close(i);
      open.pop();
    } else if (c === '\n' && open.length === 0) {
      break;
    } else if ((c === '\n' || c === ',') && inTopObject()) {
      close(i);
      i = keyAt(i + 1) - 1;
    }
  }
  return entries;
}

function literal(text: string): string {
  const m = /^'((?:[^'\\$]|\\.|\$(?!\{))*)'$/.exec(text);
  return m ? m[1] : text;
}

/** Index after a Bicep string starting at `at` ('...' with ${...} interpolations, or '''...'''). */
function skipString(code: string, at: number): number {
  if (code.startsWith("'''", at)) {
    const end = code.indexOf("'''", at + 3);
    return end < 0 ? code.length : end + 3;
  }
  let i = at + 1;
  while (i < code.length && code[i] !== "'") {
    if (code[i] === '\\') i += 2;
    else if (code.startsWith('${', i)) {
      let depth = 1;
      i += 2;
      while (i < code.length && depth > 0) {
        if (code[i] === "'") i = skipString(code, i);
        else {
          if (code[i] === '{') depth++;
          else if (code[i] === '}') depth--;
          i++;
        }
      }
    } else i++;
  }
  return i + 1;
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
