import {
  HttpErrorResponse,
  type HttpEvent,
  type HttpHandlerFn,
  type HttpInterceptorFn,
  type HttpRequest,
} from '@angular/common/http';
import { inject } from '@angular/core';
import type { RequestAuth, RequestPort } from '@jotauth/client';
import { catchError, from, type Observable, switchMap, throwError } from 'rxjs';

import { JOTAUTH_CLIENT } from './config.js';

/** HttpClient's request as the shared request core of @jotauth/client sees it. */
const angularPort: RequestPort<HttpRequest<unknown>> = {
  url: (request) => request.url,
  method: (request) => request.method,
  hasHeader: (request, name) => request.headers.has(name),
  authorize: (request, setHeaders, withCookies) =>
    request.clone({ setHeaders: { ...setHeaders }, withCredentials: withCookies || request.withCredentials }),
};

/**
 * Adds credentials to HttpClient requests for allowed URLs and recovers from one 401, with
 * the decisions of @jotauth/client's request core (`client.requests`), the same ones its
 * own `fetch` and the AngularJS interceptor make:
 *
 * - Only URLs the client allows (allowed list minus blocked list, matched on the parsed
 *   origin) get anything: a Bearer token must never reach a third party (RFC 6750 §5.3).
 * - Body delivery: `Authorization: Bearer …`. Cookie delivery: `withCredentials` (so a
 *   cross-origin API gets its cookies) and `X-XSRF-TOKEN` on unsafe methods. Angular's own
 *   XSRF interceptor skips cross-origin URLs, so the header is added here for those too.
 * - A token already known to be expired is refreshed before the request leaves.
 * - A 401 triggers one refresh shared by every failing request, then one retry with the new
 *   credentials. A refused refresh ends the session (the client logs out and emits
 *   `unauthenticated`) and the original error is passed on; a second 401 is final.
 */
export const authInterceptor: HttpInterceptorFn = (request, next) => {
  const auth = inject(JOTAUTH_CLIENT).requests;
  if (!auth.covers(request.url)) return next(request);
  const ready = auth.beforeSend();
  // Synchronous unless a refresh must come first, so a request leaves when it is subscribed.
  return ready ? from(ready).pipe(switchMap(() => attempt(auth, request, next, false))) : attempt(auth, request, next, false);
};

function attempt(
  auth: RequestAuth,
  original: HttpRequest<unknown>,
  next: HttpHandlerFn,
  isRetry: boolean,
): Observable<HttpEvent<unknown>> {
  const sent = auth.authorize(angularPort, original, isRetry);
  return next(sent.request).pipe(
    catchError((error: unknown) => {
      if (!(error instanceof HttpErrorResponse)) return throwError(() => error);
      return from(auth.settle(sent.attempt, error.status)).pipe(
        switchMap((verdict) =>
          verdict === 'retry' ? attempt(auth, original, next, true) : throwError(() => error),
        ),
      );
    }),
  );
}
