/**
 * The documented bounds on what callers send (docs/security.md "Limits"): large enough for any
 * real copy, small enough that one request cannot fill the task hub, the logs or the CPU.
 */
export const LIMITS = {
  /** A copy request's JSON body (HTTP API); the local host's Durable webhooks take up to `hostBodyBytes`. */
  requestBodyBytes: 256 * 1024,
  hostBodyBytes: 16 * 1024 * 1024,
  /** A source or destination URL, SAS included (a blob name is at most 1,024 characters; Azure's request line at most 8 KiB). */
  urlLength: 8192,
  /** --include / --exclude: patterns per list, characters per pattern, wildcards and groups per pattern (each one multiplies matching work). */
  patterns: 64,
  patternLength: 512,
  patternWildcards: 16,
  /** A message in a status, a failure list or a queue job's summary. */
  messageLength: 2000,
  /** A log line. */
  logLineLength: 8192,
} as const;

/** Text cut to `max` characters, saying how much was cut (never in the middle of a surrogate pair). */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 40;
  if (/[\uD800-\uDBFF]/.test(text[end - 1] ?? '')) end--;
  return `${text.slice(0, end)}… (${text.length - end} more characters)`;
}

/** Wildcards and groups in a glob pattern: `*`, `?`, `[...]`, `{...}` and extglob `(...)`. */
export function globComplexity(pattern: string): number {
  return (pattern.match(/\*+|\?|\[|\{|\(/g) ?? []).length;
}
