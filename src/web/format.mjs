// How the page writes numbers, sizes, rates and times (pure).

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** The runtime statuses of a copy that has not ended (the API's list filters by these too). */
export const ACTIVE_STATUSES = ['Pending', 'Running', 'Suspended'];
export const isActive = (copy) => ACTIVE_STATUSES.includes(copy.runtimeStatus);

export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return '—';
  let unit = 0;
  while (n >= 1024 && unit < UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${UNITS[unit]}`;
}

export const formatRate = (bytesPerSec) => (bytesPerSec > 0 ? `${formatBytes(bytesPerSec)}/s` : '—');

export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** Seconds left at the current rate; unknown while a prefix is still being listed (its total grows) or nothing moves. */
export function etaSeconds(copy) {
  if (!isActive(copy) || copy.listing || !(copy.rateBytesPerSec > 0)) return undefined;
  return Math.max(0, copy.bytes.total - copy.bytes.copied) / copy.rateBytesPerSec;
}

/** A copy that ended with everything done: nothing failed, nothing cancelled. */
export const isWhole = (copy) => copy.runtimeStatus === 'Completed' && !copy.cancelled && copy.blobs.failed === 0;

/** Whole percent done, never 100 before it is. With nothing to count, 100 only for a copy that ended whole. */
export function percent(done, total, whole) {
  if (total > 0) return done >= total ? 100 : Math.floor((done * 100) / total);
  return whole ? 100 : 0;
}

export const formatTime = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

/** "Running · copying": the runtime status, and the phase where it says more. */
export function describeStatus(copy) {
  if (copy.cancelled) return 'Cancelled';
  const phase = copy.phase && !['done', 'failed'].includes(copy.phase) ? ` · ${copy.phase}` : '';
  return `${copy.runtimeStatus}${phase}`;
}
