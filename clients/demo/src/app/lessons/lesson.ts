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
