/**
 * Milliseconds to wait before refreshing proactively: `refreshBeforeMs` ahead of expiry, but
 * never more than a quarter of the remaining life ahead (a 1-minute token refreshes after 45 s,
 * not at once), minus a per-tab `jitterMs` so several tabs do not refresh at the same instant.
 * Capped at the largest delay timers accept (2^31-1 ms), beyond which they fire immediately.
 */
export function proactiveRefreshDelay(
  expiresAt: number,
  now: number,
  refreshBeforeMs: number,
  jitterMs: number,
): number {
  const remaining = expiresAt - now;
  const lead = Math.min(refreshBeforeMs, remaining / 4);
  return Math.min(Math.max(0, remaining - lead - jitterMs), 2_147_483_647);
}
