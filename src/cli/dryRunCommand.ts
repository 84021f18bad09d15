/**
 * `blobferry copy --dry-run`: what the copy would copy, skip and fail, and why, with nothing
 * written (src/durable/dryRun.ts). One line per object on stdout, then a summary on stderr; with
 * --json one JSON object per object (as AzCopy's dry run prints them), then the summary object.
 */
import { formatBytes } from '../plan/blocks';
import { dryRun, type DryRunItem } from '../durable/dryRun';
import { prepareTransfer } from '../durable/startTransfer';
import { actForUserAt, stateBase } from './localCopies';

export interface DryRunSummary {
  dryRun: true;
  strategy: string;
  copy: number;
  skip: number;
  fail: number;
  /** sync --delete-destination: destination objects that would be removed. */
  delete: number;
  /** Bytes the copies would move. */
  bytes: number;
  notes: string[];
}

export async function printDryRun(request: unknown, options: { stateDir?: string; json?: boolean }): Promise<void> {
  actForUserAt(stateBase(options.stateDir));
  const { input } = prepareTransfer(request, 'user');
  const { inspection, items } = await dryRun({ ...input, run: 'dry-run' });
  const summary: DryRunSummary = { dryRun: true, strategy: inspection.job.strategy, copy: 0, skip: 0, fail: 0, delete: 0, bytes: 0, notes: [...inspection.notes] };
  if (inspection.containerMissing) summary.notes.push('The destination container does not exist; --create-container would create it.');
  for await (const item of items) {
    summary[item.action]++;
    if (item.action === 'copy') summary.bytes += item.bytes;
    process.stdout.write(options.json ? `${JSON.stringify(item)}\n` : `${lineOf(item)}\n`);
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  for (const note of summary.notes) process.stderr.write(`note: ${note}\n`);
  const removed = summary.delete > 0 ? `, ${summary.delete} would be removed from the destination` : '';
  process.stderr.write(`Dry run: ${summary.copy} would be copied (${formatBytes(summary.bytes)}), ${summary.skip} skipped, ${summary.fail} would fail${removed}; nothing was written.\n`);
}

function lineOf(item: DryRunItem): string {
  switch (item.action) {
    case 'copy':
      return `copy  ${item.source} -> ${item.destination}  (${formatBytes(item.bytes)}${item.reason ? `; ${item.reason}` : ''})`;
    case 'skip':
      return `skip  ${item.source}: ${item.reason}`;
    case 'fail':
      return `fail  ${item.source}: ${item.code}: ${item.reason}`;
    case 'delete':
      return `delete  ${item.destination}: ${item.reason}`;
  }
}
