/**
 * Where a remote caller may make the app connect (OWASP's SSRF prevention, allow-list form):
 * public addresses, the storage endpoints the app is configured with, and the private endpoints
 * the operator trusts (BLOBFERRY_TRUSTED_ENDPOINTS). Literal addresses are checked before any
 * request; names are checked when the connection is made (the agents' lookup), so a name that
 * resolves to a public address at one moment and to loopback the next (DNS rebinding) is caught
 * on the connection that would use it.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { BlobferryError, type ErrorCode } from '../../contracts/errors';

/** Ranges that are not the public internet (IANA special-purpose registries), IPv4 and IPv6. */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local: the cloud metadata endpoint lives here
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback (::1) and the deprecated IPv4-compatible form
  ['64:ff9b::', 96], // NAT64: an IPv4 address inside
  ['64:ff9b:1::', 48], // local NAT64
  ['100::', 64], // discard
  ['2001::', 32], // Teredo: an IPv4 address inside
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: an IPv4 address inside
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed by some)
  ['ff00::', 8], // multicast
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** An address as the kernel would use it: IPv4-mapped and IPv4-compatible IPv6 forms as IPv4. */
export function canonicalAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const version = isIP(bare);
  if (version === 4) return { address: bare, family: 'ipv4' };
  if (version !== 6) return undefined;
  const mapped = /^(?:0{0,4}:){0,5}(?:0{0,4}:)?ffff:(.+)$/i.exec(bare) ?? /^::(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) {
    const tail = mapped[1];
    if (isIP(tail) === 4) return { address: tail, family: 'ipv4' };
    const words = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(tail);
    if (words) {
      const [hi, lo] = [parseInt(words[1], 16), parseInt(words[2], 16)];
      return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 'ipv4' };
    }
  }
  return { address: bare, family: 'ipv6' };
}

export function isPublicAddress(address: string): boolean {
  const canonical = canonicalAddress(address);
  return canonical !== undefined && !NOT_PUBLIC.check(canonical.address, canonical.family);
}

/** Host names that always mean this machine or its private network, whatever DNS says. */
function isLocalName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.+$/, '');
  return name === 'localhost' || name.endsWith('.localhost') || name.endsWith('.internal') || name.endsWith('.local') || name === 'metadata' || !name.includes('.');
}

/** Endpoints trusted beyond the public internet: exact host[:port] entries and address ranges. */
export interface TrustedEndpoints {
  /** "host:port" and bare "host" entries, lowercased. */
  hosts: Set<string>;
  ranges: BlockList;
}

export function trustedEndpoints(entries: Iterable<string>): TrustedEndpoints {
  const hosts = new Set<string>();
  const ranges = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    const cidr = /^\[?([0-9a-f:.]+)\]?\/(\d{1,3})$/i.exec(entry);
    const canonical = cidr ? canonicalAddress(cidr[1]) : undefined;
    if (cidr && canonical) {
      ranges.addSubnet(canonical.address, Number(cidr[2]), canonical.family);
      continue;
    }
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.test(entry)) {
      throw new BlobferryError('CONFIG_INVALID', `BLOBFERRY_TRUSTED_ENDPOINTS: "${raw.slice(0, 100)}" is neither host[:port] nor an address range such as 10.1.0.0/16.`);
    }
    hosts.add(entry);
  }
  return { hosts, ranges };
}

function isTrustedHost(trusted: TrustedEndpoints, url: URL): boolean {
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return trusted.hosts.has(`${host}:${port}`) || trusted.hosts.has(host);
}

function isTrustedAddress(trusted: TrustedEndpoints, address: string): boolean {
  const canonical = canonicalAddress(address);
  return canonical !== undefined && trusted.ranges.check(canonical.address, canonical.family);
}

/** What may be connected to, and the agents that hold connections to it. */
export interface NetworkGuard {
  /** Throws SOURCE_NOT_ALLOWED (or `code`) when `url` may not be reached; called before every request, redirects included. */
  check(url: URL, what: string, code?: ErrorCode): void;
  agentFor(url: URL): http.Agent;
}

const KEEP_ALIVE = { keepAlive: true };

/** The CLI acts for the person running it: anything their machine can reach. */
export const OPEN_NETWORK: NetworkGuard = (() => {
  const agents = { http: new http.Agent(KEEP_ALIVE), https: new https.Agent(KEEP_ALIVE) };
  return { check: () => undefined, agentFor: (url) => (url.protocol === 'https:' ? agents.https : agents.http) };
})();

export function notAllowed(what: string, why: string, code: ErrorCode = 'SOURCE_NOT_ALLOWED'): BlobferryError {
  return new BlobferryError(code, `${what} is not allowed: ${why}. A remote request may name public addresses, the app's own storage endpoints, and endpoints the operator lists in BLOBFERRY_TRUSTED_ENDPOINTS (see docs/security.md).`);
}

/**
 * A lookup that refuses names resolving to addresses remote callers may not reach: every address
 * the name resolves to must be public or trusted (one private answer among public ones fails, so
 * the connection cannot be steered by which answer the socket tries first).
 */
export function guardedLookup(trusted: TrustedEndpoints, resolve: typeof dns.lookup = dns.lookup): LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as unknown as dns.LookupAddress[];
      const refused = list.find((a) => !isPublicAddress(a.address) && !isTrustedAddress(trusted, a.address));
      if (refused || list.length === 0) {
        // Which private address it resolved to is not said: remote callers must not learn the internal DNS.
        const error = notAllowed(`The host ${hostname}`, refused ? 'it resolves to an address that is not public' : 'it resolves to no address') as BlobferryError & NodeJS.ErrnoException;
        return callback(error, '');
      }
      if (options.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  }) as LookupFunction;
}

/** For remote callers: public or trusted addresses only, checked before the request and at connect time. */
export function remoteNetwork(trusted: TrustedEndpoints, resolve: typeof dns.lookup = dns.lookup): NetworkGuard {
  const lookup = guardedLookup(trusted, resolve);
  const guarded = { http: new http.Agent({ ...KEEP_ALIVE, lookup }), https: new https.Agent({ ...KEEP_ALIVE, lookup }) };
  return {
    check(url, what, code) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw notAllowed(what, `${url.protocol} is not http or https`, code);
      if (isTrustedHost(trusted, url)) return;
      const literal = canonicalAddress(url.hostname);
      if (literal) {
        if (!isPublicAddress(literal.address) && !isTrustedAddress(trusted, literal.address)) throw notAllowed(what, `${url.hostname} is not a public address`, code);
        return;
      }
      if (isLocalName(url.hostname)) throw notAllowed(what, `${url.hostname} names this machine or its private network`, code);
    },
    agentFor(url) {
      // Trusted hosts keep the open agents: their names may resolve to private addresses by design.
      if (isTrustedHost(trusted, url)) return OPEN_NETWORK.agentFor(url);
      return url.protocol === 'https:' ? guarded.https : guarded.http;
    },
  };
}
