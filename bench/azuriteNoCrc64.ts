/**
 * Preloaded into Azurite's process (`--require`) by `npm run bench -- peers-no-crc64` only: an
 * Azurite variant that skips the CRC-64 it computes, in JavaScript, of every block staged without
 * a checksum (what the real service returns as x-ms-content-crc64), and keeps the MD5s. It
 * measures what the goal against AzCopy would look like on an emulator that is not bound by that
 * loop; the benchmark's own figures are from stock Azurite. Checksums a client sends are still
 * computed and compared.
 */
const utils = require('azurite/dist/src/blob/utils/utils') as {
  computeAndValidateTransactionalChecksums: (stream: unknown, expected: { crc64?: unknown }, contextId: string, force?: { md5?: boolean; crc64?: boolean }) => Promise<unknown>;
};
const compute = utils.computeAndValidateTransactionalChecksums;
utils.computeAndValidateTransactionalChecksums = (stream, expected, contextId, force) => compute(stream, expected, contextId, { ...force, crc64: false });
