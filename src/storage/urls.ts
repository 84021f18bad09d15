/** URL facts every endpoint kind needs: secrets in queries, and addresses no cloud service can reach. */
import { isIP } from 'node:net';

export function withSecret(url: string, secret: string | undefined): string {
  return secret ? `${url}?${secret}` : url;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** Hosts the cloud service cannot reach: loopback, private and link-local ranges, bare names. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isLoopbackHost(host) || !host.includes('.') || host.endsWith('.local') || host.endsWith('.internal')) return true;
  if (isIP(host) === 4) {
    const [a, b] = host.split('.').map(Number);
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || a === 0;
  }
  if (isIP(host) === 6) return /^(fc|fd|fe80)/i.test(host);
  return false;
}

/** Why a cloud service could not fetch this URL, or undefined when it could. */
export function privateBecause(url: URL, what: string): string | undefined {
  if (url.protocol === 'http:') return `${what} is on plain http, which the storage service does not fetch`;
  if (isPrivateHost(url.hostname)) return `${what} is on a private address the storage service cannot reach`;
  return undefined;
}

/** A URL's path segments, percent-decoded. */
export function decodedSegments(url: URL): string[] | undefined {
  try {
    return url.pathname.split('/').filter((s) => s.length > 0).map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

export function shorten(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
