/**
 * Whole-object digests computed while relaying: MD5 always (it becomes the blob's Content-MD5),
 * and the source's own checksum algorithm when it declares one. hash-wasm hashers can save and
 * load their state, so a relay split over several activities carries them along (DigestStates);
 * a small object read whole is hashed at once (digestsOf), MD5 by Node's native crypto: a
 * WebAssembly instance per object costs more than hashing 64 KiB.
 */
import { createHash } from 'node:crypto';
import { createCRC32, createCRC64, createMD5, createSHA1, createSHA256, type IHasher } from 'hash-wasm';
import type { ChecksumAlgorithm } from '../../contracts/blobFacts';
import type { Digests, DigestStates } from '../../plan/verification';

/** CRC-64/NVME's reflected polynomial (S3's default checksum since 2025); hash-wasm's default is ECMA's. */
const CRC64_NVME = '9a6c9329ac4bc9b5';

function createHasher(algorithm: ChecksumAlgorithm): Promise<IHasher> {
  switch (algorithm) {
    case 'crc32':
      return createCRC32(0xedb88320);
    case 'crc32c':
      return createCRC32(0x82f63b78);
    case 'crc64nvme':
      return createCRC64(CRC64_NVME);
    case 'sha1':
      return createSHA1();
    case 'sha256':
      return createSHA256();
  }
}

export class DigestRun {
  private constructor(
    private readonly md5: IHasher | undefined,
    private readonly checksum: IHasher | undefined,
  ) {}

  /** Starts (or, given states, resumes) the digests wanted: the MD5, and the checksum of `algorithm` when given. */
  static async open(wanted: { md5: boolean; algorithm?: ChecksumAlgorithm }, states: DigestStates = {}): Promise<DigestRun> {
    const resume = async (hasher: IHasher, state: string | undefined) => {
      hasher.init();
      if (state) hasher.load(Buffer.from(state, 'base64'));
      return hasher;
    };
    return new DigestRun(wanted.md5 ? await resume(await createMD5(), states.md5) : undefined, wanted.algorithm ? await resume(await createHasher(wanted.algorithm), states.checksum) : undefined);
  }

  update(bytes: Buffer): void {
    this.md5?.update(bytes);
    this.checksum?.update(bytes);
  }

  save(): DigestStates {
    return { ...(this.md5 ? { md5: Buffer.from(this.md5.save()).toString('base64') } : {}), ...(this.checksum ? { checksum: Buffer.from(this.checksum.save()).toString('base64') } : {}) };
  }

  /** The finished digests, base64 of the big-endian value (as S3 declares its checksums). */
  finish(): Digests {
    return { ...(this.md5 ? { md5: Buffer.from(this.md5.digest('binary')).toString('base64') } : {}), ...(this.checksum ? { checksum: Buffer.from(this.checksum.digest('binary')).toString('base64') } : {}) };
  }
}

/** The digests of a whole object in one buffer (the MD5 always: a Put Blob carries it for the service to check). */
export async function digestsOf(bytes: Buffer, algorithm: ChecksumAlgorithm | undefined): Promise<Digests & { md5: string }> {
  const md5 = createHash('md5').update(bytes).digest('base64');
  if (!algorithm) return { md5 };
  const checksum = await createHasher(algorithm);
  checksum.init();
  checksum.update(bytes);
  return { md5, checksum: Buffer.from(checksum.digest('binary')).toString('base64') };
}
