import type { IHttpInterceptor, IHttpService, IPromise, IQService, IRootScopeService, auto } from 'angular';
import type { AuthService, JotAuthRequestConfig, JotAuthUnauthenticated } from './types.js';

interface Rejection {
  readonly status?: number;
  readonly config?: JotAuthRequestConfig;
}

/**
 * The `$http` interceptor of the `jotauth` module. `request` adds the bearer token (body
 * delivery) or the XSRF header (cookie delivery, unsafe methods) for allowed URLs only, with the
 * same URL policy as @jotauth/client. `responseError` handles a 401 from an allowed URL: unless
 * it came from `/me` or was already the retry, it refreshes once — one refresh in flight for all
 * failing requests — and resends the request through `$http`; otherwise it broadcasts
 * `$unauthenticated`. `$auth` is looked up lazily, as `$http` and `$auth` depend on each other.
 */
export function createAuthInterceptor(
  $q: IQService,
  $injector: auto.IInjectorService,
  $rootScope: IRootScopeService,
): IHttpInterceptor {
  const client = () => $injector.get<AuthService>('$auth').client;
  const refused = (config: JotAuthRequestConfig): void => {
    const event: JotAuthUnauthenticated = { reason: 'request_refused', status: 401, url: config.url };
    $rootScope.$broadcast('$unauthenticated', event);
  };

  return {
    request(config: JotAuthRequestConfig): JotAuthRequestConfig {
      const marks = config.jotauth ?? {};
      if (marks.skip) return config;
      const auth = client();
      const headers = (config.headers ??= {}) as Record<string, unknown>;
      for (const name of marks.added ?? []) Reflect.deleteProperty(headers, name); // the retry's stale token
      const added: string[] = [];
      for (const [name, value] of Object.entries(auth.authHeaders(config.url, config.method))) {
        if (!hasHeader(headers, name)) {
          headers[name] = value; // a header the app set itself wins
          added.push(name);
        }
      }
      config.jotauth = { ...marks, added, generation: auth.generation };
      return config;
    },

    responseError(rejection: Rejection): IPromise<never> {
      const config = rejection.config;
      if (rejection.status !== 401 || !config || config.jotauth?.skip) return $q.reject(rejection);
      const auth = client();
      if (!auth.isAllowedUrl(config.url)) return $q.reject(rejection); // not our server's 401
      const endpoint = auth.matchEndpoint(config.url);
      if (endpoint !== null && endpoint !== 'me') return $q.reject(rejection); // e.g. a wrong password
      if (endpoint === 'me' || config.jotauth?.retried) {
        refused(config);
        return $q.reject(rejection);
      }
      const retry = { ...config, jotauth: { ...config.jotauth, retried: true } };
      return $q.when(auth.recoverFrom401(config.jotauth?.generation ?? -1)).then((recovered) => {
        if (recovered) return $injector.get<IHttpService>('$http')(retry) as IPromise<never>;
        // When the client ended the session it already announced it; otherwise announce here.
        if (auth.user !== null) refused(config);
        return $q.reject(rejection);
      });
    },
  };
}

function hasHeader(headers: Record<string, unknown>, name: string): boolean {
  const wanted = name.toLowerCase();
  return Object.keys(headers).some((key) => key.toLowerCase() === wanted && headers[key] !== undefined);
}
