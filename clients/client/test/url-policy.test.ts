import { describe, expect, it } from 'vitest';
import { createAuthClient, createUrlPolicy } from '../src/index.js';

const PAGE = 'https://app.example.com/lessons/today';

describe('URL policy: where credentials may go', () => {
  const policy = createUrlPolicy({
    allowed: ['https://api.example.com', 'https://partner.example.org/v1', '/api/'],
    blocked: ['https://api.example.com/public', '/api/uploads/'],
    pageUrl: PAGE,
  });

  it.each([
    'https://api.example.com/lessons',
    'https://api.example.com',
    'https://API.EXAMPLE.COM/lessons', // hosts are case-insensitive
    'https://api.example.com:443/lessons', // default port is the same origin
    'https://partner.example.org/v1',
    'https://partner.example.org/v1/items?x=1',
    '/api/lessons',
    '../api/x', // resolves against /lessons/today to /api/x on the page origin
    'https://app.example.com/api/lessons',
  ])('allows %s', (url) => {
    expect(policy.allows(url)).toBe(true);
  });

  it.each([
    ['a look-alike host', 'https://api.example.com.evil.com/lessons'],
    ['userinfo that hides the real host', 'https://api.example.com@evil.com/lessons'],
    ['a protocol-relative URL to another host', '//evil.com/api/lessons'],
    ['a backslash trick the URL parser turns into another host', 'https:\\\\evil.com\\api'],
    ['another port', 'https://api.example.com:8443/lessons'],
    ['plain http to an https origin', 'http://api.example.com/lessons'],
    ['a sibling subdomain', 'https://evil.example.com/lessons'],
    ['a parent domain', 'https://example.com/lessons'],
    ['a prefix that is not a path segment', 'https://partner.example.org/v10/items'],
    ['a path outside the allowed prefix', 'https://partner.example.org/v2/items'],
    ['a page-origin path outside /api/', '/admin'],
    ['dot segments escaping the prefix', '/api/../admin'],
    ['encoded dot segments escaping the prefix', '/api/%2e%2e/admin'],
    ['a blocked prefix on an allowed origin', 'https://api.example.com/public/feed'],
    ['a blocked relative prefix', '/api/uploads/1'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a data: URL', 'data:text/plain,hi'],
    ['a blob: URL', 'blob:https://app.example.com/1234'],
    ['an unparsable URL', 'http://[::1'],
  ])('refuses %s', (_why, url) => {
    expect(policy.allows(url)).toBe(false);
  });

  it('lets the blocked list win over the allowed list', () => {
    const both = createUrlPolicy({ allowed: ['https://a.example'], blocked: ['https://a.example'], pageUrl: PAGE });
    expect(both.allows('https://a.example/x')).toBe(false);
  });

  it('rejects a malformed entry loudly at start-up', () => {
    expect(() => createUrlPolicy({ allowed: ['ftp://files.example.com'], blocked: [], pageUrl: PAGE })).toThrow(TypeError);
    expect(() => createUrlPolicy({ allowed: ['/api'], blocked: [], pageUrl: undefined })).toThrow(/not an http/);
  });
});

describe('client defaults', () => {
  it('allows only the page origin and the auth server by default', () => {
    const client = createAuthClient({ crossTab: false, baseUrl: 'https://auth.example.com' });
    expect(client.isAllowedUrl('/api/lessons')).toBe(true); // jsdom page: http://localhost:3000
    expect(client.isAllowedUrl('https://auth.example.com/api/auth/me')).toBe(true);
    expect(client.isAllowedUrl('https://cdn.example.net/x')).toBe(false);
    expect(client.isAllowedUrl('http://localhost:3001/api/lessons')).toBe(false);
    client.dispose();
  });

  it('replaces the page origin with the configured allowed list', () => {
    const client = createAuthClient({ crossTab: false, allowedUrls: ['https://api.example.com/v1/'] });
    expect(client.isAllowedUrl('https://api.example.com/v1/lessons')).toBe(true);
    expect(client.isAllowedUrl('https://api.example.com/v2/lessons')).toBe(false);
    // the auth server (same origin here) always keeps credentials for /me and logout
    expect(client.isAllowedUrl('/api/auth/me')).toBe(true);
    client.dispose();
  });

  it('rejects an unknown delivery mode', () => {
    expect(() => createAuthClient({ delivery: 'header' as 'body' })).toThrow(TypeError);
  });
});
