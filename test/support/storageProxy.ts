/**
 * An HTTP proxy in front of Azurite for tests: it records every request with its answer, and
 * rules can delay requests, run a hook when one passes (to change state mid-copy), or answer
 * in Azurite's place. Loopback only. Later fault-injection tests extend the rules.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
}

export interface ProxyRule {
  match(request: ProxiedRequest): boolean;
  delayMs?: number;
  /** Runs before the request is forwarded (and is awaited). */
  before?(request: ProxiedRequest): void | Promise<void>;
  /** Answer instead of Azurite. */
  respond?: { status: number; headers?: Record<string, string>; body?: string };
  /** How many more requests the rule applies to (default: all). */
  times?: number;
}

export interface RecordedRequest extends ProxiedRequest {
  status: number;
}

export interface StorageProxy {
  /** http://127.0.0.1:<port> */
  origin: string;
  requests: RecordedRequest[];
  rules: ProxyRule[];
  /** Put Block / Put Block From URL requests that succeeded. */
  stagedBlocks(): number;
  close(): Promise<void>;
}

export async function startStorageProxy(targetPort: number): Promise<StorageProxy> {
  const requests: RecordedRequest[] = [];
  const rules: ProxyRule[] = [];
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      const request: ProxiedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers };
      const rule = rules.find((r) => (r.times === undefined || r.times > 0) && r.match(request));
      if (rule && rule.times !== undefined) rule.times--;
      if (rule?.delayMs) await new Promise((resolve) => setTimeout(resolve, rule.delayMs));
      if (rule?.before) await rule.before(request);
      if (rule?.respond) {
        requests.push({ ...request, status: rule.respond.status });
        req.resume();
        res.writeHead(rule.respond.status, rule.respond.headers ?? {}).end(rule.respond.body ?? '');
        return;
      }
      // Azurite reads a Put Block From URL source itself only when its host:port is the one the
      // request was sent to: present the request as sent to Azurite.
      const headers = { ...req.headers, host: `127.0.0.1:${targetPort}` };
      const upstream = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers }, (answer) => {
        requests.push({ ...request, status: answer.statusCode ?? 0 });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    rules,
    stagedBlocks: () => requests.filter((r) => r.method === 'PUT' && r.query.get('comp') === 'block' && r.status === 201).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
