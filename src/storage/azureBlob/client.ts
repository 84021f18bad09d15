/**
 * Clients for one Azure Blob location, as a source or a destination: its credentials (a SAS,
 * a key, Entra ID), a pipeline with the SDK's retries, and every call's failure mapped to a
 * blobferry error (errors.ts).
 */
import { BlockBlobClient, ContainerClient, newPipeline, type Pipeline } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import { BlobferryError } from '../../contracts/errors';
import { OWN_WRITE_PREFIX } from '../../contracts/blobEvents';
import type { BlobLocation } from '../../contracts/locations';
import type { Transport } from '../endpoint';
import { hasDotSegment, inScope, type NameScope } from '../scope';
import { withSecret } from '../urls';
import { authFor, type BlobAuth } from './credentials';
import { checkSas, toBlobferryError, type Role } from './errors';
import { blobUrl, containerUrl } from './location';


/** Headers the SDK does not expose for an operation (x-ms-source-if-match on Put Block From URL), set per request. */
export type ExtraHeaders = (headers: { set(name: string, value: string): void }) => void;

export class BlobClients {
  readonly auth: BlobAuth;
  /** The pipeline of calls without per-request headers: built once (a prefix copy makes thousands of calls). */
  private shared?: Pipeline;

  constructor(
    readonly location: BlobLocation,
    readonly role: Role,
    /** The names this copy was given (scope.ts). */
    private readonly scope: NameScope,
    private readonly transport: Transport,
  ) {
    this.auth = authFor(location);
  }

  private noCredential(): BlobferryError {
    const { account } = this.location;
    const setting = account.toUpperCase().replace(/[^A-Z0-9]/g, '_');
    const entra = this.auth.kind === 'entra' ? ', or sign in for Microsoft Entra ID (az login, a managed identity); none was found' : '';
    return new BlobferryError('NO_CREDENTIALS', `No credential for account ${account} (the ${this.role}): give a SAS in the URL, or set BLOBFERRY_ACCOUNT_KEY_${setting} (or BLOBFERRY_CONNECTION_STRING_${setting})${entra}.`);
  }

  /** `name`, when this copy may touch it (SEAL_MISMATCH otherwise): a URL resolves "..", so a name with one never is. */
  scoped(name: string): string {
    if (hasDotSegment(name)) throw new BlobferryError('SEAL_MISMATCH', `The ${this.role} name "${name.slice(0, 200)}" has a "." or ".." segment, which would leave its folder; nothing was read or written.`);
    return inScope(name, this.scope);
  }

  private pipeline(extra?: ExtraHeaders): Pipeline {
    if (!extra) return (this.shared ??= this.build());
    return this.build(extra);
  }

  private build(extra?: ExtraHeaders): Pipeline {
    // Exponential back-off from 0.5 s to 15 s between tries (the SDK adds jitter); a try taking longer than the per-request timeout is given up and tried again.
    const retryOptions = { maxTries: this.transport.maxTries, retryDelayInMs: 500, maxRetryDelayInMs: 15_000, tryTimeoutInMs: this.transport.tryTimeoutMs };
    const pipeline = newPipeline(this.auth.credential, { retryOptions, keepAliveOptions: { enable: true } });
    if (this.role === 'destination') {
      // Writes carry a client request id Event Grid reports (data.clientRequestId): mirror rules
      // know blobferry's own blobs by it and never copy them again.
      pipeline.factories.push({ create: (next) => ({ sendRequest: (request) => (request.headers.set('x-ms-client-request-id', `${OWN_WRITE_PREFIX}${randomUUID()}`), next.sendRequest(request)) }) });
    }
    if (extra) pipeline.factories.push({ create: (next) => ({ sendRequest: (request) => (extra(request.headers), next.sendRequest(request)) }) });
    return pipeline;
  }

  private signed(url: string): string {
    return this.auth.kind === 'sas' ? withSecret(url, this.auth.sas) : url;
  }

  blob(name: string, extra?: ExtraHeaders): BlockBlobClient {
    return new BlockBlobClient(this.signed(blobUrl(this.location, this.scoped(name))), this.pipeline(extra));
  }

  container(): ContainerClient {
    return new ContainerClient(this.signed(containerUrl(this.location)), this.pipeline());
  }

  /** Runs one storage call; its failure leaves as a blobferry error saying what was being done. */
  async call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      this.fail(err, what);
    }
  }

  fail(err: unknown, what: string): never {
    const unavailable = ['CredentialUnavailableError', 'AggregateAuthenticationError'].includes((err as Error)?.name);
    const e = toBlobferryError(err, this.role, what, this.auth.kind);
    // Refused, or unsigned, because the app has no credential for this account: say which setting gives one.
    if ((this.auth.kind === 'none' && (e.code === 'AUTH_FAILED' || e.code === 'PERMISSION_DENIED')) || (this.auth.kind === 'entra' && unavailable)) throw this.noCredential();
    // Refused because the SAS expired while the copy ran: say so (a copy waits for fresh tokens).
    if (e.code === 'AUTH_FAILED' && this.auth.kind === 'sas') checkSas(this.auth.sas, this.role, []);
    throw e;
  }
}

export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

export function serviceCodeOf(err: unknown): string | undefined {
  const e = err as { details?: { errorCode?: string }; code?: string };
  return e.details?.errorCode ?? e.code;
}
