/** The terminal progress line of `blobferry copy` (pure formatting). */
import type { CopyView } from '../durable/copyStatus';
import { formatBytes } from '../plan/blocks';

export function progressLine(view: CopyView, width = 28): string {
  const { bytes, blobs } = view;
  const fraction = bytes.total > 0 ? Math.min(1, bytes.copied / bytes.total) : blobs.total > 0 ? (blobs.copied + blobs.skipped + blobs.failed) / blobs.total : 0;
  const filled = Math.round(fraction * width);
  const bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}]`;
  const parts = [
    bar,
    `${(fraction * 100).toFixed(0).padStart(3)}%`,
    `${formatBytes(bytes.copied)} / ${formatBytes(bytes.total)}${view.listing ? '+' : ''}`,
    `${blobs.copied + blobs.skipped}/${blobs.total}${view.listing ? '+' : ''} blobs`,
  ];
  if (blobs.failed > 0) parts.push(`${blobs.failed} failed`);
  if (view.phase === 'waiting') parts.push('waiting for another copy into the destination to end');
  else if (view.phase === 'waiting-for-credentials') parts.push('a SAS expired: waiting for fresh tokens (Ctrl-C, then run the same command with new ones)');
  else if (view.phase === 'restoring') parts.push('stopping: restoring the destination');
  else if (view.phase === 'removing') parts.push('removing what the source no longer has');
  else if (view.serverCopy) parts.push(`server copy ${view.serverCopy.status}, ${view.serverCopy.polls} poll(s)`);
  if (view.concurrency?.note) parts.push(view.concurrency.note);
  const rate = view.rateBytesPerSec ?? 0;
  if (rate > 0) {
    parts.push(`${formatBytes(rate)}/s`);
    if (!view.listing && bytes.total > bytes.copied) parts.push(`ETA ${formatClock((bytes.total - bytes.copied) / rate)}`);
  }
  return parts.join('  ');
}

export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}
