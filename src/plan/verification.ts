/**
 * How a copy is checked against its source (pure). Relay computes the bytes' MD5 (and the
 * source's own checksum algorithm, when it declares one) on the way; the source may declare an
 * MD5 (Content-MD5, a single-part S3 ETag) or a whole-object checksum (S3 x-amz-checksum-*).
 * A declared value that differs fails the copy before the commit; the report says which check
 * each copy passed: "md5", the checksum's algorithm, or "size" when nothing more was known.
 */
import type { SourceBlob } from '../contracts/blobFacts';
import type { CheckMd5 } from '../contracts/copyRequest';
import { BlobferryError } from '../contracts/errors';

/** Whole-object digests, base64. */
export interface Digests {
  /** Absent when nothing checks or keeps it (digestsWanted). */
  md5?: string;
  checksum?: string;
}

/** Digest computations in progress, serialized, so a relay spanning several activities ends with one digest. */
export interface DigestStates {
  md5?: string;
  checksum?: string;
}

/**
 * Which whole-object digests a relay computes: the MD5 when it is checked (the source declares
 * one, or --verify md5 compares the copy with it) or kept (a destination that stores Content-MD5,
 * --put-md5); the source's checksum when it is checked. Nothing else: hashing is most of a
 * download's CPU.
 */
export function digestsWanted(blob: Pick<SourceBlob, 'properties' | 'checksum'>, options: { checkMd5: CheckMd5; putMd5: boolean; verify: string }, destinationStoresMd5: boolean): { md5: boolean; checksum: boolean } {
  const checking = options.checkMd5 !== 'off';
  return {
    md5: (checking && blob.properties.contentMD5 !== undefined) || (destinationStoresMd5 && options.putMd5) || options.verify === 'md5',
    checksum: checking && blob.checksum !== undefined,
  };
}

/** 'md5-mismatch': the bytes differ from the MD5 the source declares, and were kept (--check-md5 warn). */
export type Verification = 'md5' | 'size' | 'md5-mismatch' | NonNullable<SourceBlob['checksum']>['algorithm'];

/**
 * Compares what was read with what the source declares; throws MD5_MISMATCH or
 * CHECKSUM_MISMATCH, nothing being committed. `mode` is --check-md5, as AzCopy's: fail (the
 * default), warn (keep the copy, and count it as a mismatch), off (compare nothing).
 */
export function checkDigests(blob: SourceBlob, computed: Digests | undefined, mode: CheckMd5 = 'fail'): Verification {
  if (!computed || mode === 'off') return 'size';
  const declaredMD5 = blob.properties.contentMD5;
  if (declaredMD5 && computed.md5 !== undefined && declaredMD5 !== computed.md5) {
    if (mode === 'warn') return 'md5-mismatch';
    throw new BlobferryError('MD5_MISMATCH', `The bytes read from ${blob.name} have MD5 ${computed.md5}, but the source declares ${declaredMD5}; nothing was committed (--check-md5 warn keeps such copies).`);
  }
  if (blob.checksum && computed.checksum !== undefined && blob.checksum.value !== computed.checksum) {
    throw new BlobferryError('CHECKSUM_MISMATCH', `The bytes read from ${blob.name} have ${blob.checksum.algorithm.toUpperCase()} ${computed.checksum}, but the source declares ${blob.checksum.value}; nothing was committed.`);
  }
  if (declaredMD5 && computed.md5 !== undefined) return 'md5';
  if (blob.checksum && computed.checksum !== undefined) return blob.checksum.algorithm;
  return 'size';
}
