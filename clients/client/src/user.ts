import type { AuthUser } from './types.js';

/** Check and normalise a `/me` body (DESIGN.md §5); null when it is not a user. */
export function parseAuthUser(body: Record<string, unknown> | null): AuthUser | null {
  if (!body) return null;
  const { id, email, name, roles, scope } = body;
  if (typeof id !== 'string' || typeof email !== 'string') return null;
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) return null;
  return {
    ...body,
    id,
    email,
    name: typeof name === 'string' ? name : null,
    roles,
    scope: typeof scope === 'string' ? scope : '',
  };
}

/** Whether the user has `role` — for showing or hiding UI; the server enforces access. */
export function hasRole(user: AuthUser | null | undefined, role: string): boolean {
  return Boolean(user?.roles.includes(role));
}
