import { describe, expect, it } from '@jest/globals';
import { addressKey, clientAddress, forwardedHops, TrustedProxies, trustedProxyProblem } from '../../src/http/client-address.js';
import { loadConfig } from '../../src/config/load-config.js';

const from = (remoteAddress: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers });

describe('addressKey', () => {
  it('keeps IPv4 addresses whole', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts IPv6 per /64, however the address is written', () => {
    expect(addressKey('2001:db8:a:b:1:2:3:4')).toBe('2001:db8:a:b::/64');
    expect(addressKey('2001:DB8:A:B::FFFF')).toBe('2001:db8:a:b::/64');
    expect(addressKey('2001:0db8:000a:000b:0000:0000:0000:0001')).toBe('2001:db8:a:b::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('2001:db8:a:b::1')).not.toBe(addressKey('2001:db8:a:c::1'));
  });

  it('treats IPv4-mapped IPv6 (a dual-stack socket) as the IPv4 address', () => {
    expect(addressKey('::ffff:198.51.100.9')).toBe('198.51.100.9');
    expect(addressKey('::FFFF:198.51.100.9')).toBe('198.51.100.9');
    expect(addressKey('0:0:0:0:0:ffff:198.51.100.9')).toBe('198.51.100.9');
  });
});

describe('clientAddress', () => {
  const trusted = new TrustedProxies(['10.0.0.0/8', '2001:db8:ffff::/48', '192.0.2.1']);

  it('is the TCP peer when the peer is not a trusted proxy, whatever the headers say', () => {
    const req = from('203.0.113.7', { 'x-forwarded-for': '198.51.100.1', forwarded: 'for=198.51.100.2' });
    expect(clientAddress(req, trusted, 'x-forwarded-for')).toBe('203.0.113.7');
    expect(clientAddress(req, trusted, 'forwarded')).toBe('203.0.113.7');
    expect(clientAddress(req, new TrustedProxies([]), 'x-forwarded-for')).toBe('203.0.113.7');
  });

  it('walks X-Forwarded-For from the right, skipping trusted hops', () => {
    const req = from('10.1.2.3', { 'x-forwarded-for': '6.6.6.6, 198.51.100.4, 10.9.9.9' });
    expect(clientAddress(req, trusted, 'x-forwarded-for')).toBe('198.51.100.4');
  });

  it('recognises a trusted IPv4 peer written as IPv4-mapped IPv6', () => {
    expect(clientAddress(from('::ffff:10.1.2.3', { 'x-forwarded-for': '198.51.100.4' }), trusted, 'x-forwarded-for')).toBe('198.51.100.4');
  });

  it('reads the header the proxies write, and only that one', () => {
    const req = from('192.0.2.1', { 'x-forwarded-for': '198.51.100.5', forwarded: 'for=198.51.100.6' });
    expect(clientAddress(req, trusted, 'x-forwarded-for')).toBe('198.51.100.5');
    expect(clientAddress(req, trusted, 'forwarded')).toBe('198.51.100.6');
  });

  it('joins repeated headers, in order', () => {
    const req = { socket: { remoteAddress: '10.0.0.1' }, headers: { 'x-forwarded-for': ['6.6.6.6', '198.51.100.7'] } };
    expect(clientAddress(req, trusted, 'x-forwarded-for')).toBe('198.51.100.7');
  });

  it('counts the client behind a trusted IPv6 proxy per /64', () => {
    const req = from('2001:db8:ffff:1::1', { 'x-forwarded-for': '2001:db8:5:6:7:8:9:a' });
    expect(clientAddress(req, trusted, 'x-forwarded-for')).toBe('2001:db8:5:6::/64');
  });

  it('stops at an entry that is not an address and counts the proxy that reported it', () => {
    expect(clientAddress(from('10.0.0.1', { 'x-forwarded-for': '198.51.100.8, unknown' }), trusted, 'x-forwarded-for')).toBe('10.0.0.1');
    expect(clientAddress(from('10.0.0.1', { forwarded: 'for=_hidden' }), trusted, 'forwarded')).toBe('10.0.0.1');
    expect(clientAddress(from('10.0.0.1', { 'x-forwarded-for': '198.51.100.8, 10.0.0.2, <script>' }), trusted, 'x-forwarded-for')).toBe(
      '10.0.0.1',
    );
  });

  it('is the leftmost hop when every hop is trusted, and the peer when no header is sent', () => {
    expect(clientAddress(from('10.0.0.1', { 'x-forwarded-for': '10.0.0.3, 10.0.0.2' }), trusted, 'x-forwarded-for')).toBe('10.0.0.3');
    expect(clientAddress(from('10.0.0.1'), trusted, 'x-forwarded-for')).toBe('10.0.0.1');
  });
});

describe('forwardedHops (RFC 7239 §4, §6)', () => {
  it('takes the for= node of each element: quoted, bracketed IPv6, ports, any case, any parameter order', () => {
    expect(
      forwardedHops(
        'for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711", proto=https;for=198.51.100.17:80',
        'forwarded',
      ),
    ).toEqual(['192.0.2.60', '2001:db8:cafe::17', '198.51.100.17']);
  });

  it('keeps an element without for= as a hop that is not an address', () => {
    expect(forwardedHops('proto=https, for=192.0.2.1', 'forwarded')).toEqual(['', '192.0.2.1']);
  });

  it('strips ports from X-Forwarded-For entries', () => {
    expect(forwardedHops('192.0.2.1:5555, [2001:db8::1]:443, 2001:db8::2', 'x-forwarded-for')).toEqual([
      '192.0.2.1',
      '2001:db8::1',
      '2001:db8::2',
    ]);
  });
});

describe('TRUSTED_PROXIES', () => {
  it('matches addresses and CIDRs of both families', () => {
    const trusted = new TrustedProxies(['10.0.0.0/8', '192.0.2.1', 'fd00::/8', '::1', '::ffff:172.16.0.0/108']);
    expect(['10.255.0.1', '192.0.2.1', 'fd12::5', '::1', '172.16.3.4', '::ffff:10.0.0.1'].map((a) => trusted.has(a))).toEqual(
      Array(6).fill(true),
    );
    expect(['11.0.0.1', '192.0.2.2', 'fe00::1', '::2', '172.32.0.1', 'not-an-ip'].map((a) => trusted.has(a))).toEqual(Array(6).fill(false));
  });

  it('refuses at startup entries that are not IPs or CIDRs, listing each', () => {
    expect(trustedProxyProblem('10.0.0.0/8')).toBeUndefined();
    expect(trustedProxyProblem('2001:db8::/32')).toBeUndefined();
    for (const bad of [
      '10.0.0.0/33',
      '2001:db8::/129',
      'proxy.internal',
      '10.0.0.1/8/8',
      '10.0.0.0/',
      '10.0.0.0/-1',
      '::ffff:10.0.0.0/64',
    ]) {
      expect(trustedProxyProblem(bad)).toEqual(expect.stringContaining(bad));
    }
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, proxy.internal, 10.0.0.0/40' }, [])).toThrow(
      /TRUSTED_PROXIES: "proxy.internal".*\n.*TRUSTED_PROXIES: "10.0.0.0\/40"/,
    );
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, ::1' }, []).trustedProxies).toEqual(['10.0.0.0/8', '::1']);
  });
});
