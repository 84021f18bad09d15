/**
 * The local host's HTTP front door, laid out like `func start`:
 *   /<routePrefix>/<route>              the app's HTTP functions (default prefix "api")
 *   /runtime/webhooks/durabletask/...   the Durable HTTP API (webhooks)
 *   /                                   what this host serves, as JSON
 * plus a second, loopback-only listener for the Durable RPC endpoint (`rpcBaseUrl`) that the
 * app's durable client calls, as the extension's local RPC endpoint does in Azure.
 */
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BlobferryError } from '../../contracts/errors';
import type { DurableEngine } from '../durable/engine';
import type { CapturedFunction, FunctionsCore } from '../functionsCore';
import type { Invoker } from '../invoker';
import type { Logger } from '../logger';
import { hasValidKey, requiresKey } from './auth';
import { handleDurableApi, type WebhookUrls } from './durableApi';
import { toRpcHttpRequest, writeRpcHttpResponse } from './httpTrigger';
import { handleEventGridWebhook } from './eventGrid';
import { readBody, sendError, sendJson } from './respond';
import { RouteTemplate } from './routeTemplate';

interface HttpRoute {
  fn: CapturedFunction;
  template: RouteTemplate;
  methods: string[];
  authLevel: string;
}

export interface HttpLayerOptions {
  core: FunctionsCore;
  invoker: Invoker;
  engine: DurableEngine;
  urls: WebhookUrls;
  logger: Logger;
  routePrefix: string;
  functionKey?: string;
  /** Data for a durableClient input binding. */
}

export class HttpLayer {
  readonly routes: HttpRoute[];

  constructor(private readonly options: HttpLayerOptions) {
    this.routes = [...options.core.functions.values()]
      .filter((fn) => fn.trigger.type === 'httpTrigger')
      .map((fn) => ({
        fn,
        template: new RouteTemplate(String(fn.trigger.route ?? fn.metadata.name)),
        methods: ((fn.trigger.methods as string[] | undefined) ?? ['GET', 'POST']).map((m) => m.toUpperCase()),
        authLevel: String(fn.trigger.authLevel ?? 'anonymous'),
      }))
      .sort((a, b) => b.template.specificity - a.template.specificity);
  }

  /** The public server (app HTTP functions and Durable webhooks). */
  createPublicServer(): Server {
    return http.createServer((req, res) => {
      void this.handlePublic(req, res).catch((err) => this.fail(res, err));
    });
  }

  /** The loopback server behind `rpcBaseUrl`: the Durable API without keys, for the app's own client. */
  createRpcServer(): Server {
    return http.createServer((req, res) => {
      void (async () => {
        const { url, segments } = parseUrl(req);
        if (segments[0] !== 'durabletask') throw new BlobferryError('NOT_FOUND', `No RPC endpoint at ${url.pathname}.`);
        await handleDurableApi(this.options.engine, this.options.urls, req, res, url, segments.slice(1));
      })().catch((err) => this.fail(res, err));
    });
  }

  private async handlePublic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { url, segments } = parseUrl(req);
    if (segments[0] === 'runtime' && segments[1] === 'webhooks' && segments[2] === 'durabletask') {
      if (!hasValidKey(req, url, this.options.functionKey)) return unauthorized(res);
      return handleDurableApi(this.options.engine, this.options.urls, req, res, url, segments.slice(3));
    }
    if (segments[0] === 'runtime' && segments[1] === 'webhooks' && segments[2] === 'eventgrid' && segments.length === 3) {
      if (!hasValidKey(req, url, this.options.functionKey)) return unauthorized(res);
      return handleEventGridWebhook(req, res, url, [...this.options.core.functions.values()], this.options.invoker, this.options.logger);
    }
    const prefix = this.options.routePrefix ? this.options.routePrefix.split('/') : [];
    const underPrefix = prefix.every((p, i) => segments[i]?.toLowerCase() === p.toLowerCase());
    if (underPrefix) {
      const routePath = segments.slice(prefix.length);
      const candidates = this.routes.map((route) => ({ route, params: route.template.match(routePath) })).filter((c) => c.params);
      if (candidates.length > 0) {
        const method = (req.method ?? 'GET').toUpperCase();
        const chosen = candidates.find((c) => c.route.methods.includes(method));
        if (!chosen) {
          const allowed = [...new Set(candidates.flatMap((c) => c.route.methods))];
          res.setHeader('allow', allowed.join(', '));
          throw new BlobferryError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}; use ${allowed.join(', ')}.`);
        }
        if (requiresKey(chosen.route.authLevel) && !hasValidKey(req, url, this.options.functionKey)) return unauthorized(res);
        return this.invokeHttpFunction(chosen.route.fn, req, res, url, chosen.params!);
      }
    }
    if (segments.length === 0 && req.method === 'GET') return sendJson(res, 200, this.describe());
    throw new BlobferryError('NOT_FOUND', `Nothing is served at ${url.pathname}. HTTP functions are under /${this.options.routePrefix}/.`);
  }

  private async invokeHttpFunction(fn: CapturedFunction, req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): Promise<void> {
    const body = await readBody(req);
    let response;
    try {
      response = await this.options.invoker.invoke({ fn, triggerData: toRpcHttpRequest(req, url, body, params) });
    } catch (err) {
      // As the Functions host: the caller gets a bare 500, the log gets the reason.
      this.options.logger.error(`Function ${fn.metadata.name} failed: ${(err as Error)?.stack ?? err}`);
      res.writeHead(500).end();
      return;
    }
    writeRpcHttpResponse(res, response.returnValue);
  }

  private describe(): Record<string, unknown> {
    return {
      host: 'blobferry local host',
      functions: [...this.options.core.functions.values()].map((fn) => {
        const route = this.routes.find((r) => r.fn === fn);
        return route
          ? { name: fn.metadata.name, trigger: fn.trigger.type, methods: route.methods, route: `/${[this.options.routePrefix, route.template.template].filter(Boolean).join('/')}`, authLevel: route.authLevel }
          : { name: fn.metadata.name, trigger: fn.trigger.type };
      }),
    };
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (!(err instanceof BlobferryError)) this.options.logger.error(`HTTP request failed: ${(err as Error)?.stack ?? err}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendError(res, err);
  }
}

function parseUrl(req: IncomingMessage): { url: URL; segments: string[] } {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
  } catch {
    throw new BlobferryError('BAD_REQUEST', 'The request URL is malformed.');
  }
  const segments = url.pathname.split('/').filter((s) => s.length > 0);
  try {
    return { url, segments: segments.map((s) => decodeURIComponent(s)) };
  } catch {
    throw new BlobferryError('BAD_REQUEST', `The request path ${url.pathname} has an invalid percent-encoding.`);
  }
}

function unauthorized(res: ServerResponse): void {
  sendJson(res, 401, { code: 'UNAUTHORIZED', message: 'A function key is required: send it in the x-functions-key header or the code query parameter.' });
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new BlobferryError('CONFIG_INVALID', `Port ${port} on ${host} is already in use; choose another with --port or PORT.`) : err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
