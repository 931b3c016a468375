import { HttpErrorResponse } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { afterEach, describe, expect, it } from 'vitest';

import { problem } from '../../test-support/fake-auth-server.js';
import { failureOf, settle, setUp, signedIn } from './harness.js';

afterEach(() => {
  TestBed.resetTestingModule();
  document.cookie = 'XSRF-TOKEN=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
});

describe('authInterceptor, body delivery', () => {
  it('adds the bearer token to requests for the app origin', async () => {
    const { http, backend, server } = await signedIn('body');

    http.get('/api/lessons').subscribe();

    const request = backend.expectOne('/api/lessons');
    expect(request.request.headers.get('Authorization')).toBe(`Bearer ${server.state.currentToken!}`);
    request.flush([]);
  });

  it('never sends the token to a third-party origin or a blocked prefix', async () => {
    const { http, backend } = await signedIn('body', { blockedUrls: ['/api/public/'] });

    http.get('https://cdn.example.org/data.json').subscribe();
    http.get('http://app.example.test.evil.example/api/lessons').subscribe();
    http.get('/api/public/news').subscribe();

    for (const url of [
      'https://cdn.example.org/data.json',
      'http://app.example.test.evil.example/api/lessons',
      '/api/public/news',
    ]) {
      const request = backend.expectOne(url);
      expect(request.request.headers.has('Authorization')).toBe(false);
      expect(request.request.withCredentials).toBe(false);
      request.flush({});
    }
  });

  it('refreshes once on 401 and retries with the new token', async () => {
    const { http, backend, server } = await signedIn('body');
    const firstToken = server.state.currentToken!;
    let answer: unknown;

    http.get('/api/lessons').subscribe((body) => (answer = body));
    backend.expectOne('/api/lessons').flush({}, { status: 401, statusText: 'Unauthorized' });
    await settle();

    const retry = backend.expectOne('/api/lessons');
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
    expect(retry.request.headers.get('Authorization')).toBe(`Bearer ${server.state.currentToken!}`);
    expect(server.state.currentToken!).not.toBe(firstToken);
    retry.flush([{ id: 1, title: 'JWT basics' }]);
    expect(answer).toEqual([{ id: 1, title: 'JWT basics' }]);
  });

  it('shares one refresh among ten requests that fail together', async () => {
    const { http, backend, server } = await signedIn('body');
    const answers: unknown[] = [];

    for (let i = 0; i < 10; i += 1) http.get(`/api/lessons/${i}`).subscribe((body) => answers.push(body));
    for (let i = 0; i < 10; i += 1) {
      backend.expectOne(`/api/lessons/${i}`).flush({}, { status: 401, statusText: 'Unauthorized' });
    }
    await settle();

    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
    for (let i = 0; i < 10; i += 1) backend.expectOne(`/api/lessons/${i}`).flush({ i });
    expect(answers).toHaveLength(10);
  });

  it('logs out and passes the 401 on when the refresh is refused', async () => {
    const { http, backend, auth, server } = await signedIn('body');
    server.state.refreshFailure = () => problem(401, 'session_revoked');
    const failed = failureOf(http.get('/api/lessons'));
    backend.expectOne('/api/lessons').flush({}, { status: 401, statusText: 'Unauthorized' });
    await settle();

    backend.expectNone('/api/lessons');
    expect(failed.error).toBeInstanceOf(HttpErrorResponse);
    expect((failed.error as HttpErrorResponse).status).toBe(401);
    expect(auth.user()).toBeNull();
    expect(auth.isLoggedIn()).toBe(false);
  });

  it('gives up after a second 401 instead of refreshing in a loop', async () => {
    const { http, backend, server } = await signedIn('body');
    const failed = failureOf(http.get('/api/lessons'));
    backend.expectOne('/api/lessons').flush({}, { status: 401, statusText: 'Unauthorized' });
    await settle();
    backend.expectOne('/api/lessons').flush({}, { status: 401, statusText: 'Unauthorized' });
    await settle();

    backend.expectNone('/api/lessons');
    expect((failed.error as HttpErrorResponse).status).toBe(401);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
  });

  it('passes other errors on untouched, without refreshing', async () => {
    const { http, backend, server } = await signedIn('body');
    const failed = failureOf(http.get('/api/admin/stats'));
    backend.expectOne('/api/admin/stats').flush({}, { status: 403, statusText: 'Forbidden' });
    await settle();

    expect((failed.error as HttpErrorResponse).status).toBe(403);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(0);
  });
});

describe('authInterceptor, cookie delivery', () => {
  it('adds the XSRF header to unsafe requests to an allowed cross-origin API, with credentials', async () => {
    document.cookie = 'XSRF-TOKEN=csrf-123; path=/';
    const { http, backend } = await signedIn('cookie', {
      allowedUrls: ['http://app.example.test', 'https://api.example.test'],
    });

    http.post('https://api.example.test/api/lessons', { title: 'x' }).subscribe();
    http.get('https://api.example.test/api/lessons').subscribe();

    const post = backend.expectOne({ method: 'POST', url: 'https://api.example.test/api/lessons' });
    expect(post.request.headers.get('X-XSRF-TOKEN')).toBe('csrf-123');
    expect(post.request.withCredentials).toBe(true);
    expect(post.request.headers.has('Authorization')).toBe(false);
    const get = backend.expectOne({ method: 'GET', url: 'https://api.example.test/api/lessons' });
    expect(get.request.headers.has('X-XSRF-TOKEN')).toBe(false);
    expect(get.request.withCredentials).toBe(true);
    post.flush({});
    get.flush([]);
  });

  it('does not send the XSRF token or cookies to an origin that is not allowed', async () => {
    document.cookie = 'XSRF-TOKEN=csrf-123; path=/';
    const { http, backend } = setUp('cookie');

    http.post('https://elsewhere.example.org/collect', {}).subscribe();

    const request = backend.expectOne('https://elsewhere.example.org/collect');
    expect(request.request.headers.has('X-XSRF-TOKEN')).toBe(false);
    expect(request.request.withCredentials).toBe(false);
    request.flush({});
  });

  it('refreshes the cookie session on 401 and retries', async () => {
    const { http, backend, server } = await signedIn('cookie');

    http.get('/api/lessons').subscribe();
    backend.expectOne('/api/lessons').flush({}, { status: 401, statusText: 'Unauthorized' });
    await settle();

    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
    backend.expectOne('/api/lessons').flush([]);
  });
});
