import type { IPromise } from 'angular';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthServiceProvider } from '../src/index.js';
import { ADMIN, createHarness, outcome, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(() => {
  h?.destroy();
  h = null;
});

/** Invoke a resolve entry the way ui-router and ngRoute do: through the injector. */
function resolveWith(harness: Harness, entry: unknown) {
  return outcome(harness.injector.invoke(entry as () => IPromise<unknown>));
}

describe('resolve helpers for ui-router / ngRoute', () => {
  it('requireUser resolves the user, also when called unbound', async () => {
    h = createHarness({ loggedIn: true });
    const { requireUser } = h.$auth;
    const result = resolveWith(h, requireUser);
    await h.drain();
    expect(result.value).toMatchObject({ id: 'u1' });
  });

  it('requireUser rejects with code unauthenticated when logged out', async () => {
    h = createHarness();
    const result = resolveWith(h, h.$auth.requireUser);
    await h.drain();
    expect(result.error).toMatchObject({ code: 'unauthenticated', status: 401 });
  });

  it("requireRole('admin') resolves for an admin", async () => {
    h = createHarness({ loggedIn: true, user: ADMIN });
    const result = resolveWith(h, h.$auth.requireRole('admin'));
    await h.drain();
    expect(result.value).toEqual(ADMIN);
  });

  it("requireRole('admin') rejects a normal user with code forbidden", async () => {
    h = createHarness({ loggedIn: true });
    const result = resolveWith(h, h.$auth.requireRole('admin'));
    await h.drain();
    expect(result.error).toMatchObject({ code: 'forbidden', status: 403 });
  });

  it("requireRole('admin') rejects with unauthenticated when nobody is logged in", async () => {
    h = createHarness();
    const result = resolveWith(h, h.$auth.requireRole('admin'));
    await h.drain();
    expect(result.error).toMatchObject({ code: 'unauthenticated' });
  });

  it('offers the same helpers on $authProvider as injectables for config-time state definitions', async () => {
    h = createHarness({ loggedIn: true });
    let provider: AuthServiceProvider | null = null;
    // Read the provider as a module's config block would.
    const angular = (await import('angular')).default;
    angular.injector([
      'ng',
      'jotauth',
      [
        '$authProvider',
        (p: AuthServiceProvider) => {
          provider = p; // a config function's return value would become a run block
        },
      ],
    ]);
    expect(provider).not.toBeNull();

    const user = resolveWith(h, provider!.requireUser);
    const admin = resolveWith(h, provider!.requireRole('admin'));
    await h.drain();

    expect(user.value).toMatchObject({ id: 'u1' });
    expect(admin.error).toMatchObject({ code: 'forbidden' });
  });
});
