import { provideHttpClient, withInterceptors, withXsrfConfiguration } from '@angular/common/http';
import { type ApplicationConfig, provideBrowserGlobalErrorListeners } from '@angular/core';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { authInterceptor, provideJotAuth } from '@jotauth/angular';

import { routes } from './app.routes';
import { readDeliverySetting } from './delivery-setting';

const delivery = readDeliverySetting(window.location, window.sessionStorage);

/** Providers of the demo: router, HttpClient with the jotauth interceptor, jotauth itself. */
export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideRouter(routes, withComponentInputBinding()),
    provideHttpClient(
      withInterceptors([authInterceptor]),
      // Angular's own double-submit support; the names are the auth server's defaults.
      withXsrfConfiguration({ cookieName: 'XSRF-TOKEN', headerName: 'X-XSRF-TOKEN' }),
    ),
    provideJotAuth({
      baseUrl: '',
      delivery,
      loginRoute: '/signin',
      forbiddenRoute: '/forbidden',
    }),
  ],
};
