/**
 * Which token delivery the demo uses: `cookie` (the default, HttpOnly cookies on one
 * origin) or `body` (the access token in memory, sent as a Bearer header).
 *
 * Chosen with `?delivery=body` or `?delivery=cookie` on any URL and remembered for the
 * tab in sessionStorage, so reloads and route changes keep it.
 */
export type Delivery = 'cookie' | 'body';

const storageKey = 'jotauth-demo.delivery';

function isDelivery(value: string | null): value is Delivery {
  return value === 'cookie' || value === 'body';
}

/** Reads the delivery setting from the URL, else from this tab's memory, else `cookie`. */
export function readDeliverySetting(location: Location, storage: Storage): Delivery {
  const fromUrl = new URLSearchParams(location.search).get('delivery');
  if (isDelivery(fromUrl)) {
    storage.setItem(storageKey, fromUrl);
    return fromUrl;
  }
  const remembered = storage.getItem(storageKey);
  return isDelivery(remembered) ? remembered : 'cookie';
}
