/**
 * RFC 3339 times with their fraction kept: a file's mtime is written to the nanosecond (as
 * rclone does), where Date.parse stops at the millisecond.
 */

/** Milliseconds since the epoch, fraction kept; undefined for none, or anything that is not an RFC 3339 time (another tool's epoch seconds). */
export function preciseMs(text: string | undefined): number | undefined {
  const m = text === undefined ? null : /^(.*?)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(text);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) + Number(`0${m[2] ?? ''}`) * 1000 : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}
