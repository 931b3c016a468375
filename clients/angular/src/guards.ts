import { inject } from '@angular/core';
import { type CanActivateFn, Router, type UrlTree } from '@angular/router';
import { type AuthUser, hasRole } from '@jotauth/client';

import { AuthService } from './auth.service.js';
import { JOTAUTH_ROUTING, type JotAuthRouting } from './config.js';

/**
 * Lets signed-in users through; sends everyone else to the login route with the URL they
 * wanted as the return URL (`/login?returnUrl=%2Flessons`).
 */
export const authGuard: CanActivateFn = async (_route, state) => {
  const auth = inject(AuthService);
  const router = inject(Router);
  const routing = inject(JOTAUTH_ROUTING);
  const user = await currentUser(auth);
  return user ? true : loginRedirect(router, routing, state.url);
};

/**
 * Lets through signed-in users holding every one of `roles`. Anonymous users go to the
 * login route (with a return URL); signed-in users without the role go to the configured
 * `forbiddenRoute`, or stay where they are. Only UI: the API must check the role itself.
 */
export function roleGuard(...roles: readonly string[]): CanActivateFn {
  if (roles.length === 0) {
    throw new TypeError('jotauth: roleGuard needs at least one role');
  }
  return async (_route, state) => {
    const auth = inject(AuthService);
    const router = inject(Router);
    const routing = inject(JOTAUTH_ROUTING);
    const user = await currentUser(auth);
    if (!user) {
      return loginRedirect(router, routing, state.url);
    }
    if (roles.every((role) => hasRole(user, role))) {
      return true;
    }
    return routing.forbiddenRoute === null ? false : router.parseUrl(routing.forbiddenRoute);
  };
}

async function currentUser(auth: AuthService): Promise<AuthUser | null> {
  try {
    return await auth.getUser();
  } catch {
    // The auth server cannot be reached: treat as signed out rather than show a protected page.
    return null;
  }
}

function loginRedirect(router: Router, routing: JotAuthRouting, returnUrl: string): UrlTree {
  const tree = router.parseUrl(routing.loginRoute);
  tree.queryParams = { ...tree.queryParams, [routing.returnUrlParam]: returnUrl };
  return tree;
}
