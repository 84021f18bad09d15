/**
 * HTTP trigger routes as the Functions host reads them (ASP.NET route templates):
 * literal segments (case-insensitive), `{name}`, optional `{name?}`, catch-all `{*rest}`, and
 * the constraints int, long, alpha, bool, guid (`{id:int}`).
 */
import { BlobferryError } from '../../contracts/errors';

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string; optional: boolean; catchAll: boolean; constraint?: (v: string) => boolean };

const CONSTRAINTS: Record<string, (v: string) => boolean> = {
  int: (v) => /^-?\d+$/.test(v),
  long: (v) => /^-?\d+$/.test(v),
  alpha: (v) => /^[A-Za-z]+$/.test(v),
  bool: (v) => /^(true|false)$/i.test(v),
  guid: (v) => /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(v),
};

export class RouteTemplate {
  private readonly segments: Segment[];

  constructor(readonly template: string) {
    const parts = template.replace(/^\/+|\/+$/g, '').split('/').filter((p) => p.length > 0);
    this.segments = parts.map((part, index) => {
      const m = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?(\?)?\}$/.exec(part);
      if (!m) {
        if (part.includes('{') || part.includes('}')) throw new BlobferryError('CONFIG_INVALID', `Route "${template}": segment "${part}" is not supported; use literal text or one {parameter} per segment.`);
        return { kind: 'literal', text: part.toLowerCase() };
      }
      const [, star, name, constraintName, optional] = m;
      if (star && index !== parts.length - 1) throw new BlobferryError('CONFIG_INVALID', `Route "${template}": a catch-all parameter must be the last segment.`);
      const constraint = constraintName ? CONSTRAINTS[constraintName] : undefined;
      if (constraintName && !constraint) throw new BlobferryError('CONFIG_INVALID', `Route "${template}": constraint "${constraintName}" is not supported (use ${Object.keys(CONSTRAINTS).join(', ')}).`);
      return { kind: 'param', name, optional: Boolean(optional) || Boolean(star), catchAll: Boolean(star), constraint };
    });
  }

  /** Route parameters if `path` (decoded segments, without the route prefix) matches, else undefined. */
  match(pathSegments: string[]): Record<string, string> | undefined {
    const params: Record<string, string> = {};
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i];
      const value = pathSegments[i];
      if (segment.kind === 'literal') {
        if (value === undefined || value.toLowerCase() !== segment.text) return undefined;
        continue;
      }
      if (segment.catchAll) {
        const rest = pathSegments.slice(i).join('/');
        if (rest) params[segment.name] = rest;
        return params;
      }
      if (value === undefined) {
        if (!segment.optional) return undefined;
        continue;
      }
      if (segment.constraint && !segment.constraint(value)) return undefined;
      params[segment.name] = value;
    }
    return pathSegments.length <= this.segments.length ? params : undefined;
  }

  /** More literal segments first, so `copies/stats` wins over `copies/{id}`. */
  get specificity(): number {
    return this.segments.reduce((n, s) => n * 4 + (s.kind === 'literal' ? 3 : s.catchAll ? 0 : s.optional ? 1 : 2), 1);
  }
}
