/** One lesson as the demo shows it. */
export interface Lesson {
  readonly id: string;
  readonly title: string;
  /** Length as the API gives it ("12:30"), when it does. */
  readonly duration: string | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Reads the lessons API's answer (a list, or `{lessons: [...]}`) into lessons. */
export function lessonsFrom(body: unknown): Lesson[] {
  const items = Array.isArray(body) ? body : isRecord(body) ? body['lessons'] : undefined;
  if (!Array.isArray(items)) {
    return [];
  }
  return items.filter(isRecord).map((item, index) => ({
    id: String(item['id'] ?? index),
    title: String(item['title'] ?? item['name'] ?? ''),
    duration: typeof item['duration'] === 'string' ? item['duration'] : null,
  }));
}

/** "12:05" (minutes:seconds, as the API gives it) as "12 min 5 s"; other text unchanged. */
export function formatDuration(duration: string): string {
  const match = /^(\d{1,3}):([0-5]\d)$/.exec(duration);
  if (!match) {
    return duration;
  }
  const minutes = Number(match[1]);
  const seconds = Number(match[2]);
  if (minutes === 0) {
    return `${seconds} s`;
  }
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}
