import { describe, expect, it } from 'vitest';

import { AuthError } from '../src/errors.js';
import { continueWith, federatedLoginUrl, linkProvider } from '../src/federation.js';

function recorder(): { assign(url: string): void; urls: string[] } {
  const urls: string[] = [];
  return { urls, assign: (url: string) => urls.push(url) };
}

describe('federation helpers', () => {
  it('builds the start URL with return_to', () => {
    expect(federatedLoginUrl('corp', { baseUrl: 'https://auth.test', returnTo: '/app?x=1' })).toBe(
      'https://auth.test/login/federated/corp?return_to=%2Fapp%3Fx%3D1',
    );
    expect(federatedLoginUrl('a b')).toBe('/login/federated/a%20b');
  });

  it('continueWith navigates to the start URL', () => {
    const location = recorder();
    continueWith('gh', { location });
    expect(location.urls).toEqual(['/login/federated/gh']);
  });

  it('linkProvider posts with the XSRF header and follows the location', async () => {
    const location = recorder();
    const seen: { url: string; init: RequestInit | undefined }[] = [];
    const fake: typeof fetch = async (input, init) => {
      seen.push({ url: typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, init });
      return new Response(JSON.stringify({ location: 'https://idp.test/authorize?x' }), {
        headers: { 'content-type': 'application/json' },
      });
    };
    await linkProvider('corp', { fetch: fake, location, cookies: () => 'a=1; XSRF-TOKEN=tok' });
    expect(seen[0]?.url).toBe('/login/federated/corp?link=1');
    expect(seen[0]?.init?.method).toBe('POST');
    expect(seen[0]?.init?.headers).toEqual({ 'X-XSRF-TOKEN': 'tok' });
    expect(location.urls).toEqual(['https://idp.test/authorize?x']);
  });

  it('linkProvider rejects with the server problem and stays on the page', async () => {
    const location = recorder();
    const fake: typeof fetch = async () =>
      new Response(JSON.stringify({ code: 'csrf_failed', detail: 'CSRF check failed' }), {
        status: 403,
        headers: { 'content-type': 'application/problem+json' },
      });
    const failure = linkProvider('corp', { fetch: fake, location, cookies: () => '' });
    await expect(failure).rejects.toBeInstanceOf(AuthError);
    await expect(failure).rejects.toMatchObject({ code: 'csrf_failed', status: 403 });
    expect(location.urls).toEqual([]);
  });
});
