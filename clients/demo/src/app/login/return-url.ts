/**
 * The page to open after signing in: only a path of this app, so that a crafted link
 * (`/signin?returnUrl=//evil.example`) cannot turn the login page into an open redirect
 * (OWASP unvalidated redirects). Anything else means the lessons page.
 */
export function safeReturnUrl(value: string | undefined | null): string {
  const fallback = '/lessons';
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) {
    return fallback;
  }
  // Control characters are dropped by URL parsers and could hide a second slash.
  if ([...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return fallback;
  const resolved = new URL(value, 'https://app.invalid');
  return resolved.origin === 'https://app.invalid' ? value : fallback;
}
