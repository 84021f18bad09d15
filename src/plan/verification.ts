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
  md5: string;
  checksum?: string;
}

/** Digest computations in progress, serialized, so a relay spanning several activities ends with one digest. */
export interface DigestStates {
  md5?: string;
  checksum?: string;
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
  if (declaredMD5 && declaredMD5 !== computed.md5) {
    if (mode === 'warn') return 'md5-mismatch';
    throw new BlobferryError('MD5_MISMATCH', `The bytes read from ${blob.name} have MD5 ${computed.md5}, but the source declares ${declaredMD5}; nothing was committed (--check-md5 warn keeps such copies).`);
  }
  if (blob.checksum && computed.checksum !== undefined && blob.checksum.value !== computed.checksum) {
    throw new BlobferryError('CHECKSUM_MISMATCH', `The bytes read from ${blob.name} have ${blob.checksum.algorithm.toUpperCase()} ${computed.checksum}, but the source declares ${blob.checksum.value}; nothing was committed.`);
  }
  if (declaredMD5) return 'md5';
  if (blob.checksum && computed.checksum !== undefined) return blob.checksum.algorithm;
  return 'size';
}
