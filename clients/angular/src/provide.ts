import { DestroyRef, type EnvironmentProviders, inject, makeEnvironmentProviders } from '@angular/core';
import { createAuthClient } from '@jotauth/client';

import { AuthService } from './auth.service.js';
import {
  clientConfigOf,
  JOTAUTH_CLIENT,
  JOTAUTH_CONFIG,
  JOTAUTH_ROUTING,
  type JotAuthConfig,
  resolveRouting,
} from './config.js';

/**
 * Sets up jotauth for an application: the shared client, {@link AuthService} and the
 * options the interceptor and guards read. Add `authInterceptor` to `provideHttpClient`
 * yourself (`withInterceptors([authInterceptor])`), so its place among your interceptors
 * is explicit.
 *
 * ```ts
 * bootstrapApplication(App, { providers: [
 *   provideHttpClient(withInterceptors([authInterceptor])),
 *   provideJotAuth({ delivery: 'cookie', loginRoute: '/signin' }),
 * ]});
 * ```
 */
export function provideJotAuth(config: JotAuthConfig = {}): EnvironmentProviders {
  return makeEnvironmentProviders([
    { provide: JOTAUTH_CONFIG, useValue: config },
    { provide: JOTAUTH_ROUTING, useFactory: () => resolveRouting(inject(JOTAUTH_CONFIG)) },
    {
      provide: JOTAUTH_CLIENT,
      useFactory: () => {
        const options = inject(JOTAUTH_CONFIG);
        if (options.client) return options.client;
        const client = createAuthClient(clientConfigOf(options));
        // Ours to stop: its refresh timer and BroadcastChannel end with the application.
        inject(DestroyRef).onDestroy(() => {
          client.dispose();
        });
        return client;
      },
    },
    { provide: AuthService, useFactory: () => new AuthService() },
  ]);
}
