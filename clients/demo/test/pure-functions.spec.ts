import { describe, expect, it } from 'vitest';

import { lessonsFrom } from '../src/app/lessons/lesson';
import { describeLoginError } from '../src/app/login/login-error';
import { safeReturnUrl } from '../src/app/login/return-url';
import { formatRemaining } from '../src/app/format-remaining';
import { sessionsFrom } from '../src/app/sessions/session-row';

describe('safeReturnUrl', () => {
  it('keeps paths of this app, with their query', () => {
    expect(safeReturnUrl('/admin')).toBe('/admin');
    expect(safeReturnUrl('/lessons?page=2#top')).toBe('/lessons?page=2#top');
  });

  it.each([
    undefined,
    '',
    'https://evil.example/',
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/\t/evil.example',
    'javascript:alert(1)',
    'lessons',
  ])('refuses %j and falls back to the lessons', (value) => {
    expect(safeReturnUrl(value)).toBe('/lessons');
  });
});

describe('describeLoginError', () => {
  it('says a wrong password without saying whether the account exists', () => {
    expect(describeLoginError({ status: 401, code: 'invalid_credentials' })).toBe('Wrong email or password.');
  });

  it('gives the time to wait when throttled', () => {
    expect(describeLoginError({ status: 429, retryAfter: 42 })).toBe('Too many attempts. Try again in 42 seconds.');
    expect(describeLoginError({ status: 429, retryAfter: null })).toBe('Too many attempts. Try again later.');
  });

  it('tells an unreachable server apart from other failures', () => {
    expect(describeLoginError({ status: 0 })).toMatch(/cannot be reached/);
    expect(describeLoginError({ status: 503 })).toBe('Signing in failed. Please try again.');
    expect(describeLoginError('nonsense')).toMatch(/cannot be reached/);
  });
});

describe('formatRemaining', () => {
  it('reads like a person would say it', () => {
    expect(formatRemaining(14 * 86400 - 1)).toBe('13 d 23 h');
    expect(formatRemaining(5 * 3600 + 12 * 60)).toBe('5 h 12 min');
    expect(formatRemaining(245)).toBe('4:05');
    expect(formatRemaining(-3)).toBe('0:00');
  });
});

describe('API answers', () => {
  it('reads lessons from a list or an object, ignoring junk', () => {
    expect(lessonsFrom([{ id: 1, title: 'JWT', duration: '9:30' }, 'junk'])).toEqual([{ id: '1', title: 'JWT', duration: '9:30' }]);
    expect(lessonsFrom({ lessons: [{ id: 'a', title: 'Keys' }] })).toEqual([{ id: 'a', title: 'Keys', duration: null }]);
    expect(lessonsFrom(null)).toEqual([]);
  });

  it('reads sessions with epoch-second times and the current flag', () => {
    const [row] = sessionsFrom({
      sessions: [{ id: 's1', created_at: 1_700_000_000, last_used_at: null, expires_at: 1_700_086_400, user_agent: 'UA', current: true }],
    });
    expect(row?.createdAt?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(row?.lastUsedAt).toBeNull();
    expect(row?.current).toBe(true);
  });
});
