/**
 * Relay: blobferry reads the source and uploads the bytes, for sources the destination service
 * cannot read itself. Ranges are read pinned to the source version; each block goes up with a
 * transactional MD5; the whole-object digests (MD5, and the source's checksum algorithm when it
 * declares one) are computed on the way, in order, and handed from segment to segment, so a copy
 * spans several activities and still ends with one digest. At most `concurrency` blocks, and no
 * more than RELAY_BUFFER_BUDGET, are in memory, whatever the object's size.
 */
import { createHash } from 'node:crypto';
import { BlobferryError } from '../../contracts/errors';
import { blockId, blockRange, versionTag } from '../../plan/blocks';
import type { SourceBlob } from '../../contracts/blobFacts';
import { digestsWanted, type DigestStates } from '../../plan/verification';
import type { BlobDestination } from '../../storage/endpoint';
import { openDestination, openSource } from '../../storage/registry';
import { activity } from '../calls';
import type { ActivityResult, Job, StageArgs, StageResult } from '../types';
import { DigestRun } from './digests';
import { settle } from './settle';

/**
 * Relay keeps at most this many bytes of blocks in memory (at least two blocks), whatever
 * --concurrency asks: a relay is bounded by memory, not only by requests in flight.
 */
export const RELAY_BUFFER_BUDGET = 32 * 1024 * 1024;

export function relayParallel(concurrency: number, blockSize: number): number {
  return Math.max(2, Math.min(concurrency, Math.floor(RELAY_BUFFER_BUDGET / blockSize)));
}

/** Copies blocks first..last by ranges, in order, `concurrency` at a time. */
export const relaySegment = activity('relaySegment', (args: StageArgs): Promise<ActivityResult<StageResult>> =>
  settle(async () => {
    const { job, blob, name, plan, first, last } = args;
    const source = await openSource(job);
    const destination = await openDestination(job);
    const already = await destination.stagedBlocks(name);
    const digests = await openDigests(job, blob, destination, args.digestStates);
    const tag = versionTag(blob);
    const parallel = relayParallel(job.options.concurrency, plan.blockSize);
    let staged = 0;
    let skipped = 0;
    let bytes = 0;
    const inFlight: Array<{ read: Promise<Buffer>; done: Promise<void>; buffer: Buffer }> = [];
    // Block buffers are reused: memory is `concurrency` blocks, not one allocation per block.
    const spare: Buffer[] = [];
    const drainOldest = async () => {
      const oldest = inFlight.shift()!;
      const body = await oldest.read;
      digests.update(body);
      await oldest.done;
      bytes += body.length;
      spare.push(oldest.buffer);
    };
    try {
      for (let index = first; index <= last; index++) {
        const { offset, count } = blockRange(plan, index);
        const id = blockId(tag, index);
        const buffer = spare.pop() ?? Buffer.allocUnsafe(plan.blockSize);
        const read = source.readRange(blob, offset, count, buffer);
        const done = read.then(async (body) => {
          if (already.get(id) === body.length) return void skipped++;
          await destination.stageBody(name, id, body, blockMd5(destination, body), offset);
          staged++;
        });
        // Settled in order below; no rejection goes unobserved meanwhile.
        read.catch(() => undefined);
        done.catch(() => undefined);
        inFlight.push({ read, done, buffer });
        if (inFlight.length >= parallel) await drainOldest();
      }
      while (inFlight.length > 0) await drainOldest();
    } catch (err) {
      await Promise.allSettled(inFlight.map((t) => t.done));
      throw err;
    }
    // The last segment also finishes the whole-object digests.
    const lastSegment = last === plan.blockCount - 1;
    return { staged, skipped, bytes, ...(lastSegment ? { digests: digests.finish() } : { digestStates: digests.save() }) };
  }),
);

/** A source without Range support: one stream, cut into blocks, uploaded `concurrency` at a time. */
export const relayStream = activity('relayStream', (args: StageArgs): Promise<ActivityResult<StageResult>> =>
  settle(async () => {
    const { job, blob, name, plan } = args;
    const destination = await openDestination(job);
    const already = await destination.stagedBlocks(name);
    const digests = await openDigests(job, blob, destination);
    const tag = versionTag(blob);
    const uploads: Promise<void>[] = [];
    let staged = 0;
    let skipped = 0;
    let bytes = 0;
    let index = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (body: Buffer) => {
      digests.update(body);
      const offset = bytes;
      bytes += body.length;
      const id = blockId(tag, index++);
      if (already.get(id) === body.length) {
        skipped++;
        return;
      }
      const upload = destination.stageBody(name, id, body, blockMd5(destination, body), offset).then(() => void staged++);
      upload.catch(() => undefined);
      uploads.push(upload);
      if (uploads.length >= relayParallel(job.options.concurrency, plan.blockSize)) await uploads.shift();
    };
    try {
      for await (const chunk of (await openSource(job)).stream(blob)) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        while (pendingBytes >= plan.blockSize) {
          const all = Buffer.concat(pending);
          await flush(all.subarray(0, plan.blockSize));
          pending = [all.subarray(plan.blockSize)];
          pendingBytes = pending[0].length;
        }
      }
      if (pendingBytes > 0) await flush(Buffer.concat(pending));
      await Promise.all(uploads);
    } catch (err) {
      await Promise.allSettled(uploads);
      throw err;
    }
    if (bytes !== blob.size) {
      throw new BlobferryError('SIZE_MISMATCH', `The source sent ${bytes} bytes where it announced ${blob.size}; nothing was committed.`);
    }
    return { staged, skipped, bytes, digests: digests.finish() };
  }),
);

/** A block's MD5, for a destination that checks it as the block is staged (a local file does not). */
function blockMd5(destination: BlobDestination, body: Buffer): Buffer | undefined {
  return destination.facts.storesMd5 ? createHash('md5').update(body).digest() : undefined;
}

/** The whole-object digests this relay needs (plan/verification.ts digestsWanted), resumed from the previous segment's. */
function openDigests(job: Job, blob: SourceBlob, destination: BlobDestination, states?: DigestStates): Promise<DigestRun> {
  const wanted = digestsWanted(blob, job.options, destination.facts.storesMd5);
  return DigestRun.open({ md5: wanted.md5, algorithm: wanted.checksum ? blob.checksum?.algorithm : undefined }, states);
}
