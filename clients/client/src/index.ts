/**
 * @jotauth/client — framework-free browser client for jotauth (DESIGN.md §8).
 */
export { createAuthClient } from './client.js';
export { createAccountApi } from './accounts.js';
export type { AccountApi } from './accounts.js';
export { AuthError } from './errors.js';
export { continueWith, federatedLoginUrl, linkProvider } from './federation.js';
export type { FederationOptions, LinkOptions } from './federation.js';
export type { AuthErrorCode } from './errors.js';
export type { CompletedLogin, MfaChallenge, SecondFactorProof } from './second-factor.js';
export type { Attempt, RequestAuth, RequestPort, Verdict } from './request-auth.js';
export type { LockManagerLike } from './refresh-lock.js';
export { decodeToken, isExpired, expiresAtMs } from './token.js';
export type { DecodedToken, TokenClaims } from './token.js';
export { createUrlPolicy } from './url-policy.js';
export type { UrlPolicy } from './url-policy.js';
export { createTokenStorage } from './storage.js';
export { hasRole } from './user.js';
export type {
  AuthClient,
  AuthClientConfig,
  AuthEndpoints,
  AuthEventMap,
  AuthUser,
  Clock,
  Credentials,
  Delivery,
  SignUpDetails,
  StorageKind,
  StoredToken,
  TokenStorage,
  UnauthenticatedEvent,
  UnauthenticatedReason,
  UserState,
} from './types.js';
