/**
 * The app settings that shape a copy's time limits, read when a request is prepared (never in an
 * orchestrator): the default deadline and how often a server copy is polled.
 *
 *   BLOBFERRY_COPY_TIMEOUT        default deadline of a copy (24h)
 *   BLOBFERRY_POLL_INTERVAL       first wait between server-copy polls (2s), growing x1.5 ...
 *   BLOBFERRY_POLL_MAX_INTERVAL   ... up to this (60s)
 *   BLOBFERRY_CREDENTIALS_WAIT    how often a copy whose SAS expired looks for fresh ones (30s), and
 *   BLOBFERRY_CREDENTIALS_MAX_WAIT for how long before its blobs fail SAS_EXPIRED (24h)
 *   BLOBFERRY_RETRY_WAIT          an activity that failed for a reason that may pass is run again
 *                                 after this (5s), then twice as long; throttled, four times as long
 */
import type { CopyOptions } from '../contracts/copyRequest';
import { parseDuration } from '../contracts/duration';
import { BlobferryError } from '../contracts/errors';
import type { CopyLimits } from './types';

const DEFAULTS = { BLOBFERRY_COPY_TIMEOUT: '24h', BLOBFERRY_POLL_INTERVAL: '2s', BLOBFERRY_POLL_MAX_INTERVAL: '60s', BLOBFERRY_RETRY_WAIT: '5s', BLOBFERRY_CREDENTIALS_WAIT: '30s', BLOBFERRY_CREDENTIALS_MAX_WAIT: '24h' };

export function copyLimits(options: CopyOptions, env: NodeJS.ProcessEnv = process.env): CopyLimits {
  const setting = (name: keyof typeof DEFAULTS): number => {
    const text = env[name] || DEFAULTS[name];
    const seconds = parseDuration(text);
    if (seconds === undefined || seconds <= 0) {
      throw new BlobferryError('CONFIG_INVALID', `The setting ${name}="${text}" is not a positive duration (such as 90s, 30m, 2h or 7d).`);
    }
    return seconds;
  };
  const pollFirstSeconds = setting('BLOBFERRY_POLL_INTERVAL');
  return {
    timeoutSeconds: options.timeout ?? setting('BLOBFERRY_COPY_TIMEOUT'),
    pollFirstSeconds,
    pollMaxSeconds: Math.max(pollFirstSeconds, setting('BLOBFERRY_POLL_MAX_INTERVAL')),
    retryWaitSeconds: setting('BLOBFERRY_RETRY_WAIT'),
    credentialsWaitSeconds: setting('BLOBFERRY_CREDENTIALS_WAIT'),
    credentialsMaxWaitSeconds: setting('BLOBFERRY_CREDENTIALS_MAX_WAIT'),
  };
}
