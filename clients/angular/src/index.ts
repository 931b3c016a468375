/**
 * @jotauth/angular — Angular bindings for jotauth (DESIGN.md §8), built on @jotauth/client.
 */
export { AuthService } from './auth.service.js';
export { JOTAUTH_CLIENT, JOTAUTH_CONFIG } from './config.js';
export type { JotAuthConfig } from './config.js';
export { authGuard, roleGuard } from './guards.js';
export { authInterceptor } from './interceptor.js';
export { injectPasskeys } from './passkeys.js';
export { provideJotAuth } from './provide.js';
