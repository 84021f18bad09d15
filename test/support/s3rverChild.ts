/**
 * s3rver in a child process, for tests and benchmarks: `node --openssl-legacy-provider
 * s3rverChild.js <dir>`. s3rver signs its listing continuation tokens with DES, which Node's
 * OpenSSL 3 only offers through its legacy provider; without it any listing that pages answers
 * 500. A child keeps that flag out of the test process. It prints {"port": n} once listening,
 * and stops when the parent goes away (its IPC channel closes, even on SIGKILL).
 */
// s3rver ships no types.
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => { run(): Promise<{ port: number }>; close(): Promise<void> };

const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: process.argv[2] });
const stop = () => void server.close().finally(() => process.exit(0));
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.channel?.unref();
server.run().then(
  ({ port }) => process.stdout.write(`${JSON.stringify({ port })}\n`),
  (err: Error) => {
    process.stderr.write(`s3rver did not start: ${err.message}\n`);
    process.exit(1);
  },
);
