/** Which request URLs may carry credentials. */
export interface UrlPolicy {
  /** True when `url` is on an allowed origin/prefix and not on a blocked one. */
  allows(url: string): boolean;
}

interface UrlRule {
  readonly origin: string;
  /** Path prefix; '/' covers the whole origin. */
  readonly path: string;
}

/**
 * Build the policy deciding where tokens and XSRF headers go. Bearer tokens must never reach a
 * party that is not meant to receive them (RFC 6750 §5.3), so matching is on the parsed origin
 * (scheme, host and port exactly), never on string prefixes of the raw URL: that is what keeps
 * `https://api.example.com.evil.com`, `https://api.example.com@evil.com`, `//evil.com` and
 * `https://api.example.com:8443` out. Relative entries and URLs resolve against `pageUrl`.
 * Throws a TypeError for an entry that is not an http(s) URL, so a typo fails loudly at start-up.
 */
export function createUrlPolicy(options: {
  readonly allowed: readonly string[];
  readonly blocked: readonly string[];
  readonly pageUrl: string | undefined;
}): UrlPolicy {
  const toRule = (entry: string): UrlRule => {
    const url = parseHttpUrl(entry, options.pageUrl);
    if (!url) throw new TypeError(`jotauth: not an http(s) URL or path in the URL lists: ${entry}`);
    return { origin: url.origin, path: url.pathname };
  };
  const allowed = options.allowed.map(toRule);
  const blocked = options.blocked.map(toRule);
  return {
    allows(url: string): boolean {
      const target = parseHttpUrl(url, options.pageUrl);
      if (!target) return false;
      const matches = (rule: UrlRule): boolean =>
        rule.origin === target.origin && pathHasPrefix(target.pathname, rule.path);
      return !blocked.some(matches) && allowed.some(matches);
    },
  };
}

/** Prefix match on whole path segments: `/api` covers `/api` and `/api/x`, not `/apix`. */
function pathHasPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

function parseHttpUrl(value: string, base: string | undefined): URL | null {
  try {
    const url = new URL(value, base);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : null;
  } catch {
    return null;
  }
}
