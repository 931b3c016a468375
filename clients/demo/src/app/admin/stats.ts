import type { AuthUser } from '@jotauth/client';

const LABELS: Readonly<Record<string, string>> = {
  lessons: 'Lessons',
  authors: 'Authors',
  requested_by: 'Requested by',
};

/** The admin statistics as label/value pairs a person reads: no raw ids, no JSON. */
export function describeStats(
  body: Record<string, unknown>,
  me: AuthUser | null,
): (readonly [string, string])[] {
  return Object.entries(body).map(([key, value]) => {
    const label = LABELS[key] ?? key.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
    if (key === 'requested_by') {
      return [label, me && value === me.id ? `you (${me.email})` : 'another user'] as const;
    }
    return [label, typeof value === 'object' ? JSON.stringify(value) : String(value)] as const;
  });
}
