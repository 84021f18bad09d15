/**
 * Block planning for block blobs (pure). Azure allows 50,000 committed blocks per blob and at
 * most 4000 MiB per block; block ids must have equal length within a blob and at most 64 bytes.
 */
import { createHash } from 'node:crypto';
import type { SourceBlob } from '../contracts/blobFacts';
import { MAX_BLOCK_SIZE_MIB, type CopyOptions } from '../contracts/copyRequest';
import { BlobferryError } from '../contracts/errors';

export const MiB = 1024 * 1024;
export const MAX_BLOCKS = 50_000;
export const MAX_BLOCK_SIZE = MAX_BLOCK_SIZE_MIB * MiB;
export const DEFAULT_BLOCK_SIZE = 8 * MiB;

/** The block size a request asks for, in bytes (undefined: choose). */
export function requestedBlockSize(options: CopyOptions): number | undefined {
  return options.blockSizeMiB === undefined ? undefined : Math.round(options.blockSizeMiB * MiB);
}

export interface BlockPlan {
  size: number;
  blockSize: number;
  blockCount: number;
}

/**
 * The block size to use: the caller's (validated against the limits), or 8 MiB grown in whole
 * MiB until the blob fits in 50,000 blocks.
 */
export function planBlocks(size: number, requestedBlockSize?: number): BlockPlan {
  let blockSize: number;
  if (requestedBlockSize !== undefined) {
    blockSize = requestedBlockSize;
    const needed = Math.ceil(size / blockSize);
    if (needed > MAX_BLOCKS) {
      throw new BlobferryError(
        'TOO_MANY_BLOCKS',
        `With ${formatBytes(blockSize)} blocks, ${formatBytes(size)} needs ${needed.toLocaleString('en')} blocks; Azure allows ${MAX_BLOCKS.toLocaleString('en')}. Use a block size of at least ${formatBytes(Math.ceil(size / MAX_BLOCKS / MiB) * MiB)}, or leave it out to have it chosen.`,
      );
    }
  } else {
    blockSize = Math.max(DEFAULT_BLOCK_SIZE, Math.ceil(size / MAX_BLOCKS / MiB) * MiB);
  }
  if (blockSize > MAX_BLOCK_SIZE) {
    throw new BlobferryError('BLOB_TOO_LARGE', `${formatBytes(size)} is more than a block blob can hold (${MAX_BLOCKS.toLocaleString('en')} blocks of 4000 MiB).`);
  }
  return { size, blockSize, blockCount: size === 0 ? 0 : Math.ceil(size / blockSize) };
}

export function blockRange(plan: BlockPlan, index: number): { offset: number; count: number } {
  const offset = index * plan.blockSize;
  return { offset, count: Math.min(plan.blockSize, plan.size - offset) };
}

/** A short, stable tag for the source version a copy is pinned to (its ETag, else its time and size). */
export function versionTag(blob: SourceBlob): string {
  const version = blob.etag ?? `${blob.lastModified ?? ''}:${blob.size}`;
  return createHash('sha256').update(version).digest('hex').slice(0, 8);
}

/**
 * Block ids: the same for the same block of the same source version, so a re-run stages the same
 * block again (or finds it staged); equal length for all blocks of a blob, as Azure requires.
 */
export function blockId(tag: string, index: number): string {
  return Buffer.from(`bf-${tag}-${String(index).padStart(6, '0')}`).toString('base64');
}

export interface BlockRun {
  first: number;
  /** Inclusive. */
  last: number;
}

/** Consecutive runs of `runLength` blocks covering all blocks. */
export function planRuns(blockCount: number, runLength: number): BlockRun[] {
  const runs: BlockRun[] = [];
  for (let first = 0; first < blockCount; first += runLength) runs.push({ first, last: Math.min(blockCount, first + runLength) - 1 });
  return runs;
}

/** The run length that covers `blockCount` blocks in at most `maxRuns` runs (and at least `minLength` blocks each). */
export function runLengthFor(blockCount: number, maxRuns: number, minLength = 1): number {
  return Math.max(minLength, Math.ceil(blockCount / maxRuns));
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number(value.toFixed(2))} ${units[unit]}`;
}
