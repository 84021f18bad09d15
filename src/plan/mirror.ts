/**
 * Mirror rules (pure): BLOBFERRY_MIRROR_RULES, a JSON list of `{source, destination, options}`
 * where `source` is a container or prefix URL (a SAS in it is used to read) and `destination` a
 * container or prefix URL. A new blob under a rule's source is copied to the same relative name
 * under its destination.
 */
import { BlobferryError } from '../contracts/errors';

export interface MirrorRule {
  source: string;
  destination: string;
  options?: Record<string, unknown>;
}

export function parseMirrorRules(text: string | undefined): MirrorRule[] {
  if (!text) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BlobferryError('CONFIG_INVALID', 'BLOBFERRY_MIRROR_RULES is not JSON: it is a list of {"source": "<container or prefix URL>", "destination": "<URL>", "options": {...}}.');
  }
  if (!Array.isArray(value)) throw new BlobferryError('CONFIG_INVALID', 'BLOBFERRY_MIRROR_RULES must be a JSON list of rules.');
  return value.map((r, i) => {
    const rule = r as Partial<MirrorRule>;
    if (typeof rule?.source !== 'string' || typeof rule.destination !== 'string' || (rule.options !== undefined && (typeof rule.options !== 'object' || rule.options === null))) {
      throw new BlobferryError('CONFIG_INVALID', `BLOBFERRY_MIRROR_RULES rule ${i} needs "source" and "destination" URLs (and "options" may be an object).`);
    }
    return { source: rule.source, destination: rule.destination, ...(rule.options ? { options: rule.options } : {}) };
  });
}

/** A URL's service, container and path, decoded, without query: what two URLs are compared by. */
function key(url: string): string {
  const u = new URL(url);
  let path = u.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // keep it as it is
  }
  return `${u.protocol}//${u.host}${path}`;
}

/** As a prefix: a container URL or a prefix is compared with a trailing slash. */
const asPrefix = (url: string) => (key(url).endsWith('/') ? key(url) : `${key(url)}/`);

/** The rule whose source holds the blob, and the blob's name relative to it. */
export function ruleFor(rules: MirrorRule[], blobUrl: string): { rule: MirrorRule; relative: string } | undefined {
  const blob = key(blobUrl);
  for (const rule of rules) {
    const prefix = asPrefix(rule.source);
    if (blob.startsWith(prefix) && blob.length > prefix.length) return { rule, relative: blob.slice(prefix.length) };
  }
  return undefined;
}

/** Is the blob under some rule's destination (a copy blobferry made, or may make)? */
export function underADestination(rules: MirrorRule[], blobUrl: string): boolean {
  const blob = key(blobUrl);
  return rules.some((rule) => blob.startsWith(asPrefix(rule.destination)));
}

/** The copy a rule makes of a blob: source with the rule's SAS, destination under the rule's destination. */
export function mirrorCopy(match: { rule: MirrorRule; relative: string }, blobUrl: string): { source: string; destination: string; options: Record<string, unknown> } {
  const { rule, relative } = match;
  const withQuery = (url: string, from: string) => {
    const query = new URL(from).search;
    return query ? `${url}${query}` : url;
  };
  const destination = new URL(rule.destination);
  const base = `${destination.origin}${destination.pathname.endsWith('/') ? destination.pathname : `${destination.pathname}/`}`;
  return {
    source: withQuery(blobUrl.split('?')[0], rule.source),
    destination: withQuery(`${base}${relative.split('/').map(encodeURIComponent).join('/')}`, rule.destination),
    options: rule.options ?? {},
  };
}
