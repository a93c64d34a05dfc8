import { BlockList, isIP, isIPv4 } from 'node:net';
import { BoundedMemo } from '../bounded-memo.js';

/**
 * The address a client is counted by (rate limits, connection caps).
 *
 * - The TCP peer, unless it is a trusted proxy.
 * - From a trusted proxy, the proxy's forwarding header is walked from the right (the hop the proxy
 *   itself appended) to the left, skipping trusted hops; the first untrusted hop is the client.
 *   Entries further left were written by the client and prove nothing (RFC 7239 §8.1). An entry
 *   that is not an address (`unknown`, an obfuscated identifier, garbage) ends the walk at the hop
 *   that reported it, which is a trusted proxy: the client is then counted as that proxy.
 * - IPv6 addresses count per /64: one host is routinely given a whole /64 (RFC 6177, RFC 8981), so
 *   per-address counting would multiply every limit by 2^64. IPv4-mapped IPv6 (`::ffff:a.b.c.d`,
 *   what a dual-stack socket reports for an IPv4 peer) counts as the IPv4 address.
 */

/** Which header a trusted proxy writes. Only one is read: a header the proxy does not manage is the client's. */
export type ForwardedHeader = 'x-forwarded-for' | 'forwarded';

export class TrustedProxies {
  private readonly list = new BlockList();
  readonly empty: boolean;

  /** `entries` were checked by `trustedProxyProblem`. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, bits] = entry.split('/') as [string, string | undefined];
      const plain = unmapIPv4(address);
      const family = isIPv4(plain) ? 'ipv4' : 'ipv6';
      // A CIDR written as IPv4-mapped (::ffff:10.0.0.0/104) is the IPv4 prefix it maps.
      const prefix = bits === undefined ? undefined : plain !== address ? Number(bits) - 96 : Number(bits);
      if (prefix === undefined) this.list.addAddress(plain, family);
      else this.list.addSubnet(plain, prefix, family);
    }
    this.empty = entries.length === 0;
  }

  has(address: string): boolean {
    if (this.empty) return false;
    const plain = unmapIPv4(address);
    const family = isIP(plain);
    return family !== 0 && this.list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** Why an entry of TRUSTED_PROXIES is not an IP address or CIDR, or undefined when it is one. */
export function trustedProxyProblem(entry: string): string | undefined {
  const [address, bits, extra] = entry.split('/');
  if (extra !== undefined || !address || isIP(address) === 0) return `"${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8, fd00::/8)`;
  if (bits === undefined) return undefined;
  const max = isIPv4(address) ? 32 : 128;
  const min = unmapIPv4(address) !== address ? 96 : 0;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max || Number(bits) < min) {
    return `"${entry}" has a prefix length outside ${min}-${max}`;
  }
  return undefined;
}

export interface AddressRequest {
  socket: { remoteAddress?: string };
  headers: Record<string, string | string[] | undefined>;
}

/** The counting key of the client behind `req` (see the module comment). */
export function clientAddress(req: AddressRequest, trusted: TrustedProxies, header: ForwardedHeader): string {
  const peer = req.socket.remoteAddress;
  if (!peer) return 'unknown';
  if (!trusted.has(peer)) return PEER_KEYS.get(peer);
  const raw = req.headers[header];
  const hops = forwardedHops(Array.isArray(raw) ? raw.join(',') : (raw ?? ''), header);
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) break;
    client = hop;
    if (!trusted.has(hop)) break;
  }
  return addressKey(client);
}

/** The keys of the peers that connect: the same few addresses send request after request. */
const PEER_KEYS = new BoundedMemo(addressKey, 1000);

/** The addresses listed by a forwarding header, left (the original client) to right (the last proxy). */
export function forwardedHops(value: string, header: ForwardedHeader): string[] {
  const elements = value.split(',').map((part) => part.trim());
  if (header === 'x-forwarded-for') return elements.filter(Boolean).map(stripPort);
  // RFC 7239 §4: forwarded-element = pairs separated by ";", `for=` names the client of that hop;
  // §6: an IPv6 node is quoted and bracketed, a port may follow ("[2001:db8::1]:4711").
  return elements.filter(Boolean).map((element) => {
    const pair = element
      .split(';')
      .map((p) => p.trim())
      .find((p) => p.slice(0, 4).toLowerCase() === 'for=');
    if (!pair) return '';
    const node = pair.slice(4).replace(/^"(.*)"$/, '$1');
    return stripPort(node);
  });
}

/** `[v6]:port` → v6, `v4:port` → v4; anything else unchanged. */
function stripPort(node: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(node);
  if (bracketed) return bracketed[1]!;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(node);
  return v4 ? v4[1]! : node;
}

/** `::ffff:a.b.c.d` (any case, any spelling of the zeros) → `a.b.c.d`. */
function unmapIPv4(address: string): string {
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped && isIPv4(mapped[1]!) ? mapped[1]! : address;
}

/** An IPv4 address as is; an IPv6 address as its /64 (`2001:db8:0:1::/64`). */
export function addressKey(address: string): string {
  const plain = unmapIPv4(address.replace(/%.*$/, ''));
  if (isIPv4(plain)) return plain;
  const groups = expandIPv6(plain);
  if (!groups) return plain;
  const hex = groups.slice(0, 4).map((g) => g.toString(16));
  return `${hex.join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, or undefined when it is not one. */
function expandIPv6(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.toLowerCase();
  // A dotted IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two groups.
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const missing = rest === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((g) => parseInt(g, 16));
}
