// How far a copy is: its status as a badge, its progress as two labelled bars (bytes and blobs).
import { html } from './html.mjs';
import { formatBytes, isWhole, percent } from './format.mjs';

export function ProgressBars({ copy, idPrefix }) {
  const whole = isWhole(copy);
  const { bytes, blobs } = copy;
  const blobsDone = blobs.copied + blobs.skipped + blobs.failed;
  const bytesPercent = percent(bytes.copied, bytes.total, whole);
  const blobsPercent = percent(blobsDone, blobs.total, whole);
  const soFar = copy.listing ? ' so far' : '';
  const others = [blobs.skipped ? `${blobs.skipped} skipped` : '', blobs.failed ? `${blobs.failed} failed` : ''].filter(Boolean).join(', ');
  return html`<div class="bars">
    <div class="bar">
      <label for=${`${idPrefix}-bytes`}>Bytes</label>
      <progress id=${`${idPrefix}-bytes`} max="100" value=${bytesPercent}>${bytesPercent}%</progress>
      <span class="bar-text">${bytesPercent}% · ${formatBytes(bytes.copied)} of ${formatBytes(bytes.total)}${soFar}</span>
    </div>
    <div class="bar">
      <label for=${`${idPrefix}-blobs`}>Blobs</label>
      <progress id=${`${idPrefix}-blobs`} max="100" value=${blobsPercent}>${blobsPercent}%</progress>
      <span class="bar-text">${blobsPercent}% · ${blobsDone} of ${blobs.total}${soFar}${others ? ` (${others})` : ''}</span>
    </div>
  </div>`;
}

/** The status in words, coloured by how it stands (the colour never says it alone: the words do). */
export function StatusBadge({ copy, text }) {
  return html`<span class=${`status status-${copy.cancelled ? 'cancelled' : copy.runtimeStatus.toLowerCase()}`}>${text}</span>`;
}
