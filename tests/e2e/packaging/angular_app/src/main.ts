// A new Angular app adopting jotauth from the packed tarballs, the way the README shows it.
import { Component, inject } from '@angular/core';
import { provideHttpClient, withInterceptors, withXsrfConfiguration } from '@angular/common/http';
import { bootstrapApplication } from '@angular/platform-browser';
import { provideRouter } from '@angular/router';
import { AuthService, authGuard, authInterceptor, provideJotAuth, roleGuard } from '@jotauth/angular';
import type { JotAuthConfig } from '@jotauth/angular';
import { createAuthClient } from '@jotauth/client';
import type { AuthClient } from '@jotauth/client';

@Component({
  selector: 'app-root',
  template: `@if (auth.user(); as user) { <p>{{ user.email }}</p> } @else { <p>signed out</p> }`,
})
class App {
  protected readonly auth = inject(AuthService);
}

const config: JotAuthConfig = { delivery: 'cookie', loginRoute: '/signin' };
const makeClient: (...args: Parameters<typeof createAuthClient>) => AuthClient = createAuthClient;

bootstrapApplication(App, {
  providers: [
    provideRouter([
      { path: 'lessons', component: App, canActivate: [authGuard] },
      { path: 'admin', component: App, canActivate: [roleGuard('admin')] },
    ]),
    provideHttpClient(
      withInterceptors([authInterceptor]),
      withXsrfConfiguration({ cookieName: 'XSRF-TOKEN', headerName: 'X-XSRF-TOKEN' }),
    ),
    provideJotAuth(config),
  ],
}).catch((error: unknown) => console.error(error, makeClient.name));
