import { describeDevice } from './device';

/** One session of the signed-in user, as the sessions page shows it. */
export interface SessionRow {
  readonly id: string;
  readonly createdAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly expiresAt: Date | null;
  readonly userAgent: string | null;
  /** What the user-agent header names, readable ("Chrome 156 on Linux"). */
  readonly device: string | null;
  readonly current: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The API gives times as epoch seconds; ISO strings are accepted too. */
function time(value: unknown): Date | null {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return new Date(value * 1000);
  }
  const parsed = typeof value === 'string' ? new Date(value) : null;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : null;
}

/** Reads `GET /api/auth/sessions` (a list, or `{sessions: [...]}`) into rows. */
export function sessionsFrom(body: unknown): SessionRow[] {
  const items = Array.isArray(body) ? body : isRecord(body) ? body['sessions'] : undefined;
  if (!Array.isArray(items)) {
    return [];
  }
  return items.filter(isRecord).map((item) => {
    const userAgent = text(item['user_agent']);
    return {
      id: String(item['id']),
      createdAt: time(item['created_at']),
      lastUsedAt: time(item['last_used_at']),
      expiresAt: time(item['expires_at']),
      userAgent,
      device: describeDevice(userAgent),
      current: item['current'] === true,
    };
  });
}
