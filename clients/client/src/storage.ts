import type { StorageKind, StoredToken, TokenStorage } from './types.js';

/**
 * Token storage for body delivery. 'memory' (the default) keeps the token out of reach of
 * other scripts' storage reads and loses it on reload (the HttpOnly refresh cookie brings a
 * new one); 'session' survives reloads of this tab; 'local' is shared by every tab. Web
 * storage is readable by any script on the origin, so an XSS can read it: prefer memory.
 * When the browser refuses web storage (privacy mode, sandboxed frame) memory is used.
 */
export function createTokenStorage(kind: StorageKind | TokenStorage, key: string): TokenStorage {
  if (typeof kind !== 'string') return kind;
  const area = kind === 'memory' ? null : webStorage(kind);
  return area ? webTokenStorage(area, key) : memoryTokenStorage();
}

function memoryTokenStorage(): TokenStorage {
  let token: StoredToken | null = null;
  return {
    load: () => token,
    save: (value) => {
      token = value;
    },
    clear: () => {
      token = null;
    },
  };
}

function webTokenStorage(area: Storage, key: string): TokenStorage {
  return {
    load(): StoredToken | null {
      const token = parseStoredToken(area.getItem(key));
      if (!token) area.removeItem(key); // drop malformed leftovers rather than trusting them
      return token;
    },
    save: (token) => {
      area.setItem(key, JSON.stringify(token));
    },
    clear: () => {
      area.removeItem(key);
    },
  };
}

function webStorage(kind: 'session' | 'local'): Storage | null {
  try {
    const area = kind === 'session' ? globalThis.sessionStorage : globalThis.localStorage;
    area.getItem('jotauth.probe'); // throws SecurityError where storage is blocked
    return area;
  } catch {
    return null;
  }
}

function parseStoredToken(raw: string | null): StoredToken | null {
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw) as Partial<Record<keyof StoredToken, unknown>> | null;
    const { accessToken, expiresAt } = value ?? {};
    if (typeof accessToken !== 'string' || accessToken === '') return null;
    if (expiresAt !== null && typeof expiresAt !== 'number') return null;
    return { accessToken, expiresAt };
  } catch {
    return null;
  }
}
