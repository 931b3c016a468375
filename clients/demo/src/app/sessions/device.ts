import Bowser from 'bowser';

const MAX_LENGTH = 40;

/**
 * A device name a person recognises ("Chrome 156 on Linux") from a User-Agent header;
 * for clients that are not browsers, the product token ("python-httpx 0.28"). Null when
 * the header is missing.
 */
export function describeDevice(userAgent: string | null): string | null {
  if (!userAgent) {
    return null;
  }
  const parsed = Bowser.parse(userAgent);
  const major = parsed.browser.version?.split('.')[0];
  const browser = parsed.browser.name ? [parsed.browser.name, major].filter(Boolean).join(' ') : '';
  const os = [parsed.os.name, parsed.os.versionName].filter(Boolean).join(' ');
  if (browser && os) {
    return `${browser} on ${os}`;
  }
  if (browser || os) {
    return browser || os;
  }
  const product = userAgent.trim().split(/\s+/)[0]?.replace('/', ' ') ?? '';
  return product.length > MAX_LENGTH ? `${product.slice(0, MAX_LENGTH - 1)}…` : product || null;
}
