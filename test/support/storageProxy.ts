/**
 * An HTTP proxy in front of Azurite's blob port, for tests only, on loopback only. It records
 * every request with its answer, and rules can delay requests, run a hook when one passes (to
 * change state mid-copy), answer in Azurite's place, or inject the faults Azure shows and
 * Azurite never does:
 *
 * - `fault`: a dropped connection ('reset'), or an Azure error answer (503 ServerBusy, 500
 *   OperationTimedOut...) shaped like Azure's, so the SDK retries it as it would in Azure.
 * - `pendingCopy`: an asynchronous Copy Blob that stays pending for a number of polls. Azurite
 *   completes every Copy Blob at once (x-ms-copy-status: success) and answers every Abort Copy
 *   Blob with 409 NoPendingCopyOperation, so code that polls a copy, gives up on one, or aborts
 *   one could not be tested against it. The proxy lets Azurite copy, then reports the copy as
 *   pending, with advancing progress, on the Get Blob / Get Blob Properties answers for the
 *   destination; after the planned polls the copy succeeds (Azurite's real answer shows) or
 *   fails. While the copy is pending the proxy refuses writes to the destination (409
 *   PendingCopyOperation) and serves Abort Copy Blob itself. A failed or aborted copy leaves a
 *   zero-length destination with its metadata, as in Azure: the proxy writes it to Azurite with
 *   the account's key (options.accounts), then reports the copy's id and final status on reads
 *   until the destination is written again.
 *
 * Rules are tried in order; the first whose `match` accepts a request applies to it (and uses
 * up one of its `times`). Its `delayMs` is waited, then its `before` hook awaited, then: `fault`
 * answers (or drops the connection) instead of Azurite; else `respond` answers instead of
 * Azurite; else the request goes to Azurite, and `pendingCopy` takes effect if the request is
 * an asynchronous Copy Blob that Azurite accepted. The copy emulation (refused writes, abort,
 * rewritten reads) applies to every request that no `fault` or `respond` answered.
 *
 * Not emulated: List Blobs still shows Azurite's copy properties; leases on the destination are
 * ignored when the proxy writes the zero-length blob; requests are path-style only
 * (/<account>/<container>/<blob>).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BlockBlobClient, StorageSharedKeyCredential } from '@azure/storage-blob';

export interface ProxiedRequest {
  method: string;
  /** The path as sent: percent-encoded (compare blob names through decodeURIComponent). */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
}

/** A dropped connection (no answer at all), or an Azure error answer. */
export type ProxyFault = 'reset' | { status: number; code: string; message?: string };

/** How an asynchronous Copy Blob plays out. */
export interface PendingCopyPlan {
  /** How many Get Blob / Get Blob Properties answers report it pending. */
  polls: number;
  /** What the answer after those shows. */
  then: 'success' | { failed: string };
}

export interface ProxyRule {
  match(request: ProxiedRequest): boolean;
  delayMs?: number;
  /** Runs before the request is forwarded (and is awaited). */
  before?(request: ProxiedRequest): void | Promise<void>;
  /** Answer instead of Azurite. */
  respond?: { status: number; headers?: Record<string, string>; body?: string };
  /** Answer with an Azure error, or drop the connection, instead of Azurite (wins over respond). */
  fault?: ProxyFault;
  /** For an asynchronous Copy Blob (see isCopyBlob): report it pending, then as planned. */
  pendingCopy?: PendingCopyPlan;
  /** How many more requests the rule applies to (default: all). */
  times?: number;
}

export interface RecordedRequest extends ProxiedRequest {
  /** The status answered; 0 when the connection was dropped. */
  status: number;
  /** Whether Azurite answered (headers possibly rewritten) or the proxy did. */
  answeredBy: 'azurite' | 'proxy';
}

export type CopyStatus = 'pending' | 'success' | 'failed' | 'aborted';

/** A Copy Blob the proxy reports as asynchronous. */
export interface TrackedCopy {
  id: string;
  /** Decoded path of the destination: /<account>/<container>/<blob>. */
  path: string;
  /** The x-ms-copy-source of the request. */
  source: string;
  status: CopyStatus;
  /** Polls planned before the copy concludes, and polls seen so far. */
  plannedPolls: number;
  polls: number;
  /** Bytes last reported copied, and the source's size (once known). */
  bytes: number;
  total?: number;
  description?: string;
}

export interface StorageProxyOptions {
  /** SharedKey credentials the proxy uses to write destinations to Azurite itself. */
  accounts?: Array<{ name: string; key: string }>;
}

export interface StorageProxy {
  /** http://127.0.0.1:<port> */
  origin: string;
  requests: RecordedRequest[];
  rules: ProxyRule[];
  /** Put Block / Put Block From URL requests that succeeded. */
  stagedBlocks(): number;
  /** Asynchronous Copy Blob requests answered 2xx. */
  copyStarts(): RecordedRequest[];
  /** Abort Copy Blob requests answered 204. */
  aborts(): RecordedRequest[];
  /** Every copy the proxy has reported as asynchronous (snapshots), oldest first. */
  copies(): TrackedCopy[];
  /** Those still pending. */
  pendingCopies(): TrackedCopy[];
  /**
   * Re-plans a pending copy: it ends (as its rule said) after `more` further reads; with 0 and a
   * "success" plan it has finished already, as if the service completed it this instant.
   */
  endAfter(copyId: string, more: number): void;
  close(): Promise<void>;
}

/** An asynchronous Copy Blob: not Copy Blob From URL (x-ms-requires-sync), not Put Blob From URL (x-ms-blob-type). */
export const isCopyBlob = (r: ProxiedRequest): boolean =>
  r.method === 'PUT' &&
  r.headers['x-ms-copy-source'] !== undefined &&
  String(r.headers['x-ms-requires-sync']).toLowerCase() !== 'true' &&
  r.headers['x-ms-blob-type'] === undefined &&
  !r.query.has('comp');

export const isAbortCopy = (r: ProxiedRequest): boolean =>
  r.method === 'PUT' && r.query.get('comp') === 'copy' && String(r.headers['x-ms-copy-action']).toLowerCase() === 'abort';

/** Get Blob or Get Blob Properties of the blob itself (not a snapshot or version). */
const isRead = (r: ProxiedRequest) => (r.method === 'GET' || r.method === 'HEAD') && !r.query.has('comp') && !r.query.has('snapshot') && !r.query.has('versionid');

/** Requests Azure refuses while a copy to the blob is pending. */
const PUT_ALLOWED_WHILE_PENDING = new Set(['copy', 'snapshot', 'lease', 'tags', 'block']);
const writesWhilePending = (r: ProxiedRequest) =>
  !r.query.has('snapshot') &&
  !r.query.has('versionid') &&
  (r.method === 'DELETE' || (r.method === 'PUT' && !PUT_ALLOWED_WHILE_PENDING.has(r.query.get('comp') ?? '')));

/** Writes after which Azure no longer reports a concluded copy on the blob. */
const REPLACING_COMPS = new Set(['', 'blocklist', 'properties', 'page', 'appendblock']);
const replacesBlob = (r: ProxiedRequest) =>
  !r.query.has('snapshot') && !r.query.has('versionid') && (r.method === 'DELETE' || (r.method === 'PUT' && REPLACING_COMPS.has(r.query.get('comp') ?? '')));

const MESSAGES: Record<string, string> = {
  ServerBusy: 'The server is currently unable to receive requests. Please retry your request.',
  OperationTimedOut: 'Operation could not be completed within the specified time.',
  InternalError: 'The server encountered an internal error. Please retry the request.',
  PendingCopyOperation: 'There is currently a pending copy operation.',
  NoPendingCopyOperation: 'There is currently no pending copy operation.',
  CopyIdMismatch: 'The specified copy ID did not match the copy ID for the pending copy operation.',
};

const DEFAULT_VERSION = '2025-11-05';

/** The blob a path names: decoded key and parts, or undefined when it names no blob. */
function blobPath(rawPath: string): { key: string; account: string } | undefined {
  const segments = rawPath.split('/');
  if (segments.length < 4 || segments.slice(3).join('/') === '') return undefined;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return { key: decode(rawPath), account: decode(segments[1]) };
}

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The source's size from an answer for the blob: x-ms-copy-progress, Content-Range, or Content-Length. */
function sizeFrom(status: number, headers: http.IncomingHttpHeaders): number | undefined {
  const progress = /\/(\d+)$/.exec(String(headers['x-ms-copy-progress'] ?? ''));
  if (progress) return Number(progress[1]);
  const range = /\/(\d+)$/.exec(String(headers['content-range'] ?? ''));
  if (range) return Number(range[1]);
  if (status === 200 && headers['content-length'] !== undefined) return Number(headers['content-length']);
  return undefined;
}

interface CopyRecord extends TrackedCopy {
  account: string;
  /** The destination's path as the client sent it (percent-encoded). */
  rawPath: string;
  then: PendingCopyPlan['then'];
  completedOn?: Date;
  /** Settles when the proxy has finished writing the destination for a failed or aborted copy. */
  settled: Promise<void>;
}

export async function startStorageProxy(targetPort: number, options: StorageProxyOptions = {}): Promise<StorageProxy> {
  const requests: RecordedRequest[] = [];
  const rules: ProxyRule[] = [];
  const keys = new Map((options.accounts ?? []).map((a) => [a.name, a.key]));
  const history: CopyRecord[] = [];
  /** Copies still reported on their destination (pending, failed or aborted), by decoded path. */
  const tracked = new Map<string, CopyRecord>();

  /** A failed or aborted copy leaves a zero-length blob with the copy's metadata (Abort Copy Blob docs). */
  async function truncate(copy: CopyRecord): Promise<void> {
    const key = keys.get(copy.account);
    if (!key) throw new Error(`no key for account ${copy.account}: pass it in options.accounts`);
    const client = new BlockBlobClient(`http://127.0.0.1:${targetPort}${copy.rawPath}`, new StorageSharedKeyCredential(copy.account, key), { retryOptions: { maxTries: 1 } });
    const { metadata, contentLength } = await client.getProperties();
    copy.total ??= contentLength;
    await client.upload('', 0, { metadata });
  }

  function conclude(copy: CopyRecord, status: 'failed' | 'aborted', description?: string) {
    copy.status = status;
    copy.description = description;
    copy.completedOn = new Date();
    copy.settled = truncate(copy);
    copy.settled.catch(() => undefined);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const request: ProxiedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers };
    const record = (status: number, answeredBy: RecordedRequest['answeredBy']) => requests.push({ ...request, status, answeredBy });

    /** Answers like Azure: x-ms-error-code, and an XML body except for HEAD. */
    const answerError = (status: number, code: string, message = MESSAGES[code] ?? code) => {
      record(status, 'proxy');
      req.resume();
      const requestId = randomUUID();
      const body =
        request.method === 'HEAD'
          ? ''
          : `<?xml version="1.0" encoding="utf-8"?><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(`${message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}`)}</Message></Error>`;
      res
        .writeHead(status, {
          'content-type': 'application/xml',
          'content-length': String(Buffer.byteLength(body)),
          'x-ms-error-code': code,
          'x-ms-request-id': requestId,
          'x-ms-version': String(request.headers['x-ms-version'] ?? DEFAULT_VERSION),
          ...(request.headers['x-ms-client-request-id'] ? { 'x-ms-client-request-id': String(request.headers['x-ms-client-request-id']) } : {}),
        })
        .end(body);
    };

    void (async () => {
      const rule = rules.find((r) => (r.times === undefined || r.times > 0) && r.match(request));
      if (rule && rule.times !== undefined) rule.times--;
      if (rule?.delayMs) await new Promise((resolve) => setTimeout(resolve, rule.delayMs));
      if (rule?.before) await rule.before(request);
      if (rule?.fault === 'reset') {
        record(0, 'proxy');
        req.socket.destroy();
        return;
      }
      if (rule?.fault) {
        answerError(rule.fault.status, rule.fault.code, rule.fault.message);
        return;
      }
      if (rule?.respond) {
        record(rule.respond.status, 'proxy');
        req.resume();
        res.writeHead(rule.respond.status, rule.respond.headers ?? {}).end(rule.respond.body ?? '');
        return;
      }

      const blob = blobPath(url.pathname);
      const current = blob ? tracked.get(blob.key) : undefined;

      if (blob && isAbortCopy(request)) {
        if (current?.status === 'pending') {
          if (current.id !== request.query.get('copyid')) return answerError(409, 'CopyIdMismatch');
          conclude(current, 'aborted');
          await current.settled;
          record(204, 'proxy');
          req.resume();
          res
            .writeHead(204, {
              'x-ms-request-id': randomUUID(),
              'x-ms-version': String(request.headers['x-ms-version'] ?? DEFAULT_VERSION),
              ...(request.headers['x-ms-client-request-id'] ? { 'x-ms-client-request-id': String(request.headers['x-ms-client-request-id']) } : {}),
            })
            .end();
          return;
        }
        if (current) return answerError(409, 'NoPendingCopyOperation');
      }
      if (current?.status === 'pending' && writesWhilePending(request)) return answerError(409, 'PendingCopyOperation');

      const plan = rule?.pendingCopy && blob && isCopyBlob(request) ? rule.pendingCopy : undefined;
      if (plan && blob && !keys.has(blob.account)) {
        return answerError(500, 'InternalError', `storageProxy: pendingCopy needs the key of account ${blob.account} in options.accounts`);
      }

      // A read of a tracked destination is one poll; the poll after the planned ones concludes the copy.
      let shown = current && isRead(request) ? current : undefined;
      if (shown?.status === 'pending' && ++shown.polls > shown.plannedPolls) {
        if (shown.then === 'success') {
          shown.status = 'success';
          shown.bytes = shown.total ?? shown.bytes;
          tracked.delete(shown.path);
          shown = undefined;
        } else {
          conclude(shown, 'failed', shown.then.failed);
        }
      }
      if (shown) await shown.settled;

      // Azurite reads a Put Block From URL or Copy Blob source itself only when its host:port is
      // the one the request was sent to: present the request as sent to Azurite.
      const headers = { ...req.headers, host: `127.0.0.1:${targetPort}` };
      // A Copy Blob whose source was named through the proxy (a snapshot put back over its blob)
      // reads from Azurite itself. The source header is signed, so the proxy makes the request
      // anew with the account's key: no conditions, which such a restore does not send.
      const copySource = req.headers['x-ms-copy-source'];
      if (blob && isCopyBlob(request) && typeof copySource === 'string' && copySource.startsWith(`${origin}/`) && keys.has(blob.account)) {
        req.resume();
        const client = new BlockBlobClient(`http://127.0.0.1:${targetPort}${url.pathname}`, new StorageSharedKeyCredential(blob.account, keys.get(blob.account)!), { retryOptions: { maxTries: 1 } });
        const started = (await client.beginCopyFromURL(`http://127.0.0.1:${targetPort}${copySource.slice(origin.length)}`)).getOperationState() as { copyId?: string; isCompleted?: boolean };
        if (current && tracked.get(blob.key) === current) tracked.delete(blob.key);
        record(202, 'proxy');
        res.writeHead(202, { 'x-ms-copy-id': started.copyId ?? '', 'x-ms-copy-status': started.isCompleted ? 'success' : 'pending', 'x-ms-request-id': randomUUID(), 'x-ms-version': String(req.headers['x-ms-version'] ?? '') }).end();
        return;
      }
      const upstream = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers }, (answer) => {
        const status = answer.statusCode ?? 502;
        const out: http.OutgoingHttpHeaders = { ...answer.headers };
        const ok = status >= 200 && status < 300;

        if (blob && ok && replacesBlob(request) && current && current.status !== 'pending' && tracked.get(blob.key) === current) {
          tracked.delete(blob.key);
        }
        if (plan && blob && ok && typeof answer.headers['x-ms-copy-id'] === 'string') {
          const copy: CopyRecord = {
            id: answer.headers['x-ms-copy-id'],
            path: blob.key,
            rawPath: url.pathname,
            account: blob.account,
            source: String(request.headers['x-ms-copy-source']),
            status: 'pending',
            plannedPolls: plan.polls,
            polls: 0,
            bytes: 0,
            then: plan.then,
            settled: Promise.resolve(),
          };
          history.push(copy);
          tracked.set(blob.key, copy);
          out['x-ms-copy-status'] = 'pending';
        }
        if (blob && isAbortCopy(request) && status === 409 && answer.headers['x-ms-error-code'] === 'CopyIdMismatch') {
          // Azurite compares ids before it looks for a pending copy; Azure answers that no copy is pending.
          answer.resume();
          return answerError(409, 'NoPendingCopyOperation');
        }
        if (shown && ok) {
          shown.total ??= sizeFrom(status, answer.headers);
          const total = shown.total ?? 0;
          out['x-ms-copy-id'] = shown.id;
          out['x-ms-copy-source'] = shown.source;
          out['x-ms-copy-status'] = shown.status;
          if (shown.status === 'pending') {
            shown.bytes = Math.floor((total * shown.polls) / (shown.plannedPolls + 1));
            delete out['x-ms-copy-completion-time'];
            delete out['x-ms-copy-status-description'];
          } else {
            out['x-ms-copy-completion-time'] = (shown.completedOn ?? new Date()).toUTCString();
            if (shown.description !== undefined) out['x-ms-copy-status-description'] = shown.description;
            else delete out['x-ms-copy-status-description'];
          }
          out['x-ms-copy-progress'] = `${shown.bytes}/${total}`;
        }
        record(status, 'azurite');
        res.writeHead(status, out);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    })().catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else answerError(500, 'InternalError', `storageProxy: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const snapshot = (c: CopyRecord): TrackedCopy => ({
    id: c.id,
    path: c.path,
    source: c.source,
    status: c.status,
    plannedPolls: c.plannedPolls,
    polls: c.polls,
    bytes: c.bytes,
    total: c.total,
    description: c.description,
  });
  return {
    origin,
    requests,
    rules,
    stagedBlocks: () => requests.filter((r) => r.method === 'PUT' && r.query.get('comp') === 'block' && r.status === 201).length,
    copyStarts: () => requests.filter((r) => isCopyBlob(r) && r.status >= 200 && r.status < 300),
    aborts: () => requests.filter((r) => isAbortCopy(r) && r.status === 204),
    copies: () => history.map(snapshot),
    pendingCopies: () => history.filter((c) => c.status === 'pending').map(snapshot),
    endAfter(copyId, more) {
      const copy = history.find((c) => c.id === copyId && c.status === 'pending');
      if (!copy) return;
      copy.plannedPolls = copy.polls + more;
      if (more === 0 && copy.then === 'success') {
        copy.status = 'success';
        copy.bytes = copy.total ?? copy.bytes;
        tracked.delete(copy.path);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
