/** A transfer's sealed sides for tests that open an endpoint directly, as the CLI's user would. */
import { randomBytes } from 'node:crypto';
import { CopyOptionsSchema } from '../../src/contracts/copyRequest';
import type { Location } from '../../src/contracts/locations';
import { actForLocalUser, sealTransfer, type Caller, type SealedTransfer } from '../../src/storage/registry';

const SOMEWHERE: Location = { kind: 'azure-blob', serviceUrl: 'https://elsewhere.blob.core.windows.net', account: 'elsewhere', container: 'tests', path: '', emulator: false };

export function sealedTransfer(source: Location, destination: Location = SOMEWHERE, caller: Caller = 'user', options: Record<string, unknown> = {}): SealedTransfer {
  process.env.BLOBFERRY_SEAL_KEY ??= randomBytes(32).toString('base64');
  if (caller === 'user') actForLocalUser();
  return sealTransfer(source, destination, CopyOptionsSchema.parse(options), caller);
}
