import { TestBed } from '@angular/core/testing';
import {
  type ActivatedRouteSnapshot,
  type CanActivateFn,
  type GuardResult,
  type RouterStateSnapshot,
  UrlTree,
} from '@angular/router';
import { afterEach, describe, expect, it } from 'vitest';

import { authGuard, roleGuard } from '../src/index.js';
import { USER } from '../../test-support/fake-auth-server.js';
import { setUp } from './harness.js';

afterEach(() => {
  TestBed.resetTestingModule();
});

async function runGuard(guard: CanActivateFn, url: string): Promise<GuardResult> {
  const state = { url } as RouterStateSnapshot;
  const route = {} as ActivatedRouteSnapshot;
  return (await TestBed.runInInjectionContext(() => guard(route, state))) as GuardResult;
}

function asUrl(result: GuardResult): string {
  expect(result).toBeInstanceOf(UrlTree);
  return (result as UrlTree).toString();
}

describe('authGuard', () => {
  it('lets a signed-in user through', async () => {
    const { auth } = setUp('cookie');
    await auth.login({ email: 'ada@example.com', password: 'pw' });

    expect(await runGuard(authGuard, '/lessons')).toBe(true);
  });

  it('sends an anonymous visitor to the login route with the return URL', async () => {
    setUp('cookie');

    expect(asUrl(await runGuard(authGuard, '/lessons?page=2'))).toBe(
      '/signin?returnUrl=%2Flessons%3Fpage%3D2',
    );
  });

  it('treats an unreachable auth server as signed out', async () => {
    setUp('cookie', {}, (server) => {
      server.state.offline = true;
    });

    expect(asUrl(await runGuard(authGuard, '/lessons'))).toBe('/signin?returnUrl=%2Flessons');
  });
});

describe('roleGuard', () => {
  it('lets a user holding the role through', async () => {
    const { auth, server } = setUp('cookie');
    server.state.user = { ...USER, roles: ['admin'] };
    await auth.login({ email: 'ada@example.com', password: 'pw' });

    expect(await runGuard(roleGuard('admin'), '/admin')).toBe(true);
  });

  it('sends a signed-in user without the role to the forbidden route', async () => {
    const { auth, server } = setUp('cookie');
    server.state.user = { ...USER, roles: ['editor'] };
    await auth.login({ email: 'ada@example.com', password: 'pw' });

    expect(asUrl(await runGuard(roleGuard('admin'), '/admin'))).toBe('/forbidden');
  });

  it('needs every role it names', async () => {
    const { auth, server } = setUp('cookie');
    server.state.user = { ...USER, roles: ['admin'] };
    await auth.login({ email: 'ada@example.com', password: 'pw' });

    expect(asUrl(await runGuard(roleGuard('admin', 'auditor'), '/audit'))).toBe('/forbidden');
  });

  it('cancels the navigation when no forbidden route is configured', async () => {
    const { auth } = setUp('cookie', { forbiddenRoute: null });
    await auth.login({ email: 'ada@example.com', password: 'pw' });

    expect(await runGuard(roleGuard('admin'), '/admin')).toBe(false);
  });

  it('sends an anonymous visitor to the login route', async () => {
    setUp('cookie');

    expect(asUrl(await runGuard(roleGuard('admin'), '/admin'))).toBe('/signin?returnUrl=%2Fadmin');
  });

  it('refuses to be built without a role', () => {
    expect(() => roleGuard()).toThrow(TypeError);
  });
});
