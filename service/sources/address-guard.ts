import ipaddr from 'ipaddr.js';

/**
 * Why an allow-list entry cannot be used, if it cannot: one with a slash is a CIDR range and must
 * parse as one (the guard is built per download, so a bad entry would fail every URL source).
 */
export function allowEntryProblem(entry: string): string | undefined {
  return entry.includes('/') && !ipaddr.isValidCIDR(entry) ? `"${entry}" is not a CIDR range (10.20.0.0/16, fd00::/8)` : undefined;
}

/**
 * Decides which network addresses a `url` source may reach. Only public unicast addresses pass, so a
 * URL cannot make the worker talk to loopback, private networks, link-local cloud metadata services
 * (169.254.169.254) and the like, unless the operator allow-lists a host name or a CIDR range.
 */
export class AddressGuard {
  private readonly hosts = new Set<string>();
  private readonly ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];

  /** `allow`: host names (`images.internal`) and CIDR ranges (`10.1.0.0/16`, `127.0.0.1/32`). */
  constructor(allow: readonly string[] = []) {
    for (const entry of allow) {
      if (entry.includes('/')) this.ranges.push(ipaddr.parseCIDR(entry));
      else if (ipaddr.isValid(entry)) this.ranges.push(ipaddr.parseCIDR(`${entry}/${ipaddr.parse(entry).kind() === 'ipv4' ? 32 : 128}`));
      else this.hosts.add(entry.toLowerCase());
    }
  }

  hostAllowed(hostname: string): boolean {
    return this.hosts.has(hostname.toLowerCase());
  }

  /** Whether a connection to this IP address is allowed (IPv4-mapped IPv6 is judged as IPv4). */
  addressAllowed(address: string): boolean {
    if (!ipaddr.isValid(address)) return false;
    let ip = ipaddr.parse(address);
    if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
    if (ip.range() === 'unicast') return true;
    return this.ranges.some(([range, bits]) => range.kind() === ip.kind() && ip.match(range, bits));
  }
}
