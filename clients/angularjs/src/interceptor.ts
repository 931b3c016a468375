import type { IHttpInterceptor, IHttpService, IPromise, IQService, IRootScopeService, auto } from 'angular';
import type { RequestAuth, RequestPort } from '@jotauth/client';
import type { AuthService, JotAuthRequestConfig, JotAuthUnauthenticated } from './types.js';

interface Rejection {
  readonly status?: number;
  readonly config?: JotAuthRequestConfig;
}

/** An `$http` config as the shared request core of @jotauth/client sees it. */
const configPort: RequestPort<JotAuthRequestConfig> = {
  url: (config) => config.url,
  method: (config) => config.method,
  hasHeader: (config, name) => hasHeader(config.headers ?? {}, name),
  authorize(config, added, withCookies) {
    Object.assign((config.headers ??= {}), added);
    config.withCredentials = config.withCredentials === true || withCookies;
    config.jotauth = { ...config.jotauth, added: Object.keys(added) };
    return config;
  },
};

/**
 * The `$http` interceptor of the `jotauth` module, a thin adapter of @jotauth/client's request
 * core (`client.requests`), so it decides as the client's own `fetch` and the Angular
 * interceptor do. `request` adds the bearer token (body delivery) or the XSRF header (cookie
 * delivery, unsafe methods) for allowed URLs only, after refreshing a token known to be
 * expired. `responseError` asks the core about the status: a recoverable 401 is resent once
 * through `$http` after one refresh shared by all failing requests; a 401 the session could
 * not fix broadcasts `$unauthenticated` (reason `request_refused`). `$auth` is looked up
 * lazily, as `$http` and `$auth` depend on each other.
 */
export function createAuthInterceptor(
  $q: IQService,
  $injector: auto.IInjectorService,
  $rootScope: IRootScopeService,
): IHttpInterceptor {
  const core = (): RequestAuth => $injector.get<AuthService>('$auth').client.requests;

  const authorize = (auth: RequestAuth, config: JotAuthRequestConfig): JotAuthRequestConfig => {
    const marks = config.jotauth ?? {};
    const headers = (config.headers ??= {}) as Record<string, unknown>;
    for (const name of marks.added ?? []) Reflect.deleteProperty(headers, name); // the retry's stale token
    const { request, attempt } = auth.authorize(configPort, config, marks.retried === true);
    request.jotauth = { ...request.jotauth, attempt };
    return request;
  };

  return {
    request(config: JotAuthRequestConfig): JotAuthRequestConfig | IPromise<JotAuthRequestConfig> {
      if (config.jotauth?.skip) return config; // the client's own call, made through $http
      const auth = core();
      if (!auth.covers(config.url)) return config;
      const ready = auth.beforeSend();
      return ready ? $q.when(ready).then(() => authorize(auth, config)) : authorize(auth, config);
    },

    responseError(rejection: Rejection): IPromise<never> {
      const config = rejection.config;
      const attempt = config?.jotauth?.attempt;
      if (!config || !attempt) return $q.reject(rejection);
      return $q.when(core().settle(attempt, rejection.status ?? 0)).then((verdict) => {
        if (verdict === 'retry') {
          const retry = { ...config, jotauth: { ...config.jotauth, retried: true } };
          return $injector.get<IHttpService>('$http')(retry) as IPromise<never>;
        }
        if (verdict === 'refused') {
          const event: JotAuthUnauthenticated = { reason: 'request_refused', status: 401, url: config.url };
          $rootScope.$broadcast('$unauthenticated', event);
        }
        return $q.reject(rejection);
      });
    },
  };
}

function hasHeader(headers: Record<string, unknown>, name: string): boolean {
  const wanted = name.toLowerCase();
  return Object.keys(headers).some((key) => key.toLowerCase() === wanted && headers[key] !== undefined);
}
