/**
 * How often a storage endpoint asked to slow down (503, 429), every try counted: the pacer's
 * signal (plan/pace.ts). The SDK retries a throttled request by itself, so its answers to us do
 * not show it; Node's HTTP client reports every response on a diagnostics channel, and they are
 * counted here by the endpoint's root (origin and first path segment: an Azurite account).
 */
import diagnostics_channel from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';

const counts = new Map<string, number>();
let listening = false;

/** The keys an answer counts under: its origin (a host-style account), and origin plus first path segment (a path-style one). */
function keysOf(origin: string, path: string): string[] {
  return [origin.toLowerCase(), `${origin}/${path.split('/')[1] ?? ''}`.toLowerCase()];
}

function listen(): void {
  if (listening) return;
  listening = true;
  diagnostics_channel.subscribe('http.client.response.finish', (message) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    if (response.statusCode !== 503 && response.statusCode !== 429) return;
    for (const key of keysOf(`${request.protocol}//${request.getHeader('host') ?? request.host}`, request.path)) counts.set(key, (counts.get(key) ?? 0) + 1);
  });
}

/** A counter of the throttling answers of the service at `serviceUrl` from now on. */
export function throttlingSince(serviceUrl: string): () => number {
  listen();
  const url = new URL(serviceUrl);
  // Host-style accounts are their own host; a path-style (Azurite) account is the first segment.
  const [origin, withAccount] = keysOf(url.origin, url.pathname);
  const root = url.pathname.length > 1 ? withAccount : origin;
  const start = counts.get(root) ?? 0;
  return () => (counts.get(root) ?? 0) - start;
}
