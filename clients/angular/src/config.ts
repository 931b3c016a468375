import { InjectionToken } from '@angular/core';
import type { AuthClient, AuthClientConfig } from '@jotauth/client';

/** Options of {@link provideJotAuth}: the client's options plus the router's side. */
export interface JotAuthConfig extends AuthClientConfig {
  /** Route the guards send anonymous users to, with the return URL; default '/login'. */
  readonly loginRoute?: string;
  /** Query parameter carrying the URL to come back to after login; default 'returnUrl'. */
  readonly returnUrlParam?: string;
  /**
   * Route for signed-in users who lack a role that roleGuard requires; default null, which
   * cancels the navigation instead.
   */
  readonly forbiddenRoute?: string | null;
  /** A client built elsewhere (shared with non-Angular code, or a test's); default: one is created. */
  readonly client?: AuthClient;
}

/** The Angular side of the configuration with its defaults filled in. */
export interface JotAuthRouting {
  readonly loginRoute: string;
  readonly returnUrlParam: string;
  readonly forbiddenRoute: string | null;
}

/** The configuration given to provideJotAuth. */
export const JOTAUTH_CONFIG = new InjectionToken<JotAuthConfig>('jotauth.config');

/** The @jotauth/client instance every Angular piece shares (one refresh in flight for all). */
export const JOTAUTH_CLIENT = new InjectionToken<AuthClient>('jotauth.client');

/** The routing options with defaults, derived once from {@link JOTAUTH_CONFIG}. */
export const JOTAUTH_ROUTING = new InjectionToken<JotAuthRouting>('jotauth.routing');

/** Fill in the Angular-side defaults. */
export function resolveRouting(config: JotAuthConfig): JotAuthRouting {
  return {
    loginRoute: config.loginRoute ?? '/login',
    returnUrlParam: config.returnUrlParam ?? 'returnUrl',
    forbiddenRoute: config.forbiddenRoute ?? null,
  };
}

/** The options that belong to @jotauth/client, without the Angular-only ones. */
export function clientConfigOf(config: JotAuthConfig): AuthClientConfig {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { loginRoute, returnUrlParam, forbiddenRoute, client, ...clientConfig } = config;
  return clientConfig;
}
